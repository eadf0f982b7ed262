"""A fitted regime model: Gaussian HMM, its feature scaling, its state -> regime mapping.

Fit (deterministic, bit for bit on the same input):

1. Observations: (log_return, ln rolling_vol, trend_strength) per bar, standardised with the
   training window's mean and standard deviation (kept in the model).
2. Initialisation without randomness: the rows are sorted by volatility and cut in three
   equal parts; each part gives a state's starting mean and variance; start probabilities are
   equal and the transition matrix starts at 0.95 on the diagonal. (`seed` is still given to
   hmmlearn for anything it might draw.)
3. EM with hmmlearn's `GaussianHMM` (diagonal covariances).

Label mapping, from the fitted state means (so labels, not state indices, are stable across
refits): CHAOS = the state with the highest mean volatility; TREND = of the other two, the one
with the highest mean trend strength (EMA gap in ATR); CALM = the remaining one. Ties go to
the lower state index.

Fingerprint: SHA-256 over a small canonical header (format, feature names, windows) and the
little-endian float64 bytes of the scaler, start probabilities, transition matrix, means,
diagonal variances and the label order.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from hmmlearn.hmm import GaussianHMM

from hive_regime.config import RegimeConfig
from hive_regime.features import FEATURE_NAMES, FeatureRow

FloatArray = npt.NDArray[np.float64]
CALM, TREND, CHAOS, UNKNOWN = "CALM", "TREND", "CHAOS", "UNKNOWN"
REGIMES = (CALM, TREND, CHAOS)
_VOL, _TREND = 1, 2  # feature columns
_LOG_2PI = math.log(2.0 * math.pi)
_VOL_FLOOR = 1e-12
FORMAT = "hive-regime-hmm/1"

# hmmlearn logs every non-monotone EM step; the fit's outcome is what matters here.
logging.getLogger("hmmlearn").setLevel(logging.ERROR)


class RegimeFitError(RuntimeError):
    """The HMM could not be fitted on this window (too few or degenerate rows)."""


def observations(rows: Sequence[FeatureRow]) -> FloatArray:
    """Raw (unscaled) observation matrix: log_return, ln rolling_vol, trend_strength."""
    out = np.empty((len(rows), 3), dtype=np.float64)
    for i, r in enumerate(rows):
        out[i, 0] = r.log_return
        out[i, 1] = math.log(max(r.rolling_vol, _VOL_FLOOR))
        out[i, 2] = r.trend_strength
    return out


def _le(a: FloatArray) -> bytes:
    return np.ascontiguousarray(a, dtype="<f8").tobytes()


@dataclass(frozen=True)
class RegimeModel:
    """A fitted model. `labels[i]` is the regime of HMM state i."""

    symbol: str
    timeframe: str
    fitted_at: int  # close time of the last bar of the training window
    n_rows: int
    scale_mean: FloatArray
    scale_std: FloatArray
    startprob: FloatArray
    transmat: FloatArray
    means: FloatArray  # (states, features), standardised units
    variances: FloatArray  # (states, features), diagonal
    labels: tuple[str, ...]
    sha256: str
    version: str
    log_likelihood: float
    converged: bool
    iterations: int

    # ---- inference -------------------------------------------------------------------

    def scale(self, raw: FloatArray) -> FloatArray:
        out: FloatArray = (raw - self.scale_mean) / self.scale_std
        return out

    def log_emission(self, x: FloatArray) -> FloatArray:
        """log N(x | state) for each state, x standardised, shape (features,) or (n, features)."""
        diff = x[..., None, :] - self.means
        quad = (diff * diff / self.variances).sum(axis=-1)
        const = _LOG_2PI * self.means.shape[1] + np.log(self.variances).sum(axis=-1)
        return np.asarray(-0.5 * (const + quad), dtype=np.float64)

    def filter_log(self, raw: FloatArray) -> FloatArray:
        """Normalised log forward probabilities at the last row of `raw` (filtering: uses
        rows up to and including the last only)."""
        if raw.shape[0] == 0:
            raise ValueError("no rows to filter")
        log_b = self.log_emission(self.scale(raw))
        first: FloatArray = np.log(self.startprob) + log_b[0]
        log_alpha: FloatArray = first - _logsumexp(first)
        for t in range(1, raw.shape[0]):
            log_alpha = self.step_log(log_alpha, log_b[t])
        return log_alpha

    def step_log(self, log_alpha: FloatArray, log_b: FloatArray) -> FloatArray:
        """One forward-filter step: predict with the transition matrix, weigh by emission."""
        m = float(log_alpha.max())
        pred = np.exp(log_alpha - m) @ self.transmat
        out = np.log(pred) + m + log_b
        result: FloatArray = out - _logsumexp(out)
        return result

    def step_raw(self, log_alpha: FloatArray, raw_row: FloatArray) -> FloatArray:
        return self.step_log(log_alpha, self.log_emission(self.scale(raw_row)))

    def probabilities(self, log_alpha: FloatArray) -> dict[str, float]:
        p = np.exp(log_alpha - _logsumexp(log_alpha))
        p = p / p.sum()
        probs = dict.fromkeys(REGIMES, 0.0)
        for state, label in enumerate(self.labels):
            probs[label] += float(p[state])
        return probs

    def state_means(self) -> dict[str, dict[str, float]]:
        """Fitted state means in original units, by regime (for logs and the hub)."""
        raw = self.means * self.scale_std + self.scale_mean
        return {
            label: {
                "log_return": float(raw[i, 0]),
                "rolling_vol": float(math.exp(raw[i, 1])),
                "trend_strength": float(raw[i, 2]),
            }
            for i, label in enumerate(self.labels)
        }

    def describe(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "sha256": self.sha256,
            "fitted_at": self.fitted_at,
            "rows": self.n_rows,
            "log_likelihood": self.log_likelihood,
            "converged": self.converged,
            "iterations": self.iterations,
            "states": self.state_means(),
        }


def _logsumexp(a: FloatArray) -> float:
    m = float(a.max())
    return m + math.log(float(np.exp(a - m).sum()))


def map_labels(means: FloatArray) -> tuple[str, ...]:
    """State -> regime from standardised state means (see the module doc). Deterministic."""
    n = means.shape[0]
    order = list(range(n))
    chaos = max(order, key=lambda i: (means[i, _VOL], -i))
    rest = [i for i in order if i != chaos]
    trend = max(rest, key=lambda i: (means[i, _TREND], -i))
    labels = [CALM] * n
    labels[chaos] = CHAOS
    labels[trend] = TREND
    return tuple(labels)


def fingerprint(
    config: RegimeConfig,
    *,
    scale_mean: FloatArray,
    scale_std: FloatArray,
    startprob: FloatArray,
    transmat: FloatArray,
    means: FloatArray,
    variances: FloatArray,
    labels: Sequence[str],
) -> str:
    header = {
        "format": FORMAT,
        "features": list(FEATURE_NAMES),
        "vol_window": config.vol_window,
        "trend_fast": config.trend_fast,
        "trend_slow": config.trend_slow,
        "atr_period": config.atr_period,
        "covariance": "diag",
        "labels": list(labels),
    }
    h = hashlib.sha256(json.dumps(header, sort_keys=True, separators=(",", ":")).encode())
    for arr in (scale_mean, scale_std, startprob, transmat, means, variances):
        h.update(_le(arr))
    return h.hexdigest()


def model_version(symbol: str, timeframe: str, fitted_at: int) -> str:
    return f"hmm-{symbol}-{timeframe}-{fitted_at}"


def fit_model(
    rows: Sequence[FeatureRow], symbol: str, timeframe: str, config: RegimeConfig
) -> RegimeModel:
    """Fit the HMM on `rows` (a symbol's most recent feature rows, in time order)."""
    k = config.n_states
    if len(rows) < 10 * k:
        raise RegimeFitError(f"{symbol}: {len(rows)} rows, need at least {10 * k}")
    raw = observations(rows)
    mean = raw.mean(axis=0)
    std = raw.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    x = (raw - mean) / std

    # Deterministic initialisation: volatility terciles.
    order = np.argsort(x[:, _VOL], kind="stable")
    parts = np.array_split(order, k)
    init_means = np.stack([x[p].mean(axis=0) for p in parts])
    init_vars = np.stack([np.maximum(x[p].var(axis=0), config.min_covar) for p in parts])
    trans = np.full((k, k), 0.05 / (k - 1))
    np.fill_diagonal(trans, 0.95)

    hmm = GaussianHMM(
        n_components=k,
        covariance_type="diag",
        n_iter=config.n_iter,
        tol=config.tol,
        random_state=config.seed,
        min_covar=config.min_covar,
        init_params="",
        params="stmc",
        implementation="log",
    )
    hmm.startprob_ = np.full(k, 1.0 / k)
    hmm.transmat_ = trans
    hmm.means_ = init_means
    hmm.covars_ = init_vars
    try:
        hmm.fit(x)
        log_likelihood = float(hmm.score(x))
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise RegimeFitError(f"{symbol}: HMM fit failed: {exc}") from exc

    startprob = np.asarray(hmm.startprob_, dtype=np.float64)
    transmat = np.asarray(hmm.transmat_, dtype=np.float64)
    means = np.asarray(hmm.means_, dtype=np.float64)
    variances = np.asarray(hmm._covars_, dtype=np.float64)  # diag: (states, features)
    if not (np.all(np.isfinite(transmat)) and np.all(np.isfinite(means))):
        raise RegimeFitError(f"{symbol}: HMM fit gave non-finite parameters")
    # A state that EM emptied has a zero start probability or transition row; keep the
    # filter's logs finite.
    startprob = np.maximum(startprob, 1e-300)
    transmat = np.maximum(transmat, 1e-300)
    labels = map_labels(means)
    fitted_at = rows[-1].close_time
    sha = fingerprint(
        config,
        scale_mean=mean,
        scale_std=std,
        startprob=startprob,
        transmat=transmat,
        means=means,
        variances=variances,
        labels=labels,
    )
    return RegimeModel(
        symbol=symbol,
        timeframe=timeframe,
        fitted_at=fitted_at,
        n_rows=len(rows),
        scale_mean=mean,
        scale_std=std,
        startprob=startprob,
        transmat=transmat,
        means=means,
        variances=variances,
        labels=labels,
        sha256=sha,
        version=model_version(symbol, timeframe, fitted_at),
        log_likelihood=log_likelihood,
        converged=bool(hmm.monitor_.converged),
        iterations=int(hmm.monitor_.iter),
    )
