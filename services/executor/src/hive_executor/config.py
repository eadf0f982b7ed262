"""The executor's configuration (money in the account currency, durations in event-time ms)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from hive.market.timeframes import parse_timeframe

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True)
class ExecutorConfig:
    """How the paper broker fills and what it charges.

    timeframe: the bars the executor trades on (one per symbol); bars of other timeframes are
        ignored.
    slippage_pips: adverse slippage on every fill that is a market order at the venue: market
        entries, triggered stop entries, stop-loss exits and market closes (updates, flatten,
        risk limit). Limit-type fills (limit entries, take-profits) get none. Default 0.1 pip.
    commission_per_lot: per lot and per side, charged at entry and at each close leg.
        Default 3.5 (a typical raw-spread FX account; FTMO charges $3 per lot per side on FX).
    swap_long_per_lot / swap_short_per_lot: signed money per lot per night (negative = paid),
        charged to open positions at the daily rollover, 17:00 America/New_York on weekdays.
    triple_swap_weekday: the rollover charged three nights (Monday = 0; Wednesday = 2, the FX
        convention for the weekend).
    leverage: for margin = lots x contract size x price x fx / leverage. Default 100 (FTMO's
        1:100 on FX for standard accounts); only reported and checked against free margin.
    bar_buffer: bars kept per symbol for late intents (catch-up); 2000 H1 bars ~ 12 weeks.
    default_expiry_ms: lifetime of a pending LIMIT/STOP entry without `expires_at`.
    lot_step: quantities are whole multiples of it (partials rounded to it, never below it).
    dedupe_horizon_ms: how long (event time) a finished order id is remembered; an intent
        older than this behind the market is refused as `stale_intent` (it could be a
        duplicate of an order forgotten since).
    update_horizon_ms: how long (event time) an update is kept for intents of its signal that
        arrive after it.
    backup_venue: the broker adapter tried when a LIVE bot's own venue fails; None = none.
    """

    timeframe: str = "H1"
    slippage_pips: float = 0.1
    commission_per_lot: float = 3.5
    swap_long_per_lot: float = 0.0
    swap_short_per_lot: float = 0.0
    triple_swap_weekday: int = 2
    leverage: float = 100.0
    bar_buffer: int = 2000
    default_expiry_ms: int = DAY_MS
    lot_step: float = 0.01
    dedupe_horizon_ms: int = 30 * DAY_MS
    update_horizon_ms: int = 30 * DAY_MS
    backup_venue: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "timeframe", parse_timeframe(self.timeframe).name)
        checks = {
            "slippage_pips": math.isfinite(self.slippage_pips) and self.slippage_pips >= 0,
            "commission_per_lot": math.isfinite(self.commission_per_lot)
            and self.commission_per_lot >= 0,
            "swap_long_per_lot": math.isfinite(self.swap_long_per_lot),
            "swap_short_per_lot": math.isfinite(self.swap_short_per_lot),
            "triple_swap_weekday": 0 <= self.triple_swap_weekday <= 4,
            "leverage": math.isfinite(self.leverage) and self.leverage > 0,
            "bar_buffer": self.bar_buffer >= 1,
            "default_expiry_ms": self.default_expiry_ms > 0,
            "lot_step": math.isfinite(self.lot_step) and self.lot_step > 0,
            "dedupe_horizon_ms": self.dedupe_horizon_ms > 0,
            "update_horizon_ms": self.update_horizon_ms > 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid executor configuration: {', '.join(bad)}")
