"""Closed trades from a world whose true win probabilities are known (tests, benchmarks).

`World.win_probability(features)` is the truth: a logistic function of the source, regime,
direction, session, R:R and stop distance, i.e. a model the learner's encoding can express.
`generate_trades` draws signals, their outcomes from that truth, and one trades.closed record
(valid against the schema) per bot that followed or shadowed each signal.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DAY_MS = 86_400_000
START_MS = 1_483_315_200_000  # 2017-01-02 00:00 UTC, a Monday
SYMBOLS = ("EURUSD", "GBPUSD", "XAUUSD")
REGIMES = ("CALM", "TREND", "CHAOS")


def session_of(hour: int) -> str:
    if hour < 7:
        return "ASIA"
    if hour < 12:
        return "LONDON"
    if hour < 16:
        return "LONDON_NEW_YORK"
    if hour < 21:
        return "NEW_YORK"
    return "OFF_HOURS"


@dataclass(frozen=True)
class World:
    intercept: float = 0.1
    source: Mapping[str, float] = field(
        default_factory=lambda: {"alpha": 0.7, "beta": 0.0, "gamma": -0.6, "delta": 0.3}
    )
    regime: Mapping[str, float] = field(
        default_factory=lambda: {"CALM": 0.2, "TREND": 0.35, "CHAOS": -0.7}
    )
    direction: Mapping[str, float] = field(default_factory=lambda: {"BUY": 0.05, "SELL": -0.05})
    session: Mapping[str, float] = field(
        default_factory=lambda: {
            "ASIA": -0.3, "LONDON": 0.2, "LONDON_NEW_YORK": 0.25, "NEW_YORK": 0.0, "OFF_HOURS": -0.4,
        }
    )  # fmt: skip
    log_rr: float = -0.9  # farther targets are hit less often
    log_sl_atr: float = 0.3  # wider stops survive noise

    def logit(self, f: Mapping[str, Any]) -> float:
        return (
            self.intercept
            + self.source.get(str(f["source"]), 0.0)
            + self.regime.get(str(f["regime"]), 0.0)
            + self.direction.get(str(f["direction"]), 0.0)
            + self.session.get(str(f["session"]), 0.0)
            + self.log_rr * math.log(float(f["rr"]))
            + self.log_sl_atr * math.log(float(f["sl_atr"]))
        )

    def win_probability(self, f: Mapping[str, Any]) -> float:
        return 1.0 / (1.0 + math.exp(-self.logit(f)))

    def expected_r(self, f: Mapping[str, Any]) -> float:
        p = self.win_probability(f)
        return p * float(f["rr"]) - (1.0 - p)


def draw_features(rng: random.Random, signal_time: int, sources: list[str]) -> dict[str, Any]:
    posted = datetime.fromtimestamp(signal_time / 1000, tz=UTC)
    regime = rng.choice(REGIMES)
    top = rng.uniform(0.55, 0.95)
    rest = [r for r in REGIMES if r != regime]
    split = rng.uniform(0, 1 - top)
    probs = {regime: top, rest[0]: split, rest[1]: 1 - top - split}
    return {
        "source": rng.choice(sources),
        "symbol": rng.choice(SYMBOLS),
        "direction": rng.choice(("BUY", "SELL")),
        "order_type": rng.choice(("MARKET", "MARKET", "LIMIT")),
        "signal_time": signal_time,
        "parser_confidence": 0.95,
        "regime": regime,
        "regime_probabilities": probs,
        "regime_model_version": "hmm-synthetic-0001",
        "sl_atr": round(math.exp(rng.gauss(0.4, 0.45)), 4),
        "sl_pips": 30.0,
        "rr": round(math.exp(rng.gauss(0.35, 0.4)), 4),
        "tp_count": 1,
        "atr14": 0.0009,
        "spread_pips": 0.8,
        "realised_vol": 0.0005,
        "session": session_of(posted.hour),
        "hour_utc": posted.hour,
        "day_of_week": posted.isoweekday(),
        "stale": False,
        "implausible": False,
    }


def closed_trade(
    features: Mapping[str, Any],
    *,
    signal_id: str,
    bot_id: str,
    win: bool,
    exit_time: int,
    shadow_reason: str = "NONE",
) -> dict[str, Any]:
    """A trades.closed record for one bot's position on a signal (1 lot, 100 USD at risk)."""
    rr = float(features["rr"])
    r = rr - 0.02 if win else -1.02  # costs make a loss slightly worse than 1 R
    risk = 100.0
    entry_time = int(features["signal_time"]) + 60_000
    order_id = f"o-{signal_id}-{bot_id}"
    buy = features["direction"] == "BUY"
    entry = 1.1
    move = 0.001 * (rr if win else -1.0)
    exit_price = entry + move if buy else entry - move
    pnl = round(r * risk, 2)
    return {
        "event_id": f"{order_id}:1",
        "ts_event": exit_time,
        "ts_init": exit_time,
        "trade_id": f"{order_id}:1",
        "order_id": order_id,
        "signal_id": signal_id,
        "bot_id": bot_id,
        "cell_id": "synthetic",
        "symbol": features["symbol"],
        "side": features["direction"],
        "entry_time": entry_time,
        "entry_price": entry,
        "exit_time": exit_time,
        "exit_price": exit_price,
        "quantity": 1.0,
        "initial_stop_loss": entry - 0.001 if buy else entry + 0.001,
        "risk_amount": risk,
        "account_currency": "USD",
        "gross_pnl": pnl + 2.0,
        "commission": 2.0,
        "swap": 0.0,
        "pnl": pnl,
        "r_multiple": round(r, 4),
        "exit_reason": "TAKE_PROFIT" if win else "STOP_LOSS",
        "holding_time_ms": exit_time - entry_time,
        "legs": [],
        "mode": "PAPER",
        "shadow": shadow_reason != "NONE",
        "shadow_reason": shadow_reason,
        "limp": False,
        "features": dict(features),
    }


def generate_trades(
    n_signals: int,
    *,
    seed: int = 1,
    world: World | None = None,
    start_ms: int = START_MS,
    span_days: float = 90.0,
    max_bots: int = 3,
    shadow_share: float = 0.3,
    sources: list[str] | None = None,
    prefix: str = "syn",
) -> list[dict[str, Any]]:
    """Closed trades of `n_signals` signals in exit-time order. Each signal is followed by 1 to
    `max_bots` bots; with probability `shadow_share` a bot's trade is a COUNTERFACTUAL shadow
    (the gate skipped it). All bots on one signal share its outcome, as paper fills would."""
    world = world or World()
    rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not a secret
    names = sources or sorted(world.source)
    trades = []
    for i in range(n_signals):
        signal_time = start_ms + int(rng.uniform(0, span_days * DAY_MS))
        features = draw_features(rng, signal_time, names)
        win = rng.random() < world.win_probability(features)
        exit_time = signal_time + 60_000 + int(rng.uniform(1, 24) * 3_600_000)
        signal_id = f"{prefix}-{features['source']}:{i}:0"
        for b in range(rng.randint(1, max_bots)):
            reason = "COUNTERFACTUAL" if rng.random() < shadow_share else "NONE"
            trades.append(
                closed_trade(
                    features,
                    signal_id=signal_id,
                    bot_id=f"{prefix}-bot-{b}",
                    win=win,
                    exit_time=exit_time + b,
                    shadow_reason=reason,
                )
            )
    trades.sort(key=lambda t: (t["exit_time"], t["trade_id"]))
    return trades
