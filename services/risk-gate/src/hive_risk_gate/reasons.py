"""The reason codes of the gate's own decisions (denials, skips and guards)."""

from __future__ import annotations

from typing import Final


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
    # Below the bot's own min_confidence (a rule override or a change in force), which is
    # above the constitution's 0.40 (the policy's `confidence.below_minimum`).
    CONFIDENCE_BELOW_BOT_MINIMUM: Final = "confidence.below_bot_minimum"
    GUARD_NO_NEW_POSITIONS: Final = "guard.breaker_no_new_positions"
    # No governor heartbeat within the timeout: fail closed (DESIGN.md, liveness).
    GOVERNOR_SILENT: Final = "guard.governor_silent"
    EXIT_ALWAYS_ALLOWED: Final = "exit.always_allowed"
    # Modifications of a held order (an update): the first four always allow, the rest deny.
    MODIFICATION_EXIT: Final = "modification.exit"  # close, partial close, cancel
    MODIFICATION_BREAKEVEN: Final = "modification.breakeven"
    MODIFICATION_TIGHTENS: Final = "modification.tightens_stop"
    MODIFICATION_NO_ADDED_RISK: Final = "modification.no_added_risk"  # a TP, a stop in profit
    MODIFICATION_ABOVE_RISK_PER_TRADE: Final = "modification.above_risk_per_trade"
    MODIFICATION_NO_NEW_RISK: Final = "modification.no_new_risk"  # SAFE_MODE / HALTED

    @staticmethod
    def card_skipped(card: str) -> str:
        return f"card.{card}.skipped"

    @staticmethod
    def card_error(card: str) -> str:
        return f"card.{card}.error"

    @staticmethod
    def card_code(card: str, code: str) -> str:
        return f"card.{card}.{code}"
