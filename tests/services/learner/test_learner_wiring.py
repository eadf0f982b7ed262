"""The learner's wiring without Kafka: its settings turned into the learner's configuration,
and the restoring mode the runtime ends once the consumed trades are replayed."""

from __future__ import annotations

from pathlib import Path

import pytest

from hive.topics import (
    AUDIT_EVENTS,
    CONTROL_COMMANDS,
    CONTROL_PARAMETERS,
    LEARNER_MODELS,
    TRADES_CLOSED,
)
from hive.winprob import Prior
from hive_learner.learner import Learner, LearnerConfig
from hive_learner.promotion import PromotionRules
from hive_learner.service import INPUTS, OUTPUTS, TABLES, start_restoring
from hive_learner.settings import LearnerSettings
from hive_learner.store import ModelStore
from hive_learner.train import TrainConfig
from hive_learner.trigger import DAY_MS, TriggerRules
from hive_learner.weakness import WeaknessAnalyzer, WeaknessConfig

pytestmark = pytest.mark.unit


def test_the_settings_become_the_learner_config(tmp_path: Path) -> None:
    settings = LearnerSettings(
        model_store=tmp_path,
        learner_model_name="edge",
        learner_sources="beta, alpha,,",
        learner_half_life_days=14.0,
        learner_prior_win_prob=0.55,
        learner_prior_r_win=1.5,
        learner_prior_r_loss=-0.8,
        learner_prior_strength=40.0,
        learner_shadow_weight=0.5,
        learner_seed=3,
        learner_max_train_trades=20_000,
        learner_holdout_fraction=0.25,
        learner_min_holdout=40,
        learner_max_holdout=1_000,
        learner_min_improvement=0.001,
        learner_ece_tolerance=0.03,
        learner_max_kl=0.1,
        learner_min_trades=150,
        learner_retrain_every_trades=500,
        learner_retrain_every_ms=2 * DAY_MS,
        learner_min_new_trades=25,
        learner_cooldown_ms=3_600_000,
    )
    assert settings.learner_config() == LearnerConfig(
        model_name="edge",
        train=TrainConfig(
            half_life_days=14.0,
            prior=Prior(win_prob=0.55, r_win=1.5, r_loss=-0.8, strength=40.0),
            shadow_weight=0.5,
            holdout_fraction=0.25,
            min_holdout=40,
            max_holdout=1_000,
            max_train_trades=20_000,
            seed=3,
        ),
        promotion=PromotionRules(min_improvement=0.001, ece_tolerance=0.03, max_kl=0.1),
        trigger=TriggerRules(
            min_trades=150,
            every_trades=500,
            every_ms=2 * DAY_MS,
            min_new_trades=25,
            cooldown_ms=3_600_000,
        ),
        capacity=21_000,
        r_clip=10.0,
        sources=frozenset({"alpha", "beta"}),
    )


def test_the_learner_restores_until_the_runtime_calls_the_hook(tmp_path: Path) -> None:
    learner = Learner(LearnerSettings().learner_config(), ModelStore(tmp_path))
    assert learner.restoring is False
    go_live = start_restoring(learner)
    assert learner.restoring is True
    go_live()
    assert learner.restoring is False


def test_topics() -> None:
    # The governor's answers to the learner's proposals are replayed up to the committed
    # offsets at start (not tables): one that came after the last commit settles its release live.
    assert (INPUTS, OUTPUTS, TABLES) == (
        [LEARNER_MODELS, CONTROL_PARAMETERS, AUDIT_EVENTS, TRADES_CLOSED],
        [LEARNER_MODELS, CONTROL_COMMANDS],
        [LEARNER_MODELS],
    )


def test_self_modification_is_on_by_default_and_its_settings_reach_the_analyzer() -> None:
    default = LearnerSettings().weakness_analyzer()
    assert default is not None and default.config == WeaknessConfig()
    assert WeaknessConfig() == WeaknessConfig(
        min_trades=30, alpha=0.05, skip_at_r=-0.25, scale=0.5, window_ms=90 * DAY_MS
    )
    tuned = LearnerSettings(
        learner_rules_min_trades=50, learner_rules_alpha=0.01, learner_rules_window_days=30
    ).weakness_analyzer()
    assert tuned is not None
    assert tuned.config == WeaknessConfig(min_trades=50, alpha=0.01, window_ms=30 * DAY_MS)
    assert LearnerSettings(learner_rules=False).weakness_analyzer() is None


def test_the_analyzer_restores_with_the_learner(tmp_path: Path) -> None:
    learner = Learner(LearnerSettings().learner_config(), ModelStore(tmp_path))
    analyzer = WeaknessAnalyzer()
    go_live = start_restoring(learner, analyzer)
    assert learner.restoring and analyzer.restoring
    go_live()
    assert not learner.restoring and not analyzer.restoring
