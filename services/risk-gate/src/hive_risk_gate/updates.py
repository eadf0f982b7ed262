"""The management update as the gate reads it: a typed, checked view of a `signals.updates` record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from hive.contracts.readers import MISSING_FIELD, UNKNOWN_SYMBOL, RecordError, read
from hive.topics import SIGNALS_UPDATES

# What the channel reports about its own levels; the executor's fills decide when a level is
# hit, so these change nothing and need no decision.
INFORMATIONAL: Final = frozenset({"TP_HIT", "SL_HIT"})


class UpdateInputError(ValueError):
    """An update the gate refuses as input; `reason` is the dead letter's reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def _input_error(err: RecordError) -> UpdateInputError:
    if err.reason == UNKNOWN_SYMBOL and err.path == "action":
        return UpdateInputError("unknown_action", err.message)
    return UpdateInputError(
        "missing_field" if err.reason == MISSING_FIELD else "bad_field", err.message
    )


@dataclass(frozen=True)
class SignalUpdate:
    """The fields of an update that decide and apply it."""

    event_id: str
    ts_event: int
    source: str
    action: str
    target_signal_id: str
    symbol: str
    price: float | None
    fraction: float | None
    tp_index: int | None
    confidence: float

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> SignalUpdate:
        """Read a `signals.updates` record; raises `UpdateInputError` for one that cannot be
        applied (a MOVE_SL without a price, a fraction outside (0, 1], ...)."""
        r = read(SIGNALS_UPDATES, record, _input_error)
        action = r.symbol("action", known=True)
        price = r.opt_number("price")
        fraction = r.opt_number("fraction")
        tp_index = r.opt_integer("tp_index")
        if action in ("MOVE_SL", "MOVE_TP") and (price is None or price <= 0):
            raise UpdateInputError("invalid_price", f"{action} needs a positive price")
        if action == "MOVE_TP" and (tp_index is None or tp_index < 1):
            raise UpdateInputError("invalid_tp_index", "MOVE_TP needs tp_index >= 1")
        if action == "CLOSE_PARTIAL" and (fraction is None or not 0 < fraction <= 1):
            raise UpdateInputError("invalid_fraction", "CLOSE_PARTIAL needs 0 < fraction <= 1")
        return cls(
            event_id=r.nonempty("event_id"),
            ts_event=r.integer("ts_event"),
            source=r.nonempty("source"),
            action=action,
            target_signal_id=r.nonempty("target_signal_id"),
            symbol=r.nonempty("symbol"),
            price=price,
            fraction=fraction,
            tp_index=tp_index,
            confidence=min(1.0, max(0.0, r.number("confidence"))),
        )
