"""The learner's model on data whose true win probabilities are known: recovery, calibration,
the prior (cold start, sources with few trades), recency weighting and determinism."""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

from hive.winprob import Prior, dump_artifact, logit, sha256_hex
from hive_learner.dataset import TrainingSet, example_from_trade
from hive_learner.promotion import expected_calibration_error, reliability
from hive_learner.synthetic import DAY_MS, START_MS, World, draw_features, generate_trades
from hive_learner.train import TrainConfig, split_holdout, train_model

pytestmark = pytest.mark.unit

# Stated tolerances for ~20,000 signals (~40,000 trades, 90 days, 30-day half-life):
RECOVERY_MEAN_ABS = 0.025  # mean |p_model - p_true| over fresh signals
RECOVERY_P99_ABS = 0.07  # 99th percentile of the same
ECE_BOUND = 0.03  # expected calibration error against drawn outcomes, 10 bins
EXPECTED_R_MEAN_ABS = 0.06  # mean |E[R]_model - E[R]_true|, in R


def _examples(trades):
    ts = TrainingSet()
    for t in trades:
        e = example_from_trade(t)
        assert e is not None
        ts.add(e)
    return ts.examples()


def _fresh_signals(world: World, n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    return [
        draw_features(rng, START_MS + int(rng.uniform(0, 90 * DAY_MS)), sorted(world.source))
        for _ in range(n)
    ]


@pytest.fixture(scope="module")
def fitted():
    world = World()
    examples = _examples(generate_trades(20_000, seed=11, world=world))
    return world, train_model(examples, TrainConfig(), "win-prob", "0001")


def test_recovers_the_true_win_probabilities(fitted):
    world, trained = fitted
    signals = _fresh_signals(world, 5_000, seed=5)
    truth = np.array([world.win_probability(f) for f in signals])
    predicted = trained.model.predict_many(signals)
    errors = np.abs(predicted - truth)
    assert errors.mean() <= RECOVERY_MEAN_ABS, errors.mean()
    assert np.quantile(errors, 0.99) <= RECOVERY_P99_ABS, np.quantile(errors, 0.99)
    # Expected R from the win head and the two R heads.
    r_true = np.array([world.expected_r(f) for f in signals])
    r_model = np.array([trained.model.expected_r(f) for f in signals])
    assert np.abs(r_model - r_true).mean() <= EXPECTED_R_MEAN_ABS


def test_is_calibrated_on_outcomes_it_did_not_see(fitted):
    world, trained = fitted
    signals = _fresh_signals(world, 20_000, seed=6)
    truth = np.array([world.win_probability(f) for f in signals])
    outcomes = (np.random.default_rng(6).random(len(truth)) < truth).astype(float)
    predicted = trained.model.predict_many(signals)
    weights = np.ones(len(predicted))
    assert expected_calibration_error(predicted, outcomes, weights) <= ECE_BOUND
    # Every well-populated bin of the reliability curve sits on the diagonal.
    for b in reliability(predicted, outcomes, weights):
        if b.weight >= 0.05:
            assert abs(b.mean_predicted - b.observed_rate) <= 0.04, b


def _source_effect(model, features, source: str) -> float:
    """How far the model moves a signal's logit for being from `source` (vs an unseen one)."""
    return logit(model.predict({**features, "source": source})) - logit(
        model.predict({**features, "source": "never-seen"})
    )


def test_a_source_with_few_trades_is_shrunk_towards_the_population():
    world = World()
    trades = generate_trades(10_000, seed=12, world=world)
    # A new source: 5 signals, all winners. On its own evidence its win rate is 100 %.
    lucky = generate_trades(5, seed=13, world=World(source={"lucky": 5.0}), max_bots=1)
    assert all(t["pnl"] > 0 for t in lucky)
    examples = _examples(trades + lucky)
    f = trades[0]["features"]
    effects = {}
    for strength in (2.0, 20.0, 200.0):
        cfg = TrainConfig(prior=Prior(0.5, 1.0, -1.0, strength))
        effects[strength] = _source_effect(
            train_model(examples, cfg, "w", "0001").model, f, "lucky"
        )
    assert 0 < effects[200.0] < effects[20.0] < effects[2.0]
    assert effects[20.0] < 1.0  # five trades move it, but not to certainty
    # A source with thousands of trades is barely shrunk: near its true effect vs the rest.
    cfg = TrainConfig()
    model = train_model(examples, cfg, "w", "0001").model
    true_gap = world.source["alpha"] - world.source["gamma"]
    learned_gap = _source_effect(model, f, "alpha") - _source_effect(model, f, "gamma")
    assert learned_gap == pytest.approx(true_gap, abs=0.2)


def test_cold_start_stays_near_the_prior():
    prior = Prior(0.45, 1.0, -1.0, 20.0)
    few = _examples(generate_trades(8, seed=14, max_bots=1))
    model = train_model(few, TrainConfig(prior=prior), "w", "0001").model
    p = model.predict({"source": "x", "symbol": "EURUSD", "rr": 1.5, "sl_atr": 1.0, "hour_utc": 9})
    assert abs(p - 0.45) < 0.12


def test_recent_trades_weigh_more_with_a_shorter_half_life():
    old = generate_trades(3_000, seed=15, world=World(source={"alpha": 1.0}), span_days=60,
                          prefix="old")  # fmt: skip
    new = generate_trades(4_000, seed=16, world=World(source={"alpha": -1.0}), span_days=30,
                          start_ms=START_MS + 60 * DAY_MS, prefix="new")  # fmt: skip
    examples = _examples(old + new)
    f = {**new[-1]["features"], "source": "alpha"}
    truth_now = World(source={"alpha": -1.0}).win_probability(f)
    p_short, p_long = (
        train_model(examples, TrainConfig(half_life_days=hl), "w", "0001").model.predict(f)
        for hl in (7.0, 10_000.0)
    )
    assert abs(p_short - truth_now) < 0.05
    assert abs(p_short - truth_now) < abs(p_long - truth_now)


def test_same_data_and_seed_give_the_same_weights_hash():
    trades = generate_trades(3_000, seed=17)
    shuffled = list(trades)
    random.Random(1).shuffle(shuffled)  # arrival order differs, data is the same
    duplicated = shuffled + trades[:500]  # and at-least-once redeliveries change nothing

    def digest(records) -> str:
        trained = train_model(_examples_lenient(records), TrainConfig(seed=3), "win-prob", "0001")
        return sha256_hex(dump_artifact(trained.model.to_document()))

    first = digest(trades)
    assert digest(trades) == first
    assert digest(duplicated) == first
    other = dataclasses.replace(TrainConfig(seed=3), half_life_days=10.0)
    changed = train_model(_examples_lenient(trades), other, "win-prob", "0001")
    assert sha256_hex(dump_artifact(changed.model.to_document())) != first


def _examples_lenient(trades):
    ts = TrainingSet()
    for t in trades:
        e = example_from_trade(t)
        if e is not None:
            ts.add(e)
    return ts.examples()


def test_the_holdout_is_the_most_recent_trades_and_old_trades_drop_out():
    examples = _examples(generate_trades(2_000, seed=18, span_days=400))
    cfg = TrainConfig(half_life_days=30.0, holdout_fraction=0.2, min_holdout=50, max_holdout=300)
    split = split_holdout(examples, cfg)
    assert len(split.holdout) == 300  # 20 % would be more than max_holdout
    assert split.holdout == examples[-300:]
    assert split.train[-1].exit_time <= split.holdout[0].exit_time
    # Trades older than 10 half-lives (weight < 0.1 %) are not worth the run time.
    assert split.train[-1].exit_time - split.train[0].exit_time <= 300 * DAY_MS
    assert len(split.train) < len(examples) - 300
    small = split_holdout(examples[:100], cfg)
    assert len(small.holdout) == 50 and len(small.train) == 50  # min_holdout wins
