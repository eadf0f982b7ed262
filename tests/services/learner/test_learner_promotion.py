"""Promotion: a candidate is proposed only if it is better on the recent holdout, calibrated and
inside the trust region of the current model (what the change guard decides then:
test_learner_proposals)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from hive_learner.dataset import (
    TrainingSet,
    example_from_trade,
    example_weights,
    labels,
    raw_matrix,
)
from hive_learner.promotion import (
    PromotionRules,
    brier,
    expected_calibration_error,
    judge,
    log_loss,
    mean_kl,
)
from hive_learner.synthetic import DAY_MS, START_MS, World, generate_trades
from hive_learner.train import TrainConfig, train_model

pytestmark = pytest.mark.unit

RULES = PromotionRules(min_improvement=0.0005, ece_tolerance=0.02, max_kl=0.05)


def test_metrics_have_their_textbook_values():
    y = np.array([1.0, 0.0, 1.0, 0.0])
    w = np.ones(4)
    half = np.full(4, 0.5)
    assert log_loss(half, y, w) == pytest.approx(math.log(2))
    assert brier(half, y, w) == pytest.approx(0.25)
    assert brier(y, y, w) == 0.0
    assert mean_kl(half, half, w) == 0.0
    expected = 0.5 * math.log(0.5 / 0.8) + 0.5 * math.log(0.5 / 0.2)
    assert mean_kl(half, np.full(4, 0.8), w) == pytest.approx(expected)
    assert expected_calibration_error(half, y, w) == pytest.approx(0.0)
    assert expected_calibration_error(np.full(4, 0.9), y, w) == pytest.approx(0.4)
    # Weights count: a trade with twice the weight counts twice.
    assert brier(np.array([1.0, 0.0]), np.array([1.0, 1.0]), np.array([3.0, 1.0])) == 0.25


def _outcomes(p: np.ndarray, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).random(len(p)) < p).astype(float)


def test_a_better_candidate_close_to_the_current_one_is_promoted():
    rng = np.random.default_rng(1)
    truth = rng.uniform(0.3, 0.7, 5_000)
    y = _outcomes(truth, 2)
    current = np.clip(truth + rng.normal(0, 0.08, truth.size), 0.05, 0.95)
    verdict = judge(truth, current, y, np.ones(y.size), RULES, has_parent=True)
    assert verdict.promote, verdict.reason
    assert verdict.metrics["log_loss"] < verdict.metrics["parent_log_loss"]
    assert verdict.metrics["kl_to_parent"] <= RULES.max_kl
    assert "within trust region" in verdict.reason


def test_a_worse_candidate_is_not_promoted():
    rng = np.random.default_rng(3)
    truth = rng.uniform(0.3, 0.7, 5_000)
    y = _outcomes(truth, 4)
    worse = np.clip(truth + rng.normal(0, 0.1, truth.size), 0.05, 0.95)
    verdict = judge(worse, truth, y, np.ones(y.size), RULES, has_parent=True)
    assert not verdict.promote
    assert verdict.reason.startswith("rejected: log loss")


def test_a_better_candidate_too_far_from_the_current_one_is_not_promoted():
    rng = np.random.default_rng(5)
    truth = rng.uniform(0.1, 0.9, 5_000)
    y = _outcomes(truth, 6)
    current = np.full(truth.size, 0.5)  # knows nothing: the truth is far better, and far away
    verdict = judge(truth, current, y, np.ones(y.size), RULES, has_parent=True)
    assert verdict.metrics["log_loss"] < verdict.metrics["parent_log_loss"] - 0.05
    assert not verdict.promote
    assert "outside trust region" in verdict.reason
    # Against the prior (no model in use yet) there is no trust region: the first release.
    first = judge(truth, current, y, np.ones(y.size), RULES, has_parent=False)
    assert first.promote and "first release" in first.reason


def test_a_badly_calibrated_candidate_is_not_promoted_even_if_it_ranks_better():
    rng = np.random.default_rng(7)
    truth = rng.uniform(0.2, 0.8, 20_000)
    y = _outcomes(truth, 8)
    current = np.full(truth.size, float(y.mean()))
    overconfident = 1 / (1 + np.exp(-4 * np.log(truth / (1 - truth))))  # right order, wrong scale
    verdict = judge(overconfident, current, y, np.ones(y.size), RULES, has_parent=False)
    assert not verdict.promote
    assert "ECE" in verdict.reason


def _set(trades):
    ts = TrainingSet()
    for t in trades:
        ts.add(example_from_trade(t))
    return ts.examples()


def _holdout_predictions(model, holdout):
    x = model.spec.encode_raw([e.categories for e in holdout], raw_matrix(holdout))
    return model.predict_matrix(x)


def test_trained_models_worse_or_drifted_candidates_are_rejected():
    world = World()
    history = _set(generate_trades(8_000, seed=21, world=world, prefix="h"))
    current = train_model(history, TrainConfig(), "w", "0001").model
    recent = _set(generate_trades(1_500, seed=22, world=world, start_ms=START_MS + 90 * DAY_MS,
                                  span_days=10, prefix="r"))  # fmt: skip
    y, w = labels(recent), example_weights(recent, None, None, 1.0)
    p_current = _holdout_predictions(current, recent)

    # Worse: a candidate that learned from 150 trades with their outcomes scrambled.
    scrambled = generate_trades(150, seed=23, world=world, prefix="s", max_bots=1)
    outcomes = [(t["pnl"], t["r_multiple"]) for t in scrambled]
    random.Random(0).shuffle(outcomes)
    for t, (pnl, r) in zip(scrambled, outcomes, strict=True):
        t["pnl"], t["r_multiple"] = pnl, r
    noisy = train_model(_set(scrambled), TrainConfig(), "w", "0002").model
    verdict = judge(_holdout_predictions(noisy, recent), p_current, y, w, RULES, has_parent=True)
    assert not verdict.promote and "log loss" in verdict.reason

    # Drifted: the world changed (source effects flipped); a candidate trained on the new world
    # is better on the new holdout, but moves the confidences too far in one step.
    flipped = World(source={k: -v for k, v in world.source.items()})
    new_world = _set(generate_trades(8_000, seed=24, world=flipped, prefix="n"))
    new_holdout = _set(generate_trades(1_500, seed=25, world=flipped,
                                       start_ms=START_MS + 90 * DAY_MS, span_days=10, prefix="q"))  # fmt: skip
    drifted = train_model(new_world, TrainConfig(), "w", "0003").model
    y2, w2 = labels(new_holdout), example_weights(new_holdout, None, None, 1.0)
    p_new, p_old = (
        _holdout_predictions(drifted, new_holdout),
        _holdout_predictions(current, new_holdout),
    )
    verdict = judge(p_new, p_old, y2, w2, RULES, has_parent=True)
    assert verdict.metrics["log_loss"] < verdict.metrics["parent_log_loss"]
    assert not verdict.promote and "outside trust region" in verdict.reason
    wide = PromotionRules(max_kl=1.0)
    assert judge(p_new, p_old, y2, w2, wide, has_parent=True).promote
