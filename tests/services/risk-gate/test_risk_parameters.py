"""The risk gate judges every bot with the values in force on control.parameters: the governor's
change guard accepts a change, the governor publishes it, the next signal uses it; a rollback
restores the old value; a refused change changes nothing. Domain level, with a fake policy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hive.audit import AuditChain
from hive.runtime import InboundRecord, RejectRecord
from hive.topics import CONTROL_PARAMETERS
from hive_governor import Governor
from hive_risk_gate import RiskGate
from hive_risk_gate.service import INPUTS, TABLES, make_handler

from support.governor import command, governor

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
SCORED: dict[str, Any] = json.loads((ROOT / "schemas/examples/signals_scored.json").read_text())
BOT: dict[str, Any] = json.loads((ROOT / "schemas/examples/registry_bots.json").read_text())
BOT_ID = BOT["bot_id"]  # follows fx-vip, the example signal's source (EURUSD)
T = SCORED["ts_event"]


class Policy:
    """Allows every order (up to 5 %), but not a symbol off the bot's allowlist."""

    def __init__(self) -> None:
        self.asked: list[dict[str, Any]] = []

    def __call__(self, inp: dict[str, Any]) -> dict[str, Any]:
        self.asked.append(inp)
        listed = inp["bot"]["allowed_symbols"]
        deny = [] if not listed or inp["signal"]["symbol"] in listed else ["allowlist.symbol"]
        return {
            "allow": not deny,
            "reasons": deny,
            "max_risk_pct": 5.0,
            "size_multiplier": 1.0,
            "shadow": False,
            "bundle_version": "fake",
        }


def hive(policy: Policy | None = None) -> tuple[Governor, RiskGate]:
    """A governor and a gate that know the example bot (1 % risk per trade, card `follow`)."""
    record = {**BOT, "strategy_card": "follow", "strategy_parameters": {}, "rule_overrides": {}}
    g = governor()
    g.on_bot(record, BOT_ID)
    gate = RiskGate(policy or Policy())
    gate.on_bot(record)
    return g, gate


def command_to_gate(
    g: Governor, gate: RiskGate, cmd: str, ts: int, cid: str, **params: str
) -> list[dict[str, Any]]:
    """A command to the governor; what it publishes on control.parameters reaches the gate."""
    published = [
        o
        for o in g.on_command(command(cmd, ts, scope_id=BOT_ID, params=params, command_id=cid))
        if o.topic == CONTROL_PARAMETERS
    ]
    for o in published:
        gate.on_parameter(o.value, o.key)
    return [o.value for o in published]


def signal(n: int) -> dict[str, Any]:
    """The example signal as a new revision (a new decision each time)."""
    return {**SCORED, "signal": {**SCORED["signal"], "revision": n}}


def decided(gate: RiskGate, n: int) -> Any:
    [decision] = gate.on_signal(signal(n))
    return decision


def test_risk_per_trade_halved_halves_the_next_intent_and_a_rollback_restores_it() -> None:
    g, gate = hive()
    before = decided(gate, 1)
    assert (before.intent["quantity"], before.intent["risk_amount"]) == (1.7, 581.4)
    command_to_gate(g, gate, "SET_PARAMETER", T, "half", name="risk_per_trade", value="0.005")
    half = decided(gate, 2)
    assert (half.intent["quantity"], half.intent["risk_amount"]) == (0.85, 290.7)
    command_to_gate(g, gate, "ROLLBACK_CHANGE", T + 1, "undo", change_id="half")
    after = decided(gate, 3)
    assert (after.intent["quantity"], after.intent["risk_amount"]) == (1.7, 581.4)


def test_a_refused_change_leaves_sizes_unchanged() -> None:
    g, gate = hive()
    assert (
        command_to_gate(g, gate, "SET_PARAMETER", T, "big", name="risk_per_trade", value="0.2")
        == []
    )
    assert decided(gate, 1).intent["quantity"] == 1.7


def test_a_min_confidence_in_force_denies_signals_below_it() -> None:
    g, gate = hive()
    command_to_gate(g, gate, "SET_PARAMETER", T, "mc", name="min_confidence", value="0.6")
    d = decided(gate, 1)  # the follow card's prior: 0.5
    assert not d.allowed and d.reasons == ["confidence.below_bot_minimum"]
    assert d.decision["details"]["bot_min_confidence"] == "0.6"
    command_to_gate(g, gate, "ROLLBACK_CHANGE", T + 1, "undo", change_id="mc")
    assert decided(gate, 2).allowed


def test_card_parameters_in_force_reach_the_card_unless_it_refuses_them() -> None:
    g, gate = hive()
    command_to_gate(g, gate, "SET_PARAMETER", T, "p7", name="card.prior", value="0.7")
    assert decided(gate, 1).decision["confidence_used"] == 0.7
    # accepted by the guard (text), refused by the card: the bot's own parameters stay
    command_to_gate(g, gate, "SET_PARAMETER", T + 1, "p2", name="card.prior", value="2")
    d = decided(gate, 2)
    assert d.allowed and d.decision["confidence_used"] == 0.5


def test_an_allowlist_in_force_narrows_the_bots_symbols() -> None:
    policy = Policy()
    g, gate = hive(policy)
    command_to_gate(g, gate, "SET_PARAMETER", T, "al", name="allowed_symbols", value="XAUUSD")
    d = decided(gate, 1)
    assert policy.asked[-1]["bot"]["allowed_symbols"] == ["XAUUSD"]
    assert not d.allowed and d.reasons == ["allowlist.symbol"]


def test_the_gate_reads_control_parameters_whole_at_start_and_dead_letters_bad_records() -> None:
    assert CONTROL_PARAMETERS in INPUTS and CONTROL_PARAMETERS in TABLES
    gate = RiskGate(Policy())
    handle = make_handler(gate, AuditChain("risk-gate"))
    with pytest.raises(RejectRecord) as err:
        handle(InboundRecord(CONTROL_PARAMETERS, 0, 0, "BOT:b1:x", {"name": "x"}))
    assert err.value.reason == "missing_field"
    key = f"BOT:{BOT_ID}:risk_per_trade"
    g, _ = hive()
    [record] = [
        o.value
        for o in g.on_command(
            command(
                "SET_PARAMETER",
                T,
                scope_id=BOT_ID,
                params={"name": "risk_per_trade", "value": "0.005"},
            )
        )
        if o.topic == CONTROL_PARAMETERS
    ]
    assert handle(InboundRecord(CONTROL_PARAMETERS, 0, 1, key, record)) == []
    assert gate.parameters.value("risk_per_trade", bot_id=BOT_ID) == "0.005"
    handle(InboundRecord(CONTROL_PARAMETERS, 0, 2, key, {}, tombstone=True))
    assert gate.parameters.in_force() == []
