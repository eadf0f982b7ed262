"""Changes that apply, end to end on Kafka with the real governor and risk gate: `hive control
set-parameter risk_per_trade` halves the next intent's quantity, `hive control rollback`
restores it, and a change the guard refuses leaves the sizes unchanged."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from hive.contracts import CodecRegistry, load_catalogue
from hive.contracts.serde import SerdeError, make_registry_client
from hive_tools.publish import publish_records

from support.kafka import consumer, skip_history, wait_until_read

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = load_catalogue()
SCORED = json.loads((ROOT / "schemas/examples/signals_scored.json").read_text())
T0 = 1_497_427_511_000  # Wednesday 2017-06-14 08:05 UTC, no news window
DAY = 86_400_000
GOVERNOR_INPUTS = [
    "control.commands.v1",
    "hive.heartbeats.v1",
    "accounts.snapshots.v1",
    "trades.closed.v1",
    "orders.executions.v1",
    "orders.decisions.v1",
]


def _start(module: str, tag: str, tmp_path: Path, **env: str) -> subprocess.Popen[bytes]:
    log = (tmp_path / f"{module}.log").open("w")
    full = {
        **os.environ,
        "HIVE_GROUP_ID": f"{module}-{tag}",
        "HIVE_INSTANCE_ID": tag,
        "HIVE_COMMIT_INTERVAL_MS": "200",
        **env,
    }
    return subprocess.Popen([sys.executable, "-m", module], env=full, stdout=log, stderr=log)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)


def _hive(*args: str) -> str:
    out = subprocess.run(["hive", *args], capture_output=True, text=True, check=False, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def _first(
    bootstrap: str,
    codecs: CodecRegistry,
    topics: list[str],
    match: Callable[[dict[str, Any]], bool],
    timeout_s: float = 90,
) -> tuple[Any, dict[str, Any]]:
    """The first message of `topics` whose decoded value `match` accepts, and that value (fails
    after the timeout)."""
    c = consumer(bootstrap, topics)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            for m in c.consume(500, 0.3):
                if m.error() is not None:
                    continue
                try:
                    v = codecs.codec(m.topic()).decode(m.value())
                except SerdeError:
                    continue  # a dev broker's records from an earlier registry
                if match(v):
                    return m, dict(v)
    finally:
        c.close()
    raise AssertionError(f"nothing matched on {topics} within {timeout_s} s")


def _read(
    bootstrap: str,
    codecs: CodecRegistry,
    topics: list[str],
    match: Callable[[dict[str, Any]], bool],
) -> dict[str, Any]:
    return _first(bootstrap, codecs, topics, match)[1]


def test_set_parameter_halves_the_next_intent_and_rollback_restores_it(hive_topics, tmp_path):
    bootstrap = hive_topics["HIVE_KAFKA_BOOTSTRAP"]
    registry = hive_topics["HIVE_SCHEMA_REGISTRY_URL"]
    codecs = CodecRegistry(make_registry_client(registry), CATALOGUE)
    tag = f"pc{uuid.uuid4().hex[:6]}"
    source, bot = f"{tag}-src", f"{tag}-a"
    doc = {
        "bots": [
            {
                "bot_id": bot,
                "cell": f"{tag}-cell",
                "account_size": 100_000,
                "account_currency": "USD",
                "rule_set": "ftmo_2step",
                "sources": [{"source": source, "weight": 1.0}],
                "strategy_card": "follow",
                "strategy_parameters": {},
                "risk_per_trade": 1.0,
                "allowed_symbols": ["EURUSD"],
            }
        ]
    }
    (tmp_path / "bots.yaml").write_text(yaml.safe_dump(doc))
    _hive("bots", "apply", str(tmp_path / "bots.yaml"), "--at", str(T0 - 60_000))
    # The change guard allows 3 changes a UTC day across the hive (the command's event time):
    # this test's commands are dated on a day of their own, so other runs cannot use it up.
    at = str(T0 + random.randrange(1, 20_000) * DAY)
    skip_history(bootstrap, f"hive_governor-{tag}", GOVERNOR_INPUTS)
    skip_history(bootstrap, f"hive_risk_gate-{tag}", ["signals.scored.v1", "hive.heartbeats.v1"])
    gov = _start("hive_governor", tag, tmp_path, HIVE_GOVERNOR_REQUIRED_SERVICES="")
    # The gate follows a model family no learner has released: the sizes below are the prior
    # confidence's, whatever model an earlier replay on this broker left in force.
    gate = _start("hive_risk_gate", tag, tmp_path, HIVE_RISK_MODEL_NAME=f"win-prob-{tag}")
    procs = [gov, gate]

    def intent_for(n: int) -> dict[str, Any]:
        ts = T0 + n * 60_000
        sig = {**SCORED["signal"], "source": source, "message_id": str(n)}
        sig["signal_id"] = f"{source}:{n}:0"
        sig["event_id"] = f"{sig['signal_id']}:r0"
        sig["ts_event"] = sig["ts_init"] = sig["timestamp"] = ts
        record = {**SCORED, "event_id": sig["event_id"], "ts_event": ts, "ts_init": ts}
        publish_records(
            [{**record, "signal": sig}], "signals.scored.v1", lambda r: r["signal"]["symbol"],
            bootstrap, registry,
        )  # fmt: skip
        return _read(
            bootstrap, codecs, ["orders.intents.v1"],
            lambda v: v["signal_id"] == sig["signal_id"] and v["bot_id"] == bot
            and not v["shadow"],
        )  # fmt: skip

    def command(*args: str) -> str:
        out = _hive("control", *args, "--bot", bot, "--actor", "it", "--reason", tag, "--at", at)
        found = re.search(r"\(command ([0-9a-f-]+)\)", out)
        assert found, out
        return found.group(1)

    def in_force(event_id: str) -> dict[str, Any]:
        record = _read(
            bootstrap, codecs, ["control.parameters.v1"], lambda v: v["event_id"] == event_id
        )
        time.sleep(2)  # the gate reads control.parameters beside the signals: let it catch up
        return record

    try:
        # The gate refuses new positions until it has seen a governor heartbeat (liveness, fail
        # closed): wait until it has read one of this governor's before sending signals.
        beat, _ = _first(
            bootstrap, codecs, ["hive.heartbeats.v1"],
            # a heartbeat's instance_id is "<host>-<pid>-<started_at>"
            lambda v: v["service"] == "governor"
            and v["instance_id"].rsplit("-", 2)[1] == str(gov.pid),
        )  # fmt: skip
        wait_until_read(
            bootstrap, f"hive_risk_gate-{tag}", beat.topic(), beat.partition(), beat.offset()
        )
        before = intent_for(1)
        assert (before["quantity"], before["risk_amount"]) == (1.7, 581.4), before

        change_id = command("set-parameter", "risk_per_trade", "0.005")
        applied = in_force(change_id)
        assert (applied["scope_id"], applied["name"], applied["value"]) == (
            bot,
            "risk_per_trade",
            "0.005",
        )
        half = intent_for(2)
        assert (half["quantity"], half["risk_amount"]) == (0.85, 290.7), half

        rollback_id = command("rollback", change_id)
        restored = in_force(rollback_id)
        assert (restored["value"], restored["previous_value"]) == (None, "0.005")
        after = intent_for(3)
        assert (after["quantity"], after["risk_amount"]) == (1.7, 581.4), after

        refused_id = command("set-parameter", "risk_per_trade", "0.2")  # above 5 % of equity
        audit = _read(
            bootstrap, codecs, ["audit.events.v1"],
            lambda v: v["chain_id"] == "governor" and refused_id in v["details"],
        )  # fmt: skip
        assert audit["action"] == "CHANGE_REFUSED"
        assert json.loads(audit["details"])["code"] == "outside_constitution"
        time.sleep(2)
        unchanged = intent_for(4)
        assert (unchanged["quantity"], unchanged["risk_amount"]) == (1.7, 581.4), unchanged
    finally:
        for proc in procs:
            _stop(proc)
    assert all(p.returncode == 0 for p in procs), f"logs in {tmp_path}"
