"""Every record the governor emits validates against its Avro schema (fastavro), keys follow the
catalogue, ids are deterministic, and the audit chain verifies."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import fastavro
import pytest
from fastavro.validation import validate

from hive.audit import verify
from hive.topics import AUDIT_EVENTS, CONTROL_BREAKERS, CONTROL_COMMANDS, CONTROL_PARAMETERS
from hive_governor import Output

from support.governor import (
    T0,
    bot,
    command,
    decision,
    execution,
    governor,
    heartbeat,
    losses,
    snapshot,
    trade,
)

pytestmark = pytest.mark.unit

AVRO = Path(__file__).resolve().parents[3] / "schemas" / "avro"
SCHEMAS = {
    CONTROL_BREAKERS: "control_breakers.avsc",
    CONTROL_COMMANDS: "control_commands.avsc",
    CONTROL_PARAMETERS: "control_parameters.avsc",
    AUDIT_EVENTS: "audit_events.avsc",
}


def parsed(topic: str) -> Any:
    return fastavro.parse_schema(copy.deepcopy(json.loads((AVRO / SCHEMAS[topic]).read_text())))


def busy_day() -> list[Output]:
    """Every kind of output: breaker transitions at each level, holds, limits, escalation,
    commands applied and refused, changes, liveness."""
    g = governor(required_services=("risk-gate",), heartbeat_timeout_ms=1000)
    outs: list[Output] = []
    outs += g.on_bot(bot("b1", "c1", "strict"), "b1")
    for b, c in [("b1", "c1"), ("b2", "c1"), ("b3", "c2"), ("b4", "c2")]:
        outs += losses(g, 5, T0, bot=b, cell=c)
    outs += g.on_trade(trade("win", T0 + 400_000, pnl=10, bot="b2"))
    outs += g.on_execution(execution("rej", T0 + 400_001, "REJECTED", bot="b3", cell="c2"))
    for i in range(9):
        outs += g.on_decision(decision(f"d{i}", T0 + 400_100 + i, bot="b4", cell="c2"))
    outs += g.on_decision(decision("stale", T0 + 400_200, ["signal.stale"], bot="b2"))
    outs += g.on_snapshot(snapshot(1, T0 + 401_000, 98_000))
    outs += g.on_snapshot(snapshot(2, T0 + 402_000, 95_000, day_start=95_001))
    outs += g.on_command(command("RESUME", T0 + 403_000, role="OPERATOR"))
    outs += g.on_command(command("RESUME", T0 + 403_001, role="ADMIN"))
    outs += g.on_command(command("KILL_SWITCH", T0 + 404_000, level="GLOBAL", scope_id="global"))
    outs += g.on_command(command("HALT", T0 + 404_001, level="CELL", scope_id="c1"))
    outs += g.on_command(command("FLATTEN", T0 + 404_002, level="CELL", scope_id="c1"))
    outs += g.on_command(command("PAUSE", T0 + 404_003, scope_id="b2"))
    outs += g.on_command(command("LOCK", T0 + 404_004, scope_id="b2", role="VIEWER"))
    outs += g.on_command(command("UNLOCK", T0 + 404_005, scope_id="b4", role="ADMIN"))
    outs += g.on_command(command("RESET_BREAKER", T0 + 404_006, scope_id="b3"))
    outs += g.on_command(
        command(
            "SET_PARAMETER",
            T0 + 405_000,
            params={"name": "risk_per_trade", "value": "0.01"},
            command_id="chg",
        )
    )
    outs += g.on_command(
        command("SET_PARAMETER", T0 + 405_001, params={"name": "max_drawdown", "value": "20"})
    )
    outs += g.on_command(command("ROLLBACK_CHANGE", T0 + 405_002, params={"change_id": "chg"}))
    outs += g.check_liveness(1_763_850_000_000)
    outs += g.on_heartbeat(heartbeat("risk-gate", 1_763_850_000_500), 1_763_850_000_500)
    outs += g.check_liveness(1_763_850_010_000)
    outs += g.on_heartbeat(heartbeat("risk-gate", 1_763_850_011_000, seq=1), 1_763_850_011_000)
    return outs


def test_every_emitted_record_validates_against_its_schema() -> None:
    outs = busy_day()
    schemas = {topic: parsed(topic) for topic in SCHEMAS}
    seen = {o.topic for o in outs}
    assert seen == set(SCHEMAS)
    for o in outs:
        assert validate(o.value, schemas[o.topic], raise_errors=True), o


def test_the_busy_day_has_every_kind_of_record() -> None:
    outs = busy_day()
    actions = {o.value["action"] for o in outs if o.topic == AUDIT_EVENTS}
    assert actions >= {
        "BREAKER_OPENED",
        "BREAKER_HALF_OPEN",
        "BREAKER_CLOSED",
        "BREAKER_REOPENED",
        "BREAKER_RESET",
        "LIMIT_BREACHED",
        "ESCALATED",
        "COMMAND_APPLIED",
        "COMMAND_REFUSED",
        "CHANGE_APPLIED",
        "CONSTITUTION_CHANGE_REFUSED",
        "CHANGE_ROLLED_BACK",
        "SERVICE_SILENT",
        "SERVICE_RESTORED",
    }
    commands = {o.value["command"] for o in outs if o.topic == CONTROL_COMMANDS}
    assert commands == {"FLATTEN", "PAUSE", "LOCK"}
    levels = {o.value["scope_level"] for o in outs if o.topic == CONTROL_BREAKERS}
    assert levels == {"BOT", "CELL", "GLOBAL"}


def test_keys_ids_and_the_audit_chain() -> None:
    outs = busy_day()
    for o in outs:
        v = o.value
        if o.topic == CONTROL_BREAKERS:
            assert o.key == f"{v['scope_level']}:{v['scope_id']}"
            assert v["event_id"] == f"{o.key}:{v['transition_seq']}"
        elif o.topic == CONTROL_COMMANDS:
            assert o.key == f"{v['scope_level']}:{v['scope_id']}"
            assert (
                v["event_id"] == v["command_id"] == f"governor:{v['cause_event_id']}:{v['command']}"
            )
        elif o.topic == CONTROL_PARAMETERS:  # keyed by scope and name, id: the command's
            assert o.key == f"{v['scope_level']}:{v['scope_id']}:{v['name']}"
            assert (
                v["event_id"] in ("chg", f"cmd-rollback_change-bot-b1-{T0 + 405_002}")
                and v["ts_event"] == v["ts_init"]
            )
        else:
            assert o.key == "governor" and v["event_id"] == f"governor:{v['sequence']}"
    chain = [o.value for o in outs if o.topic == AUDIT_EVENTS]
    assert verify(chain) == []
    assert [e["sequence"] for e in chain] == list(range(len(chain)))
    # per scope, transitions are numbered from 1 without gaps
    seqs: dict[str, list[int]] = {}
    for o in outs:
        if o.topic == CONTROL_BREAKERS:
            seqs.setdefault(o.key, []).append(o.value["transition_seq"])
    assert all(s == list(range(1, len(s) + 1)) for s in seqs.values())


def test_the_same_inputs_give_the_same_outputs() -> None:
    assert busy_day() == busy_day()
