"""risk_per_trade's two units: a percent in the bots file and the hub's API (1 = 1 %), a fraction
on `registry.bots` (0.01), as the schema says. The contract converts here and nowhere else."""

from __future__ import annotations


def _round(x: float) -> float:
    """Drop binary noise from a percent/fraction conversion (0.07 * 100 -> 7.0, not 7.000...1)."""
    return float(f"{x:.12g}")


def percent_to_fraction(percent: float) -> float:
    return _round(percent / 100.0)


def fraction_to_percent(fraction: float) -> float:
    return _round(fraction * 100.0)
