"""Builders and a harness for the executor's unit tests (records as the topics carry them).

Every record the harness sees the engine emit is validated against its Avro schema.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import fastavro
from fastavro.validation import validate

from hive.topics import ACCOUNTS_SNAPSHOTS as SNAPSHOTS
from hive.topics import ORDERS_EXECUTIONS as EXECUTIONS
from hive.topics import TRADES_CLOSED as TRADES
from hive_executor import Executor, ExecutorConfig, Output

ROOT = Path(__file__).resolve().parents[2]
AVRO = ROOT / "schemas" / "avro"
EXAMPLES = ROOT / "schemas" / "examples"
H = 3_600_000
# Monday 2017-06-12 00:00 UTC (02:00 in Prague, CEST)
T0 = 1_497_225_600_000
FEATURES: dict[str, Any] = json.loads((EXAMPLES / "orders_intents.json").read_text())["features"]

SCHEMAS = {
    EXECUTIONS: fastavro.parse_schema(json.loads((AVRO / "orders_executions.avsc").read_text())),
    TRADES: fastavro.parse_schema(json.loads((AVRO / "trades_closed.avsc").read_text())),
    SNAPSHOTS: fastavro.parse_schema(json.loads((AVRO / "accounts_snapshots.avsc").read_text())),
}


def config(**changes: Any) -> ExecutorConfig:
    """No slippage and no commission unless a test asks: hand-checked prices stay simple."""
    base: dict[str, Any] = {"slippage_pips": 0.0, "commission_per_lot": 0.0}
    base.update(changes)
    return ExecutorConfig(**base)


def bar(
    i: int,
    o: float,
    h: float,
    lo: float,
    c: float,
    *,
    symbol: str = "EURUSD",
    spread: float | None = 0.0,
    basis: str = "ASK",
    t0: int = T0,
    timeframe: str = "H1",
) -> dict[str, Any]:
    """The i-th hourly bar after t0 (open time t0 + i h, ts_event its close)."""
    open_time = t0 + i * H
    return {
        "event_id": f"{symbol}:{timeframe}:{open_time}",
        "ts_event": open_time + H,
        "ts_init": open_time + H,
        "symbol": symbol,
        "timeframe": timeframe,
        "open_time": open_time,
        "open": o,
        "high": h,
        "low": lo,
        "close": c,
        "volume": None,
        "spread": spread,
        "spread_modelled": False,
        "price_basis": basis,
        "feed": "test",
    }


def flat(i: int, price: float, **kw: Any) -> dict[str, Any]:
    """A bar that does not move."""
    return bar(i, price, price, price, price, **kw)


def bot(
    bot_id: str = "b1",
    *,
    cell: str = "c1",
    size: float = 100_000.0,
    currency: str = "USD",
    tz: str = "Europe/Prague",
    rule_set: str = "ftmo_2step",
    mode: str = "PAPER",
    venue: str = "paper",
    status: str = "ACTIVE",
    deleted: bool = False,
    ts: int = T0 - H,
    version: int = 1,
) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((EXAMPLES / "registry_bots.json").read_text())
    record.update(
        event_id=f"{bot_id}:{version}",
        ts_event=ts,
        ts_init=ts,
        bot_id=bot_id,
        cell_id=cell,
        config_version=version,
        account_size=size,
        account_currency=currency,
        day_boundary_tz=tz,
        rule_set=rule_set,
        mode=mode,
        venue=venue,
        status=status,
        deleted=deleted,
        rule_overrides={},  # the rule set's limits; tests of overrides set their own
    )
    return record


def intent(
    order_id: str = "o-1",
    *,
    bot_id: str = "b1",
    cell: str = "c1",
    signal_id: str = "sig-1",
    revision: int = 0,
    symbol: str = "EURUSD",
    side: str = "BUY",
    order_type: str = "MARKET",
    entry: float | None = None,
    sl: float | None = None,
    tps: Iterable[float] = (),
    fractions: Iterable[float] | None = None,
    qty: float = 1.0,
    risk: float | None = None,
    ts: int = T0,
    shadow: bool = False,
    shadow_reason: str = "NONE",
    expires_at: int | None = None,
    mode: str = "PAPER",
    currency: str = "USD",
) -> dict[str, Any]:
    tps = list(tps)
    return {
        "event_id": f"{order_id}:r{revision}",
        "ts_event": ts,
        "ts_init": ts,
        "order_id": order_id,
        "signal_id": signal_id,
        "signal_revision": revision,
        "decision_event_id": f"{signal_id}:r{revision}:{bot_id}",
        "bot_id": bot_id,
        "cell_id": cell,
        "source": "test",
        "symbol": symbol,
        "side": side,
        "order_type": order_type,
        "entry": entry,
        "entry_low": None,
        "entry_high": None,
        "stop_loss": sl,
        "take_profits": tps,
        "tp_fractions": list(fractions) if fractions is not None else [1.0 / len(tps) for _ in tps],
        "quantity": qty,
        "risk_amount": risk,
        "account_currency": currency,
        "mode": mode,
        "venue": "paper",
        "shadow": shadow,
        "shadow_reason": shadow_reason,
        "breaker_mode": "NONE",
        "expires_at": expires_at,
        "confidence_used": 0.6,
        "model_version": None,
        "strategy_card": "follow",
        "policy_bundle_version": None,
        "features": copy.deepcopy(FEATURES),
    }


def update(
    action: str,
    *,
    ts: int,
    target: str = "sig-1",
    price: float | None = None,
    fraction: float | None = None,
    tp_index: int | None = None,
    event_id: str | None = None,
    symbol: str = "EURUSD",
) -> dict[str, Any]:
    return {
        "event_id": event_id or f"test:{action}:{ts}",
        "ts_event": ts,
        "ts_init": ts,
        "source": FEATURES["source"],  # the intents' own source
        "message_id": str(ts),
        "revision": 0,
        "update_index": 0,
        "action": action,
        "target_signal_id": target,
        "link_method": "REPLY",
        "symbol": symbol,
        "direction": None,
        "price": price,
        "fraction": fraction,
        "tp_index": tp_index,
        "confidence": 0.9,
        "raw_text": "",
        "reply_to": None,
        "parser_version": "test",
    }


def allowed_for(
    upd: Mapping[str, Any], bot_id: str = "b1", *, allowed: bool = True, source: str | None = None
) -> dict[str, Any]:
    """The risk gate's MODIFICATION decision on a `signals.updates` record for one bot (as the
    gate writes it: event_id = the update's + ':' + bot_id)."""
    return {
        "event_id": f"{upd['event_id']}:{bot_id}",
        "ts_event": upd["ts_event"],
        "ts_init": upd["ts_event"],
        "signal_id": upd["target_signal_id"],
        "signal_revision": 0,
        "bot_id": bot_id,
        "cell_id": "c1",
        "source": source or upd["source"],
        "symbol": upd["symbol"],
        "direction": "BUY",
        "allowed": allowed,
        "reasons": [] if allowed else ["modification.above_risk_per_trade"],
        "policy_bundle_version": None,
        "strategy_card": "follow",
        "requested_size": None,
        "approved_size": None,
        "risk_amount": None,
        "account_currency": "USD",
        "equity_used": None,
        "breaker_mode": "NONE",
        "confidence_used": 0.9,
        "confidence_source": "PARSER",
        "model_version": None,
        "regime": "UNKNOWN",
        "order_id": None,
        "shadow": False,
        "details": {},
        "kind": "MODIFICATION",
        "modification": {
            "update_event_id": upd["event_id"],
            "action": upd["action"],
            "price": upd["price"],
            "fraction": upd["fraction"],
            "tp_index": upd["tp_index"],
            "adds_risk": False,
        },
    }


def command(
    name: str,
    *,
    scope_level: str = "GLOBAL",
    scope_id: str = "global",
    command_id: str = "cmd-1",
    ts: int = 1_760_000_000_000,  # a wall-clock time years after the bars, as hub-api stamps
    role: str = "OPERATOR",
) -> dict[str, Any]:
    return {
        "event_id": command_id,
        "ts_event": ts,
        "ts_init": ts,
        "command_id": command_id,
        "command": name,
        "scope_level": scope_level,
        "scope_id": scope_id,
        "actor": "alice",
        "role": role,
        "reason": "test",
        "parameters": {},
        "origin": "hub-api",
        "cause_event_id": None,
    }


def breaker(
    scope_level: str, scope_id: str, mode: str, *, seq: int = 1, state: str = "OPEN"
) -> dict[str, Any]:
    return {
        "event_id": f"{scope_level}:{scope_id}:{seq}",
        "ts_event": T0,
        "ts_init": T0,
        "scope_level": scope_level,
        "scope_id": scope_id,
        "state": state,
        "previous_state": None,
        "fallback_mode": mode,
        "failure_count": 5,
        "failure_threshold": 5,
        "window_ms": 86_400_000,
        "reset_timeout_ms": 30_000,
        "opened_at": T0,
        "reset_at": None,
        "transition_seq": seq,
        "cause": "LOSING_TRADE",
        "cause_event_ids": [],
        "command_id": None,
    }


def check_record(out: Output) -> None:
    """The record is complete and valid against its topic's schema, keyed by bot_id."""
    validate(out.value, SCHEMAS[out.topic], raise_errors=True)
    assert out.key == out.value["bot_id"]


class Harness:
    """An engine plus everything it emitted (each record checked against its schema)."""

    def __init__(self, engine: Executor | None = None, **cfg: Any) -> None:
        self.engine = engine or Executor(config(**cfg))
        self.outputs: list[Output] = []

    def _take(self, outs: list[Output]) -> list[Output]:
        for out in outs:
            check_record(out)
        self.outputs.extend(outs)
        return outs

    def bot(self, record: Mapping[str, Any] | None = None, **kw: Any) -> list[Output]:
        rec = dict(record) if record is not None else bot(**kw)
        return self._take(self.engine.on_bot(rec, rec["bot_id"]))

    def bars(self, *records: Mapping[str, Any]) -> list[Output]:
        got: list[Output] = []
        for rec in records:
            got += self._take(self.engine.on_bar(rec))
        return got

    def intent(self, what: Mapping[str, Any] | str = "o-1", **kw: Any) -> list[Output]:
        """An intent record as given, or built with `intent(order_id, **kw)`."""
        record = what if isinstance(what, Mapping) else intent(what, **kw)
        return self._take(self.engine.on_intent(record))

    def update(
        self,
        action: str,
        *,
        bots: Iterable[str] = ("b1",),
        allowed: bool = True,
        source: str | None = None,
        **kw: Any,
    ) -> list[Output]:
        """A signal update as the risk gate passes it on: a MODIFICATION decision per bot."""
        upd = update(action, **kw)
        out: list[Output] = []
        for bot_id in bots:
            decision = allowed_for(upd, bot_id, allowed=allowed, source=source)
            out += self._take(self.engine.on_decision(decision))
        return out

    def command(self, name: str, **kw: Any) -> list[Output]:
        return self._take(self.engine.on_command(command(name, **kw)))

    def breaker(self, *args: Any, **kw: Any) -> list[Output]:
        return self._take(self.engine.on_breaker(breaker(*args, **kw)))

    # views
    def executions(self, order_id: str | None = None) -> list[dict[str, Any]]:
        return [
            o.value
            for o in self.outputs
            if o.topic == EXECUTIONS and (order_id is None or o.value["order_id"] == order_id)
        ]

    def statuses(self, order_id: str = "o-1") -> list[str]:
        return [e["status"] for e in self.executions(order_id)]

    def trades(self) -> list[dict[str, Any]]:
        return [o.value for o in self.outputs if o.topic == TRADES]

    def trade(self, order_id: str = "o-1") -> dict[str, Any]:
        found = [t for t in self.trades() if t["order_id"] == order_id]
        assert len(found) == 1, found
        return found[0]

    def snapshots(self, bot_id: str = "b1") -> list[dict[str, Any]]:
        return [o.value for o in self.outputs if o.topic == SNAPSHOTS and o.key == bot_id]

    def last_snapshot(self, bot_id: str = "b1") -> dict[str, Any]:
        return self.snapshots(bot_id)[-1]


def outputs_of(outs: list[Output], topic: str) -> list[dict[str, Any]]:
    return [o.value for o in outs if o.topic == topic]


def replay(engine: Executor, events: Iterable[tuple[str, Any]]) -> list[Output]:
    """Feed (kind, record) events to an engine; everything it emits, in order."""
    out: list[Output] = []
    for kind, record in events:
        if kind == "bot":
            out += engine.on_bot(record, record["bot_id"])
        elif kind == "bar":
            out += engine.on_bar(record)
        elif kind == "intent":
            out += engine.on_intent(record)
        elif kind == "decision":
            out += engine.on_decision(record)
        elif kind == "command":
            out += engine.on_command(record)
        elif kind == "breaker":
            out += engine.on_breaker(record)
        else:
            raise ValueError(kind)
    return out


def bundled_bars(n: int) -> list[dict[str, Any]]:
    from hive.market import read_bundled_eurusd

    bars: list[dict[str, Any]] = []
    for record in read_bundled_eurusd():
        bars.append({**record, "spread": 0.00008})
        if len(bars) == n:
            break
    return bars


def scenario(n_bars: int = 400, lag: int = 3) -> list[tuple[str, Any]]:
    """Three bots over the bundled bars: market, limit and stop entries with several TPs,
    updates, a shadow breaker, a flatten; intents arrive `lag` bars after their time."""
    bars = bundled_bars(n_bars)
    t0 = bars[0]["open_time"]
    events: list[tuple[str, Any]] = [
        ("bot", bot("b1", cell="c1", ts=t0)),
        ("bot", bot("b2", cell="c1", ts=t0, rule_set="strict")),
        ("bot", bot("b3", cell="c2", ts=t0, mode="LIVE", venue="mt5")),
    ]
    pending: list[tuple[int, tuple[str, Any]]] = []
    for i, b in enumerate(bars):
        events.append(("bar", b))
        if i % 17 == 5 and i + 1 < len(bars):
            price = b["close"]
            side = "BUY" if (i // 17) % 2 == 0 else "SELL"
            sign = 1 if side == "BUY" else -1
            kind = ("MARKET", "LIMIT", "STOP")[(i // 17) % 3]
            entry = (
                None
                if kind == "MARKET"
                else round(price - sign * 0.0005 * (1 if kind == "LIMIT" else -1), 5)
            )
            ref = entry if entry is not None else price
            sl = round(ref - sign * 0.0030, 5)
            tps = [round(ref + sign * 0.0020 * k, 5) for k in (1, 2, 3)]
            signal = f"sig-{i}"
            for n, bot_id in enumerate(("b1", "b2", "b3")):
                rec = intent(
                    f"o-{i}-{bot_id}",
                    bot_id=bot_id,
                    cell="c2" if bot_id == "b3" else "c1",
                    signal_id=signal,
                    side=side,
                    order_type=kind,
                    entry=entry,
                    sl=sl,
                    tps=tps,
                    qty=0.5 + n,
                    ts=b["ts_event"] + 60_000,
                    risk=100.0,
                    mode="LIVE" if bot_id == "b3" else "PAPER",
                )
                pending.append((i + lag, ("intent", rec)))
            if i % 3 == 0:
                upd = update("BREAKEVEN", ts=bars[i + 1]["ts_event"] + 1, target=signal)
                pending += [(i + 4, ("decision", allowed_for(upd, b))) for b in ("b1", "b2", "b3")]
            if i % 5 == 0:
                upd = update(
                    "CLOSE_PARTIAL", ts=b["ts_event"] + 7200_000, target=signal, fraction=0.5
                )
                pending += [(i + 2, ("decision", allowed_for(upd, b))) for b in ("b1", "b2", "b3")]
        if i == 150:
            events.append(("breaker", breaker("BOT", "b2", "SHADOW_MODE")))
        if i == 250:
            events.append(("breaker", breaker("BOT", "b2", "NONE", seq=2, state="CLOSED")))
        if i == 300:
            events.append(("command", command("FLATTEN", scope_level="CELL", scope_id="c1")))
        for _at, event in [p for p in pending if p[0] == i]:
            events.append(event)
        pending = [p for p in pending if p[0] != i]
    return events
