"""Updates as MODIFICATION decisions: one per bot holding the signal, exits always allowed, stops
moved away from the entry judged against what the bot could open now, foreign sources refused."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import fastavro
import pytest
from fastavro.validation import validate

from hive_risk_gate import RiskGate
from hive_risk_gate.held import HeldOrders
from hive_risk_gate.updates import UpdateInputError

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]


def _json(path: str) -> Any:
    return json.loads((ROOT / path).read_text(encoding="utf-8"))


DECISIONS = fastavro.parse_schema(_json("schemas/avro/orders_decisions.avsc"))
SCORED: dict[str, Any] = _json("schemas/examples/signals_scored.json")
UPDATE: dict[str, Any] = _json("schemas/examples/signals_updates.json")
BOT_RECORD: dict[str, Any] = _json("schemas/examples/registry_bots.json")
BREAKER: dict[str, Any] = _json("schemas/examples/control_breakers.json")
BOT = "ftmo-eurusd-01"
SIGNAL = "fx-vip:18423:0"


def allow_entries(inp: dict[str, Any]) -> dict[str, Any]:
    return {"allow": True, "reasons": [], "max_risk_pct": 5, "size_multiplier": 1, "shadow": False}


class ModificationPolicy:
    """Stands in for data.hive.modification.decision: allows, or answers `answer`."""

    def __init__(self, answer: dict[str, Any] | None = None, fail: bool = False) -> None:
        self.answer = answer or {"allow": True, "reasons": [], "bundle_version": "fake-m"}
        self.fail = fail
        self.calls: list[dict[str, Any]] = []

    def __call__(self, inp: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(inp)
        if self.fail:
            raise ConnectionError("OPA is down")
        return self.answer


def holding_gate(policy: ModificationPolicy | None = None) -> RiskGate:
    """The example bot (1 % risk per trade, 100,000 USD) holds 1.70 lots of the example signal:
    BUY EURUSD entry 1.1208, stop 1.1175."""
    gate = RiskGate(allow_entries, modification_policy=policy or ModificationPolicy())
    gate.on_bot(dict(BOT_RECORD, strategy_card="follow", strategy_parameters={}))
    [entry] = gate.on_signal(SCORED)
    assert entry.intent is not None
    assert (entry.intent["quantity"], entry.intent["entry"], entry.intent["stop_loss"]) == (
        1.7,
        1.1208,
        1.1175,
    )
    return gate


def update(action: str, n: int = 1, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = copy.deepcopy(UPDATE)
    record.update(fields, action=action, event_id=f"fx-vip:18431:r0:u{n}")
    return record


def halt(gate: RiskGate, mode: str) -> None:
    gate.on_breaker(
        dict(BREAKER, scope_level="GLOBAL", scope_id="global", fallback_mode=mode, transition_seq=1)
    )


def decide_one(gate: RiskGate, record: dict[str, Any]) -> dict[str, Any]:
    [decision] = gate.on_update(record)
    validate(decision.decision, DECISIONS, raise_errors=True)
    return decision.decision


def stop_of(gate: RiskGate) -> float | None:
    return gate.held.holders(SIGNAL)[0].stop_loss


def test_a_breakeven_is_a_decision_for_the_bot_holding_the_signal() -> None:
    d = decide_one(holding_gate(), update("BREAKEVEN"))
    assert d["event_id"] == f"fx-vip:18431:r0:u1:{BOT}"
    assert d["ts_event"] == d["ts_init"] == UPDATE["ts_event"]
    assert (d["kind"], d["allowed"], d["reasons"]) == (
        "MODIFICATION",
        True,
        ["modification.breakeven"],
    )
    assert (d["signal_id"], d["bot_id"], d["source"], d["order_id"]) == (
        SIGNAL,
        BOT,
        "fx-vip",
        "o-263ac0bef87beaff1eb4f2a6",
    )
    assert d["modification"] == {
        "update_event_id": "fx-vip:18431:r0:u1",
        "action": "BREAKEVEN",
        "price": None,
        "fraction": None,
        "tp_index": None,
        "adds_risk": False,
    }


def test_a_stop_widened_beyond_the_risk_per_trade_is_refused_with_its_reason() -> None:
    policy = ModificationPolicy()
    gate = holding_gate(policy)
    # 1.70 lots x (1.1208 - 1.1140) x 100,000 = 1,156 USD; 1 % of 100,000 = 1,000 allowed.
    d = decide_one(gate, update("MOVE_SL", price=1.1140))
    assert (d["allowed"], d["reasons"], d["risk_amount"]) == (
        False,
        ["modification.above_risk_per_trade"],
        1156.0,
    )
    assert d["modification"]["adds_risk"] is True
    assert (d["details"]["allowed_risk_amount"], d["details"]["cap"]) == ("1000", "risk_per_trade")
    assert policy.calls == []  # refused before the rule set is asked
    assert stop_of(gate) == 1.1175  # nothing moved


def _shape(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: _shape(v) for k, v in doc.items()}
    return type(doc).__name__ if not isinstance(doc, int | float) else "number"


def test_the_rule_set_is_asked_the_contracts_question() -> None:
    contract = (ROOT / "policies/CONTRACT.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)```", contract, re.DOTALL)
    question, answer = (json.loads(b) for b in blocks[2:4])
    policy = ModificationPolicy(answer)
    gate = holding_gate(policy)
    d = decide_one(gate, update("MOVE_SL", price=1.1160))
    [asked] = policy.calls
    assert _shape(asked) == _shape(question)
    assert asked["modification"]["risk_amount"] == question["modification"]["risk_amount"]
    assert (d["allowed"], d["policy_bundle_version"]) == (True, answer["bundle_version"])


def test_a_stop_widened_within_the_allowance_asks_the_rule_set_and_moves() -> None:
    policy = ModificationPolicy()
    gate = holding_gate(policy)
    d = decide_one(gate, update("MOVE_SL", price=1.1160))  # 816 USD at risk
    assert (d["allowed"], d["reasons"], d["risk_amount"], d["policy_bundle_version"]) == (
        True,
        [],
        816.0,
        "fake-m",
    )
    [asked] = policy.calls
    assert asked["modification"] == {
        "action": "MOVE_SL",
        "adds_risk": True,
        "risk_amount": 816.0,
        "risk_pct": pytest.approx(0.816),
        "allowed_risk_pct": 1.0,
    }
    assert (asked["bot"], asked["breaker"]) == (
        {"bot_id": BOT, "rule_set": "ftmo_2step", "status": "ACTIVE"},
        {"mode": "NONE"},
    )
    assert stop_of(gate) == 1.1160


def test_the_rule_set_denying_a_widening_refuses_it_with_the_rule_sets_reasons() -> None:
    policy = ModificationPolicy({"allow": False, "reasons": ["modification.bot_paused"]})
    gate = holding_gate(policy)
    d = decide_one(gate, update("MOVE_SL", price=1.1160))
    assert (d["allowed"], d["reasons"]) == (False, ["modification.bot_paused"])
    assert stop_of(gate) == 1.1175


@pytest.mark.parametrize(
    ("policy", "reason"),
    [
        (ModificationPolicy(fail=True), "policy.unavailable"),
        (ModificationPolicy({"allow": "yes"}), "policy.invalid_output"),
    ],
)
def test_a_widening_fails_closed_without_a_readable_answer(
    policy: ModificationPolicy, reason: str
) -> None:
    gate = holding_gate(policy)
    d = decide_one(gate, update("MOVE_SL", price=1.1160))
    assert (d["allowed"], d["reasons"]) == (False, [reason])
    assert stop_of(gate) == 1.1175


def test_a_tightening_goes_through_without_asking_the_rule_set() -> None:
    policy = ModificationPolicy(fail=True)
    gate = holding_gate(policy)
    d = decide_one(gate, update("MOVE_SL", price=1.1190))
    assert (d["allowed"], d["reasons"]) == (True, ["modification.tightens_stop"])
    assert policy.calls == []
    assert stop_of(gate) == 1.1190
    # From there, back to 1.1180 is a widening, but well within the allowance.
    policy.fail = False
    assert decide_one(gate, update("MOVE_SL", 2, price=1.1180))["allowed"] is True


@pytest.mark.parametrize("mode", ["HALTED", "SAFE_MODE"])
@pytest.mark.parametrize(
    ("action", "fields", "reason"),
    [
        ("BREAKEVEN", {}, "modification.breakeven"),
        ("CLOSE_ALL", {}, "modification.exit"),
        ("CLOSE_PARTIAL", {"fraction": 0.5}, "modification.exit"),
        ("CANCEL", {}, "modification.exit"),
        ("MOVE_SL", {"price": 1.1190}, "modification.tightens_stop"),
        ("MOVE_TP", {"price": 1.1300, "tp_index": 1}, "modification.no_added_risk"),
    ],
)
def test_exits_and_reductions_are_never_refused_during_halts_and_safe_mode(
    mode: str, action: str, fields: dict[str, Any], reason: str
) -> None:
    gate = holding_gate(ModificationPolicy(fail=True))  # OPA down too
    halt(gate, mode)
    gate.governor_alive = False  # and the governor silent
    d = decide_one(gate, update(action, **fields))
    assert (d["allowed"], d["reasons"], d["breaker_mode"]) == (True, [reason], mode)


@pytest.mark.parametrize("mode", ["HALTED", "SAFE_MODE"])
def test_a_widening_during_a_halt_is_refused(mode: str) -> None:
    policy = ModificationPolicy()
    gate = holding_gate(policy)
    halt(gate, mode)
    d = decide_one(gate, update("MOVE_SL", price=1.1170))
    assert (d["allowed"], d["reasons"]) == (False, ["modification.no_new_risk"])
    assert policy.calls == []


def test_a_widening_while_the_governor_is_silent_is_refused() -> None:
    gate = holding_gate()
    gate.governor_alive = False
    d = decide_one(gate, update("MOVE_SL", price=1.1170))
    assert (d["allowed"], d["reasons"]) == (False, ["guard.governor_silent"])


def test_reduced_capacity_halves_the_allowance() -> None:
    gate = holding_gate()
    halt(gate, "REDUCED_CAPACITY")
    d = decide_one(gate, update("MOVE_SL", price=1.1160))  # 816 > 500
    assert (d["allowed"], d["reasons"], d["details"]["allowed_risk_amount"]) == (
        False,
        ["modification.above_risk_per_trade"],
        "500",
    )


def test_a_partial_close_leaves_less_at_risk_for_a_later_widening() -> None:
    gate = holding_gate()
    assert decide_one(gate, update("CLOSE_PARTIAL", fraction=0.5))["allowed"] is True
    assert gate.held.holders(SIGNAL)[0].quantity == pytest.approx(0.85)
    d = decide_one(gate, update("MOVE_SL", 2, price=1.1140))  # 0.85 x 0.0068 x 100,000 = 578
    assert (d["allowed"], d["risk_amount"]) == (True, 578.0)


def test_a_foreign_sources_close_or_move_is_refused_and_changes_nothing() -> None:
    gate = holding_gate()
    cases: list[tuple[str, dict[str, Any]]] = [("CLOSE_ALL", {}), ("MOVE_SL", {"price": 1.1100})]
    for action, fields in cases:
        with pytest.raises(UpdateInputError) as refused:
            gate.on_update(update(action, source="eurusd-alerts", **fields))
        assert refused.value.reason == "foreign_signal"
        assert "of source 'eurusd-alerts' names signal fx-vip:18423:0 of source 'fx-vip'" in str(
            refused.value
        )
    [held] = gate.held.holders(SIGNAL)
    assert (held.stop_loss, held.quantity) == (1.1175, 1.7)


def test_informational_updates_and_unheld_signals_give_no_decision() -> None:
    gate = holding_gate()
    assert gate.on_update(update("TP_HIT", tp_index=1)) == []
    assert gate.on_update(update("SL_HIT")) == []
    assert gate.on_update(update("CLOSE_ALL", target_signal_id="fx-vip:1:0")) == []


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"action": "MOVE_SL", "price": None}, "invalid_price"),
        ({"action": "CLOSE_PARTIAL", "fraction": 1.5}, "invalid_fraction"),
        ({"action": "MOVE_TP", "price": 1.13, "tp_index": 0}, "invalid_tp_index"),
        ({"action": "DANCE"}, "unknown_action"),
        ({"target_signal_id": ""}, "bad_field"),
    ],
)
def test_an_update_that_cannot_be_applied_is_refused_as_input(
    fields: dict[str, Any], reason: str
) -> None:
    with pytest.raises(UpdateInputError) as refused:
        holding_gate().on_update({**UPDATE, **fields})
    assert refused.value.reason == reason


def test_a_restart_rebuilds_the_held_orders_from_what_the_gate_published() -> None:
    gate = holding_gate()
    intents = [i for d in gate.on_signal(SCORED) for i in (d.intent,) if i is not None]
    published = [d.decision for d in gate.on_update(update("MOVE_SL", price=1.1190))]
    published += [d.decision for d in gate.on_update(update("CLOSE_PARTIAL", 2, fraction=0.5))]
    before = gate.held.holders(SIGNAL)

    restarted = RiskGate(allow_entries)
    restarted.restore_held(intents, published)
    assert restarted.held.holders(SIGNAL) == before
    assert before[0].stop_loss == 1.1190
    assert before[0].quantity == pytest.approx(0.85)


def test_held_orders_older_than_the_horizon_are_forgotten() -> None:
    held = HeldOrders(horizon_ms=10 * 86_400_000)
    gate = holding_gate()
    [order] = gate.held.holders(SIGNAL)
    intent = {
        "order_id": order.order_id,
        "signal_id": SIGNAL,
        "bot_id": BOT,
        "cell_id": "ftmo",
        "source": "fx-vip",
        "symbol": "EURUSD",
        "side": "BUY",
        "entry": 1.1208,
        "stop_loss": 1.1175,
        "quantity": 1.7,
        "account_currency": "USD",
        "ts_event": 0,
    }
    held.apply_intent(intent)
    held.apply_intent({**intent, "signal_id": "later:1:0", "ts_event": 11 * 86_400_000})
    assert held.holders(SIGNAL) == []
    assert len(held.holders("later:1:0")) == 1
