"""Train a candidate: hold out the most recent trades, fit the heads on the rest.

The candidate that is judged is the candidate that is released: it is not refitted on the
holdout afterwards, so the metrics in the release record are the released weights' metrics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hive.winprob import LinearHead, Prior, WinProbModel, logit
from hive_learner.dataset import (
    DAY_MS,
    TradeExample,
    effective_size,
    example_weights,
    labels,
    raw_matrix,
)
from hive_learner.features import fit_spec
from hive_learner.model import deterministic, fit_head

# Weights are rounded to this many significant digits before they are stored: the last bits of
# a float sum can differ between CPUs, rounding keeps the artifact (and its hash) the same.
SIGNIFICANT_DIGITS = 12
# Trades older than this many half-lives weigh under 0.1 %: they change nothing but the run time.
MAX_AGE_HALF_LIVES = 10
DEFAULT_PRIOR = Prior(win_prob=0.5, r_win=1.0, r_loss=-1.0, strength=50.0)


@dataclass(frozen=True)
class TrainConfig:
    half_life_days: float = 30.0
    prior: Prior = DEFAULT_PRIOR
    shadow_weight: float = 1.0
    holdout_fraction: float = 0.2
    min_holdout: int = 50
    max_holdout: int = 5_000
    max_train_trades: int = 100_000
    seed: int = 7

    def __post_init__(self) -> None:
        if not 0 < self.holdout_fraction < 1:
            raise ValueError("holdout_fraction must be in (0, 1)")
        if self.half_life_days <= 0 or self.prior.strength <= 0 or self.shadow_weight < 0:
            raise ValueError("half_life_days and prior strength must be > 0, shadow_weight >= 0")
        if not 0 < self.prior.win_prob < 1:
            raise ValueError("the prior win probability must be in (0, 1)")

    def hyperparameters(self) -> dict[str, str]:
        return {
            "model": "glm-3-heads",
            "half_life_days": f"{self.half_life_days:g}",
            "prior_win_prob": f"{self.prior.win_prob:g}",
            "prior_r_win": f"{self.prior.r_win:g}",
            "prior_r_loss": f"{self.prior.r_loss:g}",
            "prior_strength": f"{self.prior.strength:g}",
            "shadow_weight": f"{self.shadow_weight:g}",
            "holdout_fraction": f"{self.holdout_fraction:g}",
            "max_train_trades": str(self.max_train_trades),
            "seed": str(self.seed),
        }


@dataclass(frozen=True)
class Split:
    train: list[TradeExample]
    holdout: list[TradeExample]


def split_holdout(examples: Sequence[TradeExample], config: TrainConfig) -> Split:
    """The most recent trades (by exit time) are the holdout; the training part is the
    `max_train_trades` before them, without those older than MAX_AGE_HALF_LIVES half-lives."""
    n = len(examples)
    size = min(config.max_holdout, max(config.min_holdout, math.ceil(n * config.holdout_fraction)))
    size = min(size, n)
    train = list(examples[: n - size])[-config.max_train_trades :]
    if train:
        oldest = train[-1].exit_time - MAX_AGE_HALF_LIVES * config.half_life_days * DAY_MS
        train = [e for e in train if e.exit_time >= oldest]
    return Split(train=train, holdout=list(examples[n - size :]))


@dataclass(frozen=True)
class TrainedModel:
    model: WinProbModel
    train_count: int
    effective_trades: float
    window_start: int
    window_end: int
    iterations: int


def _rounded(values: np.ndarray) -> np.ndarray:
    return np.asarray([float(f"{v:.{SIGNIFICANT_DIGITS}g}") for v in values], dtype=np.float64)


def _head(intercept: float, coef: np.ndarray) -> LinearHead:
    return LinearHead(float(f"{intercept:.{SIGNIFICANT_DIGITS}g}"), _rounded(coef))


def train_model(
    train: Sequence[TradeExample], config: TrainConfig, model_name: str, version: str
) -> TrainedModel:
    """Fit the three heads on `train` (already in exit-time order) with recency weights
    measured from the newest trade in it."""
    if not train:
        raise ValueError("no trades to train on")
    reference = train[-1].exit_time
    categories = [e.categories for e in train]
    numeric = raw_matrix(train)
    spec = fit_spec(categories, numeric)
    x = spec.encode_raw(categories, numeric)
    y = labels(train)
    w = example_weights(train, reference, config.half_life_days, config.shadow_weight)
    prior = config.prior
    with deterministic(config.seed):
        win = fit_head(
            x, y, w, kind="logistic", prior_intercept=logit(prior.win_prob), strength=prior.strength
        )
        heads = [win]
        for wins, prior_r in ((True, prior.r_win), (False, prior.r_loss)):
            mask = np.fromiter(
                (e.win == wins and e.r_multiple is not None for e in train), dtype=bool
            )
            r = np.fromiter((e.r_multiple or 0.0 for e in train), dtype=np.float64)
            heads.append(
                fit_head(
                    x[mask],
                    r[mask],
                    w[mask],
                    kind="gaussian",
                    prior_intercept=prior_r,
                    strength=prior.strength,
                )
            )
    model = WinProbModel(
        model_name=model_name,
        version=version,
        spec=spec,
        win=_head(heads[0].intercept, heads[0].coef),
        r_win=_head(heads[1].intercept, heads[1].coef),
        r_loss=_head(heads[2].intercept, heads[2].coef),
        prior=prior,
    )
    return TrainedModel(
        model=model,
        train_count=len(train),
        effective_trades=effective_size(w),
        window_start=train[0].exit_time,
        window_end=train[-1].exit_time,
        iterations=sum(h.iterations for h in heads),
    )
