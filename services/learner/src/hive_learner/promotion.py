"""Judge a candidate against the current model on the most recent held-out trades.

A candidate is proposed for promotion only if, on the holdout (weighted per signal, no recency
decay):
1. it is better: log loss lower by at least `min_improvement` and Brier score not higher;
2. it is calibrated at least as well: ECE <= the current model's ECE + `ece_tolerance` + the
   ECE that sampling noise alone gives a perfectly calibrated model on a holdout this size
   (about 0.4 * sqrt(bins / n)); the bins adapt to the holdout (2 to 10, ~50 trades each).
   Without that allowance a 10-bin ECE on 60 trades is mostly noise (~0.16) and would veto
   candidates that are better on both proper scores;
3. it stays in the trust region: the mean KL(current || candidate) of the win probability
   over the holdout is at most `max_kl` (nats), so the confidence the gate sizes with never
   jumps in one release. With no current model (cold start) the baseline is the prior and
   there is no trust region: the prior is not a model anyone trades on.

Passing these makes a candidate a proposal, not a promotion: the governor's change guard decides
whether it is put in force (proposals.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
_CLIP = 1e-6


def _normalised(weights: FloatArray) -> FloatArray:
    total = float(weights.sum())
    if total <= 0:
        raise ValueError("the holdout has no weight")
    return weights / total


def log_loss(p: FloatArray, y: FloatArray, w: FloatArray) -> float:
    q = np.clip(p, _CLIP, 1 - _CLIP)
    return float(-(_normalised(w) * (y * np.log(q) + (1 - y) * np.log(1 - q))).sum())


def brier(p: FloatArray, y: FloatArray, w: FloatArray) -> float:
    return float((_normalised(w) * (p - y) ** 2).sum())


@dataclass(frozen=True)
class ReliabilityBin:
    lower: float
    upper: float
    weight: float  # share of the holdout's weight
    mean_predicted: float
    observed_rate: float


def reliability(
    p: FloatArray, y: FloatArray, w: FloatArray, bins: int = 10
) -> list[ReliabilityBin]:
    """The reliability curve: predicted vs observed win rate in equal-width probability bins."""
    wn = _normalised(w)
    index = np.minimum((p * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        m = index == b
        weight = float(wn[m].sum())
        if weight <= 0:
            continue
        out.append(
            ReliabilityBin(
                b / bins,
                (b + 1) / bins,
                weight,
                float((wn[m] * p[m]).sum() / weight),
                float((wn[m] * y[m]).sum() / weight),
            )
        )
    return out


def expected_calibration_error(
    p: FloatArray, y: FloatArray, w: FloatArray, bins: int = 10
) -> float:
    return sum(
        b.weight * abs(b.mean_predicted - b.observed_rate) for b in reliability(p, y, w, bins)
    )


def calibration_bins(effective_trades: float) -> int:
    """Bins for the ECE: about 50 trades each, between 2 and 10."""
    return int(min(10, max(2, effective_trades // 50)))


def ece_noise(effective_trades: float, bins: int) -> float:
    """Expected ECE of a perfectly calibrated model from sampling alone (p(1-p) <= 1/4):
    sum_b w_b * sqrt(2/pi) * 0.5 / sqrt(n w_b) <= sqrt(2/pi) * 0.5 * sqrt(bins / n)."""
    if effective_trades <= 0:
        return 1.0
    return math.sqrt(2 / math.pi) * 0.5 * math.sqrt(bins / effective_trades)


def effective_trades(w: FloatArray) -> float:
    """Kish's effective sample size of the weights."""
    squares = float((w * w).sum())
    return float(w.sum()) ** 2 / squares if squares > 0 else 0.0


def mean_kl(p_from: FloatArray, p_to: FloatArray, w: FloatArray) -> float:
    """Weighted mean of KL(Bernoulli(p_from) || Bernoulli(p_to)), in nats."""
    a = np.clip(p_from, _CLIP, 1 - _CLIP)
    b = np.clip(p_to, _CLIP, 1 - _CLIP)
    kl = a * np.log(a / b) + (1 - a) * np.log((1 - a) / (1 - b))
    return float((_normalised(w) * kl).sum())


@dataclass(frozen=True)
class PromotionRules:
    min_improvement: float = 0.0005  # nats of log loss
    ece_tolerance: float = 0.02
    max_kl: float = 0.05  # nats

    def to_dict(self) -> dict[str, str]:
        return {
            "min_improvement": f"{self.min_improvement:g}",
            "ece_tolerance": f"{self.ece_tolerance:g}",
            "max_kl": f"{self.max_kl:g}",
        }


@dataclass(frozen=True)
class Verdict:
    promote: bool
    reason: str
    metrics: dict[str, float] = field(default_factory=dict)


def _round(value: float) -> float:
    return float(f"{value:.6g}") if math.isfinite(value) else value


def judge(
    candidate: FloatArray,
    current: FloatArray,
    y: FloatArray,
    w: FloatArray,
    rules: PromotionRules,
    *,
    has_parent: bool,
    extra_metrics: Mapping[str, float] | None = None,
) -> Verdict:
    """Compare candidate and current win probabilities on the holdout outcomes `y`."""
    n_eff = effective_trades(w)
    bins = calibration_bins(n_eff)
    m = {
        "log_loss": log_loss(candidate, y, w),
        "brier": brier(candidate, y, w),
        "ece": expected_calibration_error(candidate, y, w, bins),
        "parent_log_loss": log_loss(current, y, w),
        "parent_brier": brier(current, y, w),
        "parent_ece": expected_calibration_error(current, y, w, bins),
        "ece_bins": float(bins),
        "ece_noise": ece_noise(n_eff, bins),
        "holdout_effective_trades": n_eff,
        "kl_to_parent": mean_kl(current, candidate, w),
        "holdout_win_rate": float((_normalised(w) * y).sum()),
        **(extra_metrics or {}),
    }
    m = {k: _round(v) for k, v in m.items()}
    baseline = "parent" if has_parent else "prior"
    gain = m["parent_log_loss"] - m["log_loss"]
    failures = []
    if gain < rules.min_improvement:
        failures.append(
            f"log loss {m['log_loss']:.4f} vs {baseline} {m['parent_log_loss']:.4f} "
            f"(gain {gain:.4f} < {rules.min_improvement:g})"
        )
    if m["brier"] > m["parent_brier"]:
        failures.append(f"Brier {m['brier']:.4f} > {baseline} {m['parent_brier']:.4f}")
    if m["ece"] > m["parent_ece"] + rules.ece_tolerance + m["ece_noise"]:
        failures.append(
            f"ECE {m['ece']:.4f} > {baseline} {m['parent_ece']:.4f} + {rules.ece_tolerance:g}"
            f" + noise {m['ece_noise']:.4f}"
        )
    if has_parent and m["kl_to_parent"] > rules.max_kl:
        failures.append(f"KL {m['kl_to_parent']:.4f} outside trust region {rules.max_kl:g}")
    if failures:
        return Verdict(False, "rejected: " + "; ".join(failures), m)
    trust = (
        f"KL {m['kl_to_parent']:.4f} within trust region {rules.max_kl:g}"
        if has_parent
        else "first release (no trust region)"
    )
    reason = (
        f"log loss {m['log_loss']:.4f} < {baseline} {m['parent_log_loss']:.4f}, "
        f"Brier {m['brier']:.4f} <= {m['parent_brier']:.4f}, ECE {m['ece']:.4f}; {trust}"
    )
    return Verdict(True, reason, m)
