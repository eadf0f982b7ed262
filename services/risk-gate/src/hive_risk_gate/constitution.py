"""The constitution's numbers the gate enforces in code, and the names it shares with the records.

The policies (`policies/hive/risk/`) enforce the constitution too; the gate repeats the few limits
that bound a position's size so that no policy bug, outage or answer can push an order above them.
"""

from __future__ import annotations

from typing import Final, Literal

# The constitution (DESIGN.md): cannot be changed at run time.
MAX_RISK_PER_POSITION_PCT: Final = 5.0  # % of equity
MAX_DAILY_LOSS_PCT: Final = 3.0
MAX_DRAWDOWN_PCT: Final = 10.0
MIN_CONFIDENCE: Final = 0.40

RULE_SETS: Final = ("ftmo_2step", "ftmo_2step_swing", "strict", "constitution")
RuleSet = Literal["ftmo_2step", "ftmo_2step_swing", "strict", "constitution"]

# Enum symbols of the Avro records the gate reads and writes.
DIRECTIONS: Final = ("BUY", "SELL")
ORDER_TYPES: Final = ("MARKET", "LIMIT", "STOP")
REGIMES: Final = ("UNKNOWN", "CALM", "TREND", "CHAOS")
CONFIDENCE_SOURCES: Final = ("MODEL", "PRIOR", "PARSER")
ConfidenceSource = Literal["MODEL", "PRIOR", "PARSER"]

BREAKER_MODES: Final = ("NONE", "REDUCED_CAPACITY", "SHADOW_MODE", "SAFE_MODE", "HALTED")
BreakerMode = Literal["NONE", "REDUCED_CAPACITY", "SHADOW_MODE", "SAFE_MODE", "HALTED"]
# Severity order: the most severe mode in force over a bot (bot, cell, global) applies.
BREAKER_SEVERITY: Final[dict[str, int]] = {m: i for i, m in enumerate(BREAKER_MODES)}
# Modes in which no new position may be opened (exits and reductions still are).
NO_NEW_POSITIONS: Final = frozenset({"SAFE_MODE", "HALTED"})
REDUCED_CAPACITY_MULTIPLIER: Final = 0.5


def normalise_breaker_mode(mode: str | None) -> BreakerMode:
    """A breaker mode as the gate applies it; UNKNOWN or anything unrecognised fails safe."""
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


class Reason:
    """Reason codes the gate itself gives (the policies add theirs, e.g. `profile.daily_loss`)."""

    POLICY_UNAVAILABLE: Final = "policy.unavailable"
    POLICY_INVALID_OUTPUT: Final = "policy.invalid_output"
    POLICY_DENIED: Final = "policy.denied"  # the policy denied without naming a rule
    CONFLICT_OUTVOTED: Final = "conflict.outvoted"
    CONFLICT_TIE: Final = "conflict.tie"
    CARD_UNAVAILABLE: Final = "card.unavailable"
    SIZING_BELOW_MIN_LOT: Final = "sizing.below_min_lot"
    SIZING_NO_STOP_LOSS: Final = "sizing.no_stop_loss"
    SIZING_NO_PRICE: Final = "sizing.no_price"
    SIZING_INVALID_STOP: Final = "sizing.invalid_stop"
    SIZING_UNKNOWN_INSTRUMENT: Final = "sizing.unknown_instrument"
    SIZING_NO_CONVERSION_RATE: Final = "sizing.no_conversion_rate"
    SIZING_NO_EQUITY: Final = "sizing.no_equity"
    ACCOUNT_CURRENCY_MISMATCH: Final = "account.currency_mismatch"
    GUARD_NO_NEW_POSITIONS: Final = "guard.breaker_no_new_positions"
    # No governor heartbeat within the timeout: fail closed (DESIGN.md, liveness).
    GOVERNOR_SILENT: Final = "guard.governor_silent"
    EXIT_ALWAYS_ALLOWED: Final = "exit.always_allowed"

    @staticmethod
    def card_skipped(card: str) -> str:
        return f"card.{card}.skipped"

    @staticmethod
    def card_error(card: str) -> str:
        return f"card.{card}.error"

    @staticmethod
    def card_code(card: str, code: str) -> str:
        return f"card.{card}.{code}"
