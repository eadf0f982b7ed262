"""A fitted regime model: Gaussian HMM, its feature scaling, its state -> regime mapping.

Fit (deterministic, bit for bit on the same input):

1. Observations: (log_return, ln rolling_vol, trend_strength) per bar, standardised with the
   training window's mean and standard deviation (kept in the model).
2. Initialisation without randomness. First fit: the rows are sorted by volatility and cut in
   three equal parts; each part gives a state's starting mean and variance. Refit (a previous
   model is given): each state starts from the previous model's state, rescaled to this
   window. Start probabilities are equal and the transition matrix starts at 0.95 on the
   diagonal. (`seed` is still given to hmmlearn for anything it might draw.)
3. EM with hmmlearn's `GaussianHMM` (diagonal covariances). A refit is anchored on the previous
   model (`anchor_weight`): each state's mean and variance have a prior centred on the previous
   state's, worth `anchor_weight` bars (maximum a posteriori EM; convergence is judged on the
   log-likelihood plus the log prior, which EM increases). A window then moves the regime
   boundaries by part of what it would alone, so consecutive refits label the bars they share
   alike; 0 gives independent fits.

Label mapping, from the fitted state means: the states ordered by mean volatility are CALM
(lowest), TREND (middle), CHAOS (highest); ties go to the lower state index. Volatility is
what separates the states (they start from volatility terciles); ordering on trend strength
too (the rule before issue 17) swapped CALM and TREND between refits on EURUSD 2017.

Fingerprint: SHA-256 over a small canonical header (format, feature names, windows, anchor
weight, the fingerprint of the model it was anchored on) and the little-endian float64 bytes of
the scaler, start probabilities, transition matrix, means, diagonal variances and the labels.
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
FORMAT = "hive-regime-hmm/2"

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
    anchored_on: str | None  # fingerprint of the previous model the fit was anchored on
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
            "anchored_on": self.anchored_on,
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
    """State -> regime from standardised state means: by mean volatility, CALM < TREND < CHAOS
    (see the module doc). Deterministic."""
    by_vol = sorted(range(means.shape[0]), key=lambda i: (means[i, _VOL], i))
    labels = [""] * means.shape[0]
    for state, label in zip(by_vol, REGIMES, strict=True):
        labels[state] = label
    return tuple(labels)


class _AnchoredHMM(GaussianHMM):  # type: ignore[misc]
    """GaussianHMM whose EM convergence is judged on log-likelihood + log prior.

    hmmlearn's M-step already maximises the posterior when means_weight / covars_prior are
    set, but its monitor watches the likelihood alone, which a prior may lower: EM would stop
    after a step or two. The log prior of the diagonal Normal-inverse-gamma prior whose
    maximum is hmmlearn's M-step (up to a constant) is
    sum over states and features of -(covars_weight - 1)/2 ln var
    - (means_weight (mean - means_prior)^2 + covars_prior) / (2 var)."""

    def _compute_lower_bound(self, curr_logprob: float) -> float:
        var = self._covars_
        diff = self.means_ - self.means_prior
        log_prior = -0.5 * (self.covars_weight - 1) * np.log(var) - (
            self.means_weight * diff * diff + self.covars_prior
        ) / (2 * var)
        return float(curr_logprob + log_prior.sum())


def fingerprint(
    config: RegimeConfig,
    *,
    anchored_on: str | None,
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
        "anchor_weight": config.anchor_weight,
        "anchored_on": anchored_on,
        "labels": list(labels),
    }
    h = hashlib.sha256(json.dumps(header, sort_keys=True, separators=(",", ":")).encode())
    for arr in (scale_mean, scale_std, startprob, transmat, means, variances):
        h.update(_le(arr))
    return h.hexdigest()


def model_version(symbol: str, timeframe: str, fitted_at: int) -> str:
    return f"hmm-{symbol}-{timeframe}-{fitted_at}"


def fit_model(
    rows: Sequence[FeatureRow],
    symbol: str,
    timeframe: str,
    config: RegimeConfig,
    previous: RegimeModel | None = None,
) -> RegimeModel:
    """Fit the HMM on `rows` (a symbol's most recent feature rows, in time order), anchored on
    `previous` (the symbol's model before this refit) when given and `anchor_weight` > 0."""
    k = config.n_states
    if len(rows) < 10 * k:
        raise RegimeFitError(f"{symbol}: {len(rows)} rows, need at least {10 * k}")
    raw = observations(rows)
    mean = raw.mean(axis=0)
    std = raw.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    x = (raw - mean) / std
    anchor = previous if config.anchor_weight > 0 else None

    trans = np.full((k, k), 0.05 / (k - 1))
    np.fill_diagonal(trans, 0.95)
    hmm_args: dict[str, Any] = {
        "n_components": k,
        "covariance_type": "diag",
        "n_iter": config.n_iter,
        "tol": config.tol,
        "random_state": config.seed,
        "min_covar": config.min_covar,
        "init_params": "",
        "params": "stmc",
        "implementation": "log",
    }
    if anchor is None:
        # Deterministic initialisation: volatility terciles.
        order = np.argsort(x[:, _VOL], kind="stable")
        parts = np.array_split(order, k)
        init_means = np.stack([x[p].mean(axis=0) for p in parts])
        init_vars = np.stack([np.maximum(x[p].var(axis=0), config.min_covar) for p in parts])
        hmm = GaussianHMM(**hmm_args)
    else:
        # The previous model's states in this window's standardised units, as start and prior.
        w = config.anchor_weight
        init_means = (anchor.means * anchor.scale_std + anchor.scale_mean - mean) / std
        init_vars = np.maximum(anchor.variances * (anchor.scale_std / std) ** 2, config.min_covar)
        # hmmlearn's M-step: var = (covars_prior + ...) / (covars_weight - 1 + n), so the
        # previous variance counts as w bars, like the previous mean (means_weight).
        hmm = _AnchoredHMM(
            **hmm_args,
            means_prior=init_means,
            means_weight=w,
            covars_prior=w * init_vars,
            covars_weight=w + 1,
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
    anchored_on = anchor.sha256 if anchor is not None else None
    sha = fingerprint(
        config,
        anchored_on=anchored_on,
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
        anchored_on=anchored_on,
        sha256=sha,
        version=model_version(symbol, timeframe, fitted_at),
        log_likelihood=log_likelihood,
        converged=bool(hmm.monitor_.converged),
        iterations=int(hmm.monitor_.iter),
    )
