"""learner settings from the environment (prefix HIVE_); a bad value stops the start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import Field, model_validator

from hive.config import ServiceSettings
from hive.event_order import REORDER_HORIZON_MS
from hive.winprob import Prior
from hive_learner.learner import LearnerConfig
from hive_learner.promotion import PromotionRules
from hive_learner.store import default_store
from hive_learner.train import TrainConfig
from hive_learner.trigger import DAY_MS, TriggerRules
from hive_learner.weakness import WeaknessAnalyzer, WeaknessConfig


class LearnerSettings(ServiceSettings):
    service_name: str = "learner"
    # Where artifacts are written; the risk gate reads the same directory (HIVE_MODEL_STORE).
    model_store: Path = Field(default_factory=default_store)
    learner_model_name: str = Field("win-prob", pattern=r"^[a-z][a-z0-9-]*$")
    # Comma-separated signal sources to learn from; empty = every source.
    learner_sources: str = ""
    # Training: recency decay, prior (cold start, sources with few trades), shadow weighting.
    learner_half_life_days: float = Field(30.0, gt=0)
    learner_prior_win_prob: float = Field(0.5, gt=0, lt=1)
    learner_prior_r_win: float = Field(1.0, gt=0)
    learner_prior_r_loss: float = Field(-1.0, lt=0)
    # In pseudo-trades. 50 keeps ~35 coefficients from overfitting a few dozen signals (at 20
    # a model trained on 40-75 signals was worse than the prior) and costs nothing at 2,000.
    learner_prior_strength: float = Field(50.0, gt=0)
    learner_shadow_weight: float = Field(1.0, ge=0, le=10)
    learner_seed: int = 7
    learner_max_train_trades: int = Field(100_000, ge=100)
    # The most recent trades held out for the promotion test.
    learner_holdout_fraction: float = Field(0.2, gt=0, le=0.5)
    learner_min_holdout: int = Field(50, ge=20)
    learner_max_holdout: int = Field(5_000, ge=20)
    # Promotion: better on the holdout, calibrated, inside the trust region.
    learner_min_improvement: float = Field(0.0005, ge=0)
    learner_ece_tolerance: float = Field(0.02, ge=0, le=1)
    learner_max_kl: float = Field(0.05, gt=0)
    # Trigger, all in trades and event time.
    learner_min_trades: int = Field(200, ge=21)
    learner_retrain_every_trades: int = Field(1_000, ge=1)
    learner_retrain_every_ms: int = Field(7 * DAY_MS, ge=0)
    learner_min_new_trades: int = Field(50, ge=1)
    learner_cooldown_ms: int = Field(DAY_MS, ge=0)
    # A trade counts for the trigger once a trade this much later was read (trigger.py): the
    # same runs in every reading order, as long as no trade is read later than that.
    learner_settle_ms: int = Field(REORDER_HORIZON_MS, ge=0)
    # Self-modification (weakness.py): rules proposed to the governor's change guard and rolled
    # back when they stop paying. On by default: a rule can only reduce risk (the guard refuses
    # anything else), at most 3 changes a day, and it is rolled back automatically.
    learner_rules: bool = True
    learner_rules_min_trades: int = Field(30, ge=2)
    learner_rules_alpha: float = Field(0.05, gt=0, lt=1)
    learner_rules_window_days: float = Field(90.0, gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.learner_max_holdout < self.learner_min_holdout:
            raise ValueError("learner_max_holdout must be >= learner_min_holdout")
        if self.learner_min_trades <= self.learner_min_holdout:
            raise ValueError(
                "learner_min_trades must exceed learner_min_holdout (the first run needs trades "
                "to train on besides the holdout)"
            )
        return self

    def weakness_analyzer(self) -> WeaknessAnalyzer | None:
        """The weakness analyzer, None when self-modification is off (HIVE_LEARNER_RULES)."""
        if not self.learner_rules:
            return None
        return WeaknessAnalyzer(
            WeaknessConfig(
                min_trades=self.learner_rules_min_trades,
                alpha=self.learner_rules_alpha,
                window_ms=int(self.learner_rules_window_days * DAY_MS),
                settle_ms=self.learner_settle_ms,
            )
        )

    def learner_config(self) -> LearnerConfig:
        return LearnerConfig(
            model_name=self.learner_model_name,
            train=TrainConfig(
                half_life_days=self.learner_half_life_days,
                prior=Prior(
                    win_prob=self.learner_prior_win_prob,
                    r_win=self.learner_prior_r_win,
                    r_loss=self.learner_prior_r_loss,
                    strength=self.learner_prior_strength,
                ),
                shadow_weight=self.learner_shadow_weight,
                holdout_fraction=self.learner_holdout_fraction,
                min_holdout=self.learner_min_holdout,
                max_holdout=self.learner_max_holdout,
                max_train_trades=self.learner_max_train_trades,
                seed=self.learner_seed,
            ),
            promotion=PromotionRules(
                min_improvement=self.learner_min_improvement,
                ece_tolerance=self.learner_ece_tolerance,
                max_kl=self.learner_max_kl,
            ),
            trigger=TriggerRules(
                min_trades=self.learner_min_trades,
                every_trades=self.learner_retrain_every_trades,
                every_ms=self.learner_retrain_every_ms,
                min_new_trades=self.learner_min_new_trades,
                cooldown_ms=self.learner_cooldown_ms,
                settle_ms=self.learner_settle_ms,
            ),
            capacity=self.learner_max_train_trades + self.learner_max_holdout,
            sources=frozenset(s.strip() for s in self.learner_sources.split(",") if s.strip()),
        )
