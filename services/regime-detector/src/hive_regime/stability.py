"""How far consecutive refits agree: the labels two models give the bars both were fitted on.

A detector is run over one symbol's bars and every model it fits is kept with its training
window. Each model labels the rows of its own window by forward filtering from the window's
first row (as inference does: no look-ahead); a model and the next are compared on the rows
their windows share. Used by the label-stability test and bench/regime/run.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from hive_regime.config import RegimeConfig
from hive_regime.detector import RegimeDetector
from hive_regime.features import FeatureRow, feature_rows
from hive_regime.model import RegimeModel, observations


class FittedWindow(NamedTuple):
    model: RegimeModel
    rows: list[FeatureRow]  # the rows it was fitted on


def filtered_labels(model: RegimeModel, rows: Sequence[FeatureRow]) -> list[str]:
    """Regime per row by forward filtering from the first row (what inference does)."""
    log_b = model.log_emission(model.scale(observations(rows)))
    log_alpha = np.log(model.startprob) + log_b[0]
    out = [model.labels[int(np.argmax(log_alpha))]]
    for t in range(1, len(rows)):
        log_alpha = model.step_log(log_alpha, log_b[t])
        out.append(model.labels[int(np.argmax(log_alpha))])
    return out


def refit_windows(bars: Iterable[Mapping[str, Any]], config: RegimeConfig) -> list[FittedWindow]:
    """Every model a detector with `config` fits on these bars (one symbol), in order."""
    bars = list(bars)
    rows = feature_rows(
        bars, config.vol_window, config.trend_fast, config.trend_slow, config.atr_period
    )
    end_of = {row.close_time: i + 1 for i, row in enumerate(rows)}
    detector = RegimeDetector(config)
    out: list[FittedWindow] = []
    for bar in bars:
        detector.on_bar(bar)
        model = detector.model(str(bar["symbol"]))
        if model is not None and (not out or out[-1].model.version != model.version):
            end = end_of[model.fitted_at]
            out.append(FittedWindow(model, rows[end - model.n_rows : end]))
    return out


def agreement(old: FittedWindow, new: FittedWindow) -> float:
    """Share of the rows both windows hold that the two models label alike."""
    first = new.rows[0].close_time
    start = next((i for i, row in enumerate(old.rows) if row.close_time >= first), len(old.rows))
    shared = len(old.rows) - start
    if shared <= 0 or new.rows[shared - 1].close_time != old.rows[-1].close_time:
        raise ValueError("the windows share no rows, or are not consecutive")
    labels_old = filtered_labels(old.model, old.rows)[start:]
    labels_new = filtered_labels(new.model, new.rows)[:shared]
    return sum(a == b for a, b in zip(labels_old, labels_new, strict=True)) / shared


def refit_agreements(windows: Sequence[FittedWindow]) -> list[float]:
    """Agreement of each model with the one before it."""
    return [agreement(a, b) for a, b in itertools.pairwise(windows)]
