"""The governor on real Kafka: a losing streak opens the bot's breaker on control.breakers and
its cell's after; killing the governor makes the risk gate and the executor refuse new
positions within their timeout, and a restarted governor lets them trade again; `hive audit
verify` catches an edited event of the governor's chain."""

from __future__ import annotations

import base64
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
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hive.audit_keys import AuditSigner, signature_ok
from hive.contracts import CodecRegistry, load_catalogue
from hive.contracts.serde import SerdeError, make_registry_client
from hive.runtime.replay import end_offsets, read_until
from hive_tools.publish import publish_records

from support.kafka import consumer, create_topics, skip_history

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
CATALOGUE = load_catalogue()
TRADE = json.loads((ROOT / "schemas/examples/trades_closed.json").read_text())
SCORED = json.loads((ROOT / "schemas/examples/signals_scored.json").read_text())
INTENT = json.loads((ROOT / "schemas/examples/orders_intents.json").read_text())
GOVERNOR_INPUTS = [
    "control.commands.v1",
    "hive.heartbeats.v1",
    "accounts.snapshots.v1",
    "trades.closed.v1",
    "orders.executions.v1",
    "orders.decisions.v1",
]
T0 = 1_497_427_511_000  # Wednesday 2017-06-14 08:05 UTC, no news window


def _start(module: str, tag: str, tmp_path: Path, **env: str) -> subprocess.Popen:
    log = (tmp_path / f"{module}-{time.monotonic_ns()}.log").open("w")
    full = {
        **os.environ,
        "HIVE_GROUP_ID": f"{module}-{tag}",
        "HIVE_INSTANCE_ID": tag,
        "HIVE_COMMIT_INTERVAL_MS": "200",
        **env,
    }
    return subprocess.Popen([sys.executable, "-m", module], env=full, stdout=log, stderr=log)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)


def _bots(tmp_path: Path, tag: str, names: list[str]) -> Path:
    doc = {
        "bots": [
            {
                "bot_id": f"{tag}-{name}",
                "cell": f"{tag}-cell",
                "account_size": 100_000,
                "account_currency": "USD",
                "rule_set": "ftmo_2step",
                "sources": [{"source": f"{tag}-src", "weight": 1.0}],
                "strategy_card": "follow",
                "strategy_parameters": {},
                "risk_per_trade": 1.0,
                "allowed_symbols": ["EURUSD"],
            }
            for name in names
        ]
    }
    path = tmp_path / "bots.yaml"
    path.write_text(yaml.safe_dump(doc))
    out = subprocess.run(
        ["hive", "bots", "apply", str(path), "--at", str(T0 - 60_000)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return path


def _losing_trade(tag: str, bot: str, n: int) -> dict[str, Any]:
    ts = T0 + n * 3_600_000
    order_id = f"o-{tag}-{bot}-{n}"
    return {
        **TRADE,
        "event_id": f"{order_id}:1",
        "trade_id": f"{order_id}:1",
        "order_id": order_id,
        "signal_id": f"{tag}-src:{n}:0",
        "bot_id": f"{tag}-{bot}",
        "cell_id": f"{tag}-cell",
        "ts_event": ts,
        "ts_init": ts,
        "exit_time": ts,
        "entry_time": ts - 1_800_000,
        "holding_time_ms": 1_800_000,
        "gross_pnl": -100.0,
        "commission": 0.0,
        "swap": 0.0,
        "pnl": -100.0,
        "r_multiple": -1.0,
        "exit_reason": "STOP_LOSS",
        "shadow": False,
        "shadow_reason": "NONE",
    }


def _read(bootstrap: str, codecs: CodecRegistry, topics: list[str], match: str, until, timeout_s):
    """Records of `topics` whose JSON mentions `match`, until `until(records)` or the timeout."""
    c = consumer(bootstrap, topics)
    got: list[tuple[str, dict[str, Any]]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while not until(got) and time.monotonic() < deadline:
            for m in c.consume(500, 0.3):
                if m.error() is None:
                    try:
                        v = codecs.codec(m.topic()).decode(m.value())
                    except SerdeError:
                        continue  # a dev broker's records from an earlier registry
                    if match in json.dumps(v):
                        got.append((m.topic(), v))
    finally:
        c.close()
    return got


def test_losing_streak_opens_bot_then_cell_breakers_and_audit_verify_catches_an_edit(
    hive_topics, tmp_path
):
    bootstrap = hive_topics["HIVE_KAFKA_BOOTSTRAP"]
    registry = hive_topics["HIVE_SCHEMA_REGISTRY_URL"]
    codecs = CodecRegistry(make_registry_client(registry), CATALOGUE)
    tag = f"gv{uuid.uuid4().hex[:6]}"
    _bots(tmp_path, tag, ["a", "b"])
    skip_history(bootstrap, f"hive_governor-{tag}", GOVERNOR_INPUTS)
    # No required services here: this test is about breakers, the next one about liveness.
    # It signs its audit chain with its own key (a fixed test key).
    signer = AuditSigner(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
    gov = _start(
        "hive_governor",
        tag,
        tmp_path,
        HIVE_GOVERNOR_REQUIRED_SERVICES="",
        HIVE_AUDIT_SIGNING_KEY=base64.b64encode(bytes(range(32))).decode(),
    )
    try:
        # Bot a loses 5 in a row (its breaker opens), then bot b 5 (the cell's 10th failure).
        trades = [_losing_trade(tag, "a", n) for n in range(5)]
        trades += [_losing_trade(tag, "b", n) for n in range(5, 10)]
        publish_records(trades, "trades.closed.v1", lambda r: r["bot_id"], bootstrap, registry)

        def opened(got: list) -> bool:
            return any(v["scope_level"] == "CELL" and v["state"] == "OPEN" for _, v in got)

        got = _read(bootstrap, codecs, ["control.breakers.v1"], tag, opened, 90)
    finally:
        _stop(gov)
    states = [v for _, v in got]
    opens = [
        (v["scope_level"], v["scope_id"], v["fallback_mode"])
        for v in states
        if v["state"] == "OPEN"
    ]
    assert (
        ("BOT", f"{tag}-a", "SHADOW_MODE") in opens
        and ("BOT", f"{tag}-b", "SHADOW_MODE") in opens
        and ("CELL", f"{tag}-cell", "REDUCED_CAPACITY") in opens
    ), f"{opens}; logs in {tmp_path}"
    first_bot = next(
        i for i, v in enumerate(states) if v["scope_level"] == "BOT" and v["state"] == "OPEN"
    )
    cell = next(i for i, v in enumerate(states) if v["scope_level"] == "CELL")
    assert first_bot < cell, "the bot's breaker opens before its cell's"
    assert all(v["cause"] == "LOSING_TRADE" for v in states if v["state"] == "OPEN")

    # Every transition is audited on the governor's chain, which verifies...
    chain: list[dict[str, Any]] = []
    read_until(
        bootstrap,
        end_offsets(bootstrap, ["audit.events.v1"]),
        codecs,
        lambda r: chain.append(r.value),
    )
    own = [e for e in chain if e["chain_id"] == "governor"]
    mine = [e for e in own if tag in e["scope_id"]]
    assert {e["action"] for e in mine} >= {"BREAKER_OPENED"}
    # ...each event it wrote signed by its key, through Kafka and the registry...
    public = signer.private_key.public_key()
    assert all(
        e["key_id"] == signer.key_id and signature_ok(public, e["hash"], e["signature"])
        for e in mine
    ), mine
    # ...and a copy of it with one event edited does not: `hive audit verify` says where.
    copy_topic = f"audit.copy.{tag}.v1"
    create_topics(bootstrap, [copy_topic], partitions=1)
    edited = [dict(e) for e in own]
    at = edited.index(next(e for e in edited if e["event_id"] == mine[0]["event_id"]))
    edited[at]["actor"] = "mallory"
    client = make_registry_client(registry)
    from confluent_kafka.schema_registry import Schema

    schema = CATALOGUE["audit.events.v1"].schema_str()
    client.register_schema(f"{copy_topic}-value", Schema(schema, "AVRO"))
    copies = CodecRegistry(client, CATALOGUE, {copy_topic: schema})
    from support.kafka import producer

    p = producer(bootstrap)
    for e in edited:
        p.produce(copy_topic, copies.codec(copy_topic).encode(e), e["chain_id"].encode())
    assert p.flush(30) == 0
    out = subprocess.run(
        ["hive", "audit", "verify", "--topic", copy_topic, "--chain", "governor"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"({mine[0]['event_id']}): hash does not match the content (edited)" in out.stdout


def test_killed_governor_stops_new_positions_and_a_restart_resumes_them(hive_topics, tmp_path):
    bootstrap = hive_topics["HIVE_KAFKA_BOOTSTRAP"]
    registry = hive_topics["HIVE_SCHEMA_REGISTRY_URL"]
    codecs = CodecRegistry(make_registry_client(registry), CATALOGUE)
    tag = f"gl{uuid.uuid4().hex[:6]}"
    source, bot = f"{tag}-src", f"{tag}-a"
    _bots(tmp_path, tag, ["a"])
    timeout = {"HIVE_GOVERNOR_TIMEOUT_S": "4"}
    skip_history(bootstrap, f"hive_governor-{tag}", GOVERNOR_INPUTS)
    skip_history(bootstrap, f"hive_risk_gate-{tag}", ["signals.scored.v1", "hive.heartbeats.v1"])
    skip_history(
        bootstrap,
        f"hive_executor-{tag}",
        ["orders.intents.v1", "market.bars.v1", "signals.updates.v1", "control.commands.v1", "hive.heartbeats.v1"],
    )  # fmt: skip
    gov = _start("hive_governor", tag, tmp_path, HIVE_GOVERNOR_REQUIRED_SERVICES="")
    gate = _start("hive_risk_gate", tag, tmp_path, **timeout)
    executor = _start("hive_executor", tag, tmp_path, **timeout)
    procs = [gov, gate, executor]

    def signal_at(n: int) -> dict[str, Any]:
        ts = T0 + n * 60_000
        sig = {**SCORED["signal"], "source": source, "message_id": str(n)}
        sig["signal_id"] = f"{source}:{n}:0"
        sig["event_id"] = f"{sig['signal_id']}:r0"
        sig["ts_event"] = sig["ts_init"] = sig["timestamp"] = ts
        return {**SCORED, "event_id": sig["event_id"], "ts_event": ts, "ts_init": ts, "signal": sig}

    def intent_at(n: int) -> dict[str, Any]:
        order_id = f"o-{tag}-{n}"
        return {**INTENT, "order_id": order_id, "event_id": f"{order_id}:r0", "bot_id": bot,
                "cell_id": f"{tag}-cell", "signal_id": f"{source}:{n}:0", "source": source}  # fmt: skip

    def decision_for(n: int) -> dict[str, Any]:
        want = f"{source}:{n}:0"
        got = _read(
            bootstrap, codecs, ["orders.decisions.v1"], want,
            lambda g: any(v["signal_id"] == want for _, v in g), 60,
        )  # fmt: skip
        return next(v for _, v in got if v["signal_id"] == want)

    def execution_for(n: int) -> dict[str, Any]:
        want = f"o-{tag}-{n}"
        got = _read(
            bootstrap, codecs, ["orders.executions.v1"], want,
            lambda g: any(v["order_id"] == want for _, v in g), 60,
        )  # fmt: skip
        return next(v for _, v in got if v["order_id"] == want)

    def publish(n: int) -> None:
        publish_records(
            [signal_at(n)],
            "signals.scored.v1",
            lambda r: r["signal"]["symbol"],
            bootstrap,
            registry,
        )
        publish_records(
            [intent_at(n)], "orders.intents.v1", lambda r: r["bot_id"], bootstrap, registry
        )

    def wait_until_running(running: list[subprocess.Popen]) -> None:
        """Until each process beats (its loop runs: heartbeats name the pid), then a few
        seconds more: a service that has just started judges nothing before it has read the
        governor's beats."""
        pids = {f"-{p.pid}-" for p in running}

        def seen(got: list) -> set[str]:
            return {pid for pid in pids for _, v in got if pid in v["instance_id"]}

        got = _read(bootstrap, codecs, ["hive.heartbeats.v1"], "", lambda g: seen(g) == pids, 90)
        assert seen(got) == pids, f"not all running; logs in {tmp_path}"
        time.sleep(5)

    try:
        wait_until_running(procs)
        publish(1)
        first = decision_for(1)
        assert first["allowed"], (first["reasons"], f"logs in {tmp_path}")
        assert execution_for(1)["status"] != "REJECTED"

        gov.send_signal(signal.SIGKILL)
        gov.wait(30)
        time.sleep(6)  # past the 4 s timeout
        publish(2)
        denied = decision_for(2)
        assert not denied["allowed"] and denied["reasons"] == ["guard.governor_silent"]
        refused = execution_for(2)
        assert (refused["status"], refused["reason"]) == ("REJECTED", "governor_silent")

        gov = _start("hive_governor", tag, tmp_path, HIVE_GOVERNOR_REQUIRED_SERVICES="")
        procs.append(gov)
        wait_until_running([gov])
        publish(3)
        assert decision_for(3)["allowed"]
        assert execution_for(3)["status"] != "REJECTED"
    finally:
        for proc in procs:
            _stop(proc)
