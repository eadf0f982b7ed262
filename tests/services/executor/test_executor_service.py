"""The executor on real Kafka: fills, trades and snapshots from intents and bars; SIGKILL in the
middle of a stream and a restart fill nothing twice and end where an undisturbed run ends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from hive.contracts import CodecRegistry, load_catalogue
from hive.contracts.serde import make_registry_client
from hive.market.csvreplay import read_bundled_eurusd
from hive_executor.engine import Executor, ExecutorConfig
from hive_tools.publish import publish_records

from support.kafka import consumer, skip_history

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
CATALOGUE = load_catalogue()
BOT_EXAMPLE = json.loads((ROOT / "schemas/examples/registry_bots.json").read_text())
INTENT_EXAMPLE = json.loads((ROOT / "schemas/examples/orders_intents.json").read_text())
LIVE_INPUTS = [
    "market.bars.v1",
    "orders.intents.v1",
    "orders.decisions.v1",
    "control.commands.v1",
    "hive.heartbeats.v1",
]
OUTPUTS = ["orders.executions.v1", "trades.closed.v1", "accounts.snapshots.v1"]
PIP = 0.0001


def _bot(tag: str) -> dict[str, Any]:
    return {
        **BOT_EXAMPLE,
        "event_id": f"{tag}-bot:1",
        "bot_id": f"{tag}-bot",
        "cell_id": f"{tag}-cell",
        "sources": [{"source": f"{tag}-src", "weight": 1.0}],
        "account_size": 100_000.0,
        "config_version": 1,
        "rule_set": "constitution",
        "ts_event": 1_483_000_000_000,
        "ts_init": 1_483_000_000_000,
    }


def _intent(tag: str, n: int, bar: dict[str, Any]) -> dict[str, Any]:
    """A market order 10 minutes into `bar`, SL 20 pips, one TP at 30 pips, 1 lot."""
    side = "BUY" if n % 2 == 0 else "SELL"
    ts = int(bar["open_time"]) + 600_000
    price = float(bar["open"])
    sign = 1 if side == "BUY" else -1
    order_id = f"o-{tag}-{n:03d}"
    return {
        **INTENT_EXAMPLE,
        "event_id": f"{order_id}:r0",
        "ts_event": ts,
        "ts_init": ts,
        "order_id": order_id,
        "signal_id": f"{tag}-src:{n}:0",
        "decision_event_id": f"{tag}-src:{n}:0:r0:{tag}-bot",
        "bot_id": f"{tag}-bot",
        "cell_id": f"{tag}-cell",
        "source": f"{tag}-src",
        "side": side,
        "order_type": "MARKET",
        "entry": price,
        "entry_low": None,
        "entry_high": None,
        "stop_loss": round(price - sign * 20 * PIP, 5),
        "take_profits": [round(price + sign * 30 * PIP, 5)],
        "tp_fractions": [1.0],
        "quantity": 1.0,
        "risk_amount": 200.0,
        "features": {**INTENT_EXAMPLE["features"], "source": f"{tag}-src", "direction": side},
    }


def _start(group: str, instance: str, tmp_path: Path) -> subprocess.Popen:
    log = (tmp_path / f"executor-{time.monotonic_ns()}.log").open("w")
    env = {
        **os.environ,
        "HIVE_GROUP_ID": group,
        "HIVE_INSTANCE_ID": instance,
        "HIVE_BATCH_MAX": "20",  # small transactions, so the kill lands between two of them
        "HIVE_GOVERNOR_TIMEOUT_S": "0",  # no governor here: test_governor_service.py has one
        "HIVE_EXECUTOR_SLIPPAGE_PIPS": "0.1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "hive_executor"], env=env, stdout=log, stderr=log
    )


class Outputs:
    """Everything the executor published for one bot, read committed."""

    def __init__(self, bootstrap: str, codecs: CodecRegistry, bot_id: str) -> None:
        self.c = consumer(bootstrap, OUTPUTS)
        self.codecs, self.bot_id = codecs, bot_id
        self.got: dict[str, list[dict[str, Any]]] = {t: [] for t in OUTPUTS}

    def poll_until(self, done: Any, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not done(self) and time.monotonic() < deadline:
            for m in self.c.consume(500, 0.3):
                if m.error() is None:
                    v = self.codecs.codec(m.topic()).decode(m.value())
                    if v.get("bot_id") == self.bot_id:
                        self.got[m.topic()].append(v)

    def filled(self) -> list[str]:
        return [e["order_id"] for e in self.got["orders.executions.v1"] if e["status"] == "FILLED"]

    def close(self) -> None:
        self.c.close()


def _reference(bot: dict[str, Any], bars: list[dict[str, Any]], intents: list[dict[str, Any]]):
    """The same inputs through the engine in process, each intent before the bar after it."""
    engine = Executor(ExecutorConfig(slippage_pips=0.1))
    engine.set_governor_alive(True)
    engine.on_bot(bot, bot["bot_id"])
    trades: dict[str, dict[str, Any]] = {}
    pending = sorted(intents, key=lambda i: i["ts_event"])
    for bar in bars:
        while pending and pending[0]["ts_event"] <= bar["open_time"]:
            engine.on_intent(pending.pop(0))
        for out in engine.on_bar(bar):
            if out.topic == "trades.closed.v1":
                trades[out.value["order_id"]] = out.value
    return trades


def test_sigkill_and_restart_fill_nothing_twice_and_match_an_undisturbed_run(hive_topics, tmp_path):
    bootstrap = hive_topics["HIVE_KAFKA_BOOTSTRAP"]
    registry = hive_topics["HIVE_SCHEMA_REGISTRY_URL"]
    codecs = CodecRegistry(make_registry_client(registry), CATALOGUE)
    tag = f"ex{uuid.uuid4().hex[:6]}"
    group, instance = f"executor-{tag}", tag
    bot = _bot(tag)
    bars = list(read_bundled_eurusd())[200:2200]
    intents = [_intent(tag, n, bars[10 + 10 * n]) for n in range(20)]
    intents += [_intent(tag, n, bars[230 + 20 * (n - 20)]) for n in range(20, 100)]
    wave1, wave2 = intents[:20], intents[20:]

    publish_records([bot], "registry.bots.v1", lambda r: r["bot_id"], bootstrap, registry)
    skip_history(bootstrap, group, LIVE_INPUTS)
    outputs = Outputs(bootstrap, codecs, bot["bot_id"])
    proc = _start(group, instance, tmp_path)
    try:
        by_symbol = lambda r: r["symbol"]  # noqa: E731
        by_bot = lambda r: r["bot_id"]  # noqa: E731
        publish_records(bars[:220], "market.bars.v1", by_symbol, bootstrap, registry)
        publish_records(wave1, "orders.intents.v1", by_bot, bootstrap, registry)
        outputs.poll_until(lambda o: len(set(o.filled())) >= len(wave1), 120)
        assert sorted(set(outputs.filled())) == sorted(i["order_id"] for i in wave1)

        # Every first-wave intent delivered again, then the rest of the stream in event-time
        # order, as a replay publishes it; the executor is killed while it works through it.
        publish_records(wave1, "orders.intents.v1", by_bot, bootstrap, registry)
        for start in range(220, len(bars), 200):
            chunk = bars[start : start + 200]
            due = [
                i for i in wave2 if chunk[0]["open_time"] <= i["ts_event"] < chunk[-1]["ts_event"]
            ]
            publish_records(due, "orders.intents.v1", by_bot, bootstrap, registry)
            publish_records(chunk, "market.bars.v1", by_symbol, bootstrap, registry)
        outputs.poll_until(lambda o: len(set(o.filled())) > len(wave1), 120)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        proc = _start(group, instance, tmp_path)
        done_before_kill = len(set(outputs.filled()))
        assert done_before_kill < len(intents), "the kill landed after the stream was done"
        expected = _reference(bot, bars, intents)
        outputs.poll_until(
            lambda o: {t["order_id"] for t in o.got["trades.closed.v1"]} >= set(expected), 180
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        outputs.close()

    filled = outputs.filled()
    assert sorted(filled) == sorted(i["order_id"] for i in intents), "each order filled once"
    trades = outputs.got["trades.closed.v1"]
    assert len(trades) == len({t["order_id"] for t in trades}), "no trade closed twice"
    assert expected, "the reference run closed trades"
    got = {t["order_id"]: t for t in trades}
    for order_id, ref in expected.items():
        t = got[order_id]
        assert (t["exit_time"], t["exit_price"], t["exit_reason"]) == (
            ref["exit_time"],
            ref["exit_price"],
            ref["exit_reason"],
        ), order_id
        assert t["pnl"] == pytest.approx(ref["pnl"])
    snaps = outputs.got["accounts.snapshots.v1"]
    last = max(snaps, key=lambda s: s["sequence"])
    assert len(snaps) == len({s["sequence"] for s in snaps}), "no snapshot published twice"
    closed_pnl = sum(t["pnl"] for t in trades if not t["shadow"])
    open_orders = set(filled) - set(got)
    assert not open_orders, f"still open: {sorted(open_orders)}"
    # Commissions and swaps are on the trades: the balance is the initial one plus their P&L.
    assert last["balance"] == pytest.approx(100_000.0 + closed_pnl, abs=0.01)
