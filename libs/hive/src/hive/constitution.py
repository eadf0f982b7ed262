"""The constitution in code: the hard limits, the breaker modes and the rule-set names.

The one place the services take these from (risk gate, executor, governor, learner, hub, the
loss limits of `hive.limits`). The policies keep their own copy, as Rego constants that no input
can change (`policies/hive/constitution/constitution.rego`, rule sets in
`policies/hive/profiles/data.json`); `tests/structure/test_structure_constitution_topics.py`
checks the two agree and that no other module writes these names.
"""

from __future__ import annotations

from typing import Final, Literal

# The constitution (DESIGN.md; constitution.rego): cannot be changed at run time.
MAX_RISK_PER_POSITION_PCT: Final = 5.0  # % of equity a position may lose at its stop
MAX_DAILY_LOSS_PCT: Final = 3.0  # % of the day's starting balance
MAX_DRAWDOWN_PCT: Final = 10.0  # % below peak equity: hard stop
MIN_CONFIDENCE: Final = 0.40  # smallest calibrated confidence that may be traded
MAX_CHANGES_PER_DAY: Final = 3  # rule or parameter changes (governor; learner promotions)
MAX_ACTIVE_RULES: Final = 50

# Rule sets a bot may name: the prop-firm profiles of the policies, and the constitution alone.
RULE_SETS: Final = ("ftmo_2step", "ftmo_2step_swing", "strict", "constitution")
RuleSetName = Literal["ftmo_2step", "ftmo_2step_swing", "strict", "constitution"]

# Breaker fallback modes, least to most severe: the most severe mode in force over a bot
# (its own, its cell's, the global one) applies.
BREAKER_MODES: Final = ("NONE", "REDUCED_CAPACITY", "SHADOW_MODE", "SAFE_MODE", "HALTED")
BreakerMode = Literal["NONE", "REDUCED_CAPACITY", "SHADOW_MODE", "SAFE_MODE", "HALTED"]
BREAKER_SEVERITY: Final[dict[str, int]] = {m: i for i, m in enumerate(BREAKER_MODES)}

# Fallbacks a circuit breaker may trip to: each one is lifted by time (HALTED is for holds only).
BREAKER_FALLBACKS: Final = ("SHADOW_MODE", "REDUCED_CAPACITY", "SAFE_MODE")
BreakerFallback = Literal["SHADOW_MODE", "REDUCED_CAPACITY", "SAFE_MODE"]

# Modes in which no new position may be opened; exits and reductions always may.
NO_NEW_POSITIONS: Final = frozenset({"SAFE_MODE", "HALTED"})
# Size of a new position under REDUCED_CAPACITY, as a fraction of its normal size.
REDUCED_CAPACITY_MULTIPLIER: Final = 0.5


def normalise_breaker_mode(mode: str | None) -> BreakerMode:
    """A breaker mode as it is applied; absent is NONE, anything unrecognised fails safe."""
    if mode is None:
        return "NONE"
    if mode in BREAKER_SEVERITY:
        return mode  # type: ignore[return-value]
    return "SAFE_MODE"  # a mode from a newer writer: no new positions, exits allowed


def most_severe(modes: list[str]) -> BreakerMode:
    """The most severe of several breaker modes (NONE when there are none)."""
    found: BreakerMode = "NONE"
    for mode in modes:
        m = normalise_breaker_mode(mode)
        if BREAKER_SEVERITY[m] > BREAKER_SEVERITY[found]:
            found = m
    return found
