"""The change guard: parameter changes applied within the constitution, refused otherwise, at
most 3 a day across the whole hive (UTC day of the command's event time), rollback by id."""

from __future__ import annotations

import pytest

from hive_governor import Governor
from hive_governor.change_guard import ChangeGuard, utc_day

from support.governor import T0, audits, bot, breakers, command, details, governor

pytestmark = pytest.mark.unit

DAY = 86_400_000


def set_param(
    g: Governor,
    name: str,
    value: str,
    ts: int,
    *,
    scope_id: str = "b1",
    level: str = "BOT",
    role: str = "OPERATOR",
    cid: str | None = None,
) -> dict[str, object]:
    outs = g.on_command(
        command(
            "SET_PARAMETER",
            ts,
            level=level,
            scope_id=scope_id,
            role=role,
            params={"name": name, "value": value},
            command_id=cid,
        )
    )
    assert breakers(outs) == []
    [audit] = audits(outs)
    return audit


def rollback(g: Governor, change_id: str, ts: int) -> dict[str, object]:
    [audit] = audits(g.on_command(command("ROLLBACK_CHANGE", ts, params={"change_id": change_id})))
    return audit


def test_a_change_within_the_constitution_is_applied_with_old_and_new_value() -> None:
    g = governor()
    g.on_bot(bot("b1", "c1", risk_per_trade=0.02), "b1")
    audit = set_param(g, "risk_per_trade", "0.01", T0, cid="chg-1")
    d = details(audit)  # type: ignore[arg-type]
    assert audit["action"] == "CHANGE_APPLIED" and audit["actor"] == "alice"
    assert (d["change_id"], d["name"], d["old_value"], d["new_value"]) == (
        "chg-1",
        "risk_per_trade",
        "0.02",
        "0.01",
    )
    assert d["day"] == "2017-06-14" and d["changes_that_day"] == 1
    # the next change of the same parameter starts from the value the last one set
    d2 = details(set_param(g, "risk_per_trade", "0.015", T0 + 1, cid="chg-2"))  # type: ignore[arg-type]
    assert d2["old_value"] == "0.01"


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("risk_per_trade", "0.06", "outside_constitution"),  # above 5 % of equity
        ("risk_per_trade", "0", "outside_constitution"),
        ("daily_loss_pct", "3.5", "outside_constitution"),  # above the constitution's 3 %
        ("max_loss_pct", "12", "outside_constitution"),
        ("min_confidence", "0.39", "outside_constitution"),
        ("risk_per_trade", "lots", "invalid_value"),
        ("risk_per_trade", "nan", "invalid_value"),
        ("leverage", "30", "unknown_parameter"),
        ("", "1", "missing_parameter"),
    ],
)
def test_changes_outside_the_constitution_are_refused(name: str, value: str, code: str) -> None:
    g = governor()
    audit = set_param(g, name, value, T0)
    assert audit["action"] == "CHANGE_REFUSED"
    assert details(audit)["code"] == code  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name",
    [
        "max_drawdown",
        "max_drawdown_pct",
        "constitution.max_daily_loss_pct",
        "Constitution",
        "max_changes_per_day",
    ],
)
def test_the_constitution_and_max_drawdown_can_never_be_changed(name: str) -> None:
    g = governor()
    audit = set_param(g, name, "5", T0, level="GLOBAL", scope_id="global", role="ADMIN")
    assert audit["action"] == "CONSTITUTION_CHANGE_REFUSED"
    assert audit["scope_level"] == "GLOBAL" and audit["role"] == "ADMIN"
    assert "constitution" in details(audit)["message"]  # type: ignore[arg-type]


def test_at_most_three_changes_a_day_across_the_whole_hive() -> None:
    g = governor()
    # three changes at three different scopes use the hive's one budget of the day
    assert set_param(g, "risk_per_trade", "0.01", T0)["action"] == "CHANGE_APPLIED"
    assert set_param(g, "risk_per_trade", "0.02", T0 + 1, scope_id="b2")["action"] == (
        "CHANGE_APPLIED"
    )
    third = set_param(g, "daily_loss_pct", "2", T0 + 2, level="CELL", scope_id="c1")
    assert third["action"] == "CHANGE_APPLIED"
    assert details(third)["changes_that_day"] == 3  # type: ignore[arg-type]
    # refused and constitution-refused proposals do not use the budget
    set_param(g, "max_drawdown", "20", T0 + 10)
    fourth = set_param(g, "daily_loss_pct", "2", T0 + 20)
    assert fourth["action"] == "CHANGE_REFUSED"
    assert details(fourth)["code"] == "daily_change_limit"  # type: ignore[arg-type]
    assert details(fourth)["message"] == (  # type: ignore[arg-type]
        "the hive already had 3 changes on 2017-06-14 (UTC); the constitution allows 3 a day "
        "across the hive"
    )
    # another scope, even the global one, has no budget of its own
    fifth = set_param(g, "min_confidence", "0.5", T0 + 30, level="GLOBAL", scope_id="global")
    assert details(fifth)["code"] == "daily_change_limit"  # type: ignore[arg-type]
    # the next UTC day the hive has a new budget
    midnight = (T0 // DAY + 1) * DAY
    assert set_param(g, "daily_loss_pct", "2", midnight - 1)["action"] == "CHANGE_REFUSED"
    assert set_param(g, "daily_loss_pct", "2", midnight)["action"] == "CHANGE_APPLIED"


def test_rollback_by_id() -> None:
    g = governor()
    g.on_bot(bot("b1", "c1", risk_per_trade=0.02), "b1")
    set_param(g, "risk_per_trade", "0.01", T0, cid="chg-1")
    set_param(g, "daily_loss_pct", "2", T0 + 1, cid="chg-2")
    set_param(g, "risk_per_trade", "0.005", T0 + 2, cid="chg-3")
    # chg-1 was followed by chg-3 on the same parameter: that one goes first
    refused = rollback(g, "chg-1", T0 + 3)
    assert refused["action"] == "ROLLBACK_REFUSED" and details(refused)["code"] == "superseded"  # type: ignore[arg-type]
    done = rollback(g, "chg-3", T0 + 4)
    d = details(done)  # type: ignore[arg-type]
    assert done["action"] == "CHANGE_ROLLED_BACK" and done["scope_id"] == "b1"
    assert (d["name"], d["old_value"], d["new_value"]) == ("risk_per_trade", "0.01", "0.005")
    assert rollback(g, "chg-1", T0 + 5)["action"] == "CHANGE_ROLLED_BACK"  # back to 0.02
    # rollbacks are not counted: the day had 3 changes, and undoing stays possible
    assert details(rollback(g, "chg-2", T0 + 6))["old_value"] is None  # type: ignore[arg-type]
    again = rollback(g, "chg-2", T0 + 7)
    assert details(again)["code"] == "already_rolled_back"  # type: ignore[arg-type]
    assert details(rollback(g, "nope", T0 + 8))["code"] == "unknown_change"  # type: ignore[arg-type]
    outs = g.on_command(command("ROLLBACK_CHANGE", T0 + 9))
    assert details(audits(outs)[0])["code"] == "missing_change_id"


def test_a_viewer_cannot_propose_a_change() -> None:
    g = governor()
    audit = set_param(g, "risk_per_trade", "0.01", T0, role="VIEWER")
    assert audit["action"] == "COMMAND_REFUSED"
    assert details(audit)["code"] == "role_not_allowed"  # type: ignore[arg-type]


def test_the_learner_may_propose_as_system() -> None:
    g = governor()
    assert set_param(g, "min_confidence", "0.5", T0, role="SYSTEM")["action"] == "CHANGE_APPLIED"


def test_at_most_fifty_active_rules() -> None:
    guard = ChangeGuard(max_per_day=1000, max_active=2)
    for i, name in enumerate(("risk_per_trade", "daily_loss_pct")):
        v = guard.propose(
            change_id=f"c{i}",
            ts=T0,
            scope_key="BOT:b1",
            name=name,
            value="0.01",
            default=None,
            actor="a",
            reason="r",
        )
        assert v.accepted
    third = guard.propose(
        change_id="c9",
        ts=T0,
        scope_key="BOT:b1",
        name="min_confidence",
        value="0.5",
        default=None,
        actor="a",
        reason="r",
    )
    assert third.code == "max_active_rules"
    # a change of an active one is not a new rule
    assert guard.propose(
        change_id="c10",
        ts=T0,
        scope_key="BOT:b1",
        name="risk_per_trade",
        value="0.02",
        default=None,
        actor="a",
        reason="r",
    ).accepted
    assert ChangeGuard().max_active == 50 and ChangeGuard().max_per_day == 3


def test_the_day_is_the_utc_day_of_event_time() -> None:
    assert utc_day(T0) == "2017-06-14"
    assert utc_day((T0 // DAY + 1) * DAY - 1) == "2017-06-14"
    assert utc_day((T0 // DAY + 1) * DAY) == "2017-06-15"


def test_the_change_history_survives_a_restart_through_the_audit_trail() -> None:
    first = governor()
    outs = []
    for i in range(3):
        outs += first.on_command(
            command(
                "SET_PARAMETER",
                T0 + i,
                params={"name": "daily_loss_pct", "value": f"{i + 1}"},
                command_id=f"c{i}",
            )
        )
    outs += first.on_command(command("ROLLBACK_CHANGE", T0 + 10, params={"change_id": "c2"}))
    again = governor()
    for event in audits(outs):
        again.restore_audit(event)
    again.restore_audit({"chain_id": "hub-api", "action": "CHANGE_APPLIED"})  # not ours: skipped
    # the day's three changes are remembered, and so is what can be rolled back
    assert set_param(again, "risk_per_trade", "0.01", T0 + 20)["action"] == "CHANGE_REFUSED"
    assert details(rollback(again, "c2", T0 + 21))["code"] == "already_rolled_back"  # type: ignore[arg-type]
    done = rollback(again, "c1", T0 + 22)
    assert done["action"] == "CHANGE_ROLLED_BACK" and details(done)["old_value"] == "1"  # type: ignore[arg-type]


def learner_proposal(version: str, ts: int, *, model: str = "win-prob") -> dict[str, object]:
    """The learner's SET_PARAMETER for a release, as hive_learner.proposals builds it."""
    return command(
        "SET_PARAMETER",
        ts,
        level="GLOBAL",
        scope_id="global",
        role="SYSTEM",
        actor="learner",
        origin="learner",
        reason=f"promote {model} {version}: log loss 0.6500 < parent 0.6600",
        params={"name": f"model.{model}", "value": version},
        command_id=f"learner:{model}:{version}",
    )


def test_a_model_promotion_is_a_change_with_a_version_for_value() -> None:
    g = governor()
    [first] = audits(g.on_command(learner_proposal("0001", T0)))
    d = details(first)
    assert (first["action"], first["actor"], first["role"], first["scope_id"]) == (
        "CHANGE_APPLIED",
        "learner",
        "SYSTEM",
        "global",
    )
    assert (d["change_id"], d["name"], d["old_value"], d["new_value"], d["changes_that_day"]) == (
        "learner:win-prob:0001",
        "model.win-prob",
        None,
        "0001",
        1,
    )
    [second] = audits(g.on_command(learner_proposal("0002", T0 + 1)))
    assert (details(second)["old_value"], details(second)["new_value"]) == ("0001", "0002")
    assert g.changes.current("GLOBAL:global", "model.win-prob") == "0002"


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("model.win-prob", "", "invalid_value"),
        ("model.win-prob", "  ", "invalid_value"),
        ("model.win-prob", "win-prob:0001", "invalid_value"),
        ("model.", "0001", "unknown_parameter"),
        ("model.a:b", "0001", "unknown_parameter"),
    ],
)
def test_a_model_version_must_be_plain_text(name: str, value: str, code: str) -> None:
    g = governor()
    audit = set_param(g, name, value, T0, level="GLOBAL", scope_id="global", role="SYSTEM")
    assert (audit["action"], details(audit)["code"]) == ("CHANGE_REFUSED", code)  # type: ignore[arg-type]


def test_a_promotion_counts_in_the_day_and_the_fourth_change_is_refused_whatever_its_kind() -> None:
    # The day's 3 are the whole hive's: an operator's bot change, a learner promotion and a
    # global change use them up, and the next promotion is refused.
    g = governor()
    kw = {"level": "GLOBAL", "scope_id": "global", "role": "ADMIN"}
    assert set_param(g, "min_confidence", "0.5", T0, role="ADMIN")["action"] == "CHANGE_APPLIED"
    assert audits(g.on_command(learner_proposal("0001", T0 + 1)))[0]["action"] == "CHANGE_APPLIED"
    assert set_param(g, "daily_loss_pct", "2", T0 + 2, **kw)["action"] == "CHANGE_APPLIED"
    [fourth] = audits(g.on_command(learner_proposal("0002", T0 + 3)))
    assert (fourth["action"], details(fourth)["code"], details(fourth)["message"]) == (
        "CHANGE_REFUSED",
        "daily_change_limit",
        "the hive already had 3 changes on 2017-06-14 (UTC); the constitution allows 3 a day "
        "across the hive",
    )
    refused = set_param(g, "min_confidence", "0.6", T0 + 4, **kw)
    assert details(refused)["code"] == "daily_change_limit"  # type: ignore[arg-type]
    assert g.changes.current("GLOBAL:global", "model.win-prob") == "0001"


def test_a_promotion_rolled_back_puts_the_previous_version_back_then_none() -> None:
    g = governor()
    g.on_command(learner_proposal("0001", T0))
    g.on_command(learner_proposal("0002", T0 + 1))
    [back] = audits(
        g.on_command(
            command(
                "ROLLBACK_CHANGE",
                T0 + 2,
                level="GLOBAL",
                scope_id="global",
                params={"change_id": "learner:win-prob:0002"},
            )
        )
    )
    d = details(back)
    assert (back["action"], d["name"], d["old_value"], d["new_value"]) == (
        "CHANGE_ROLLED_BACK",
        "model.win-prob",
        "0001",
        "0002",
    )
    assert g.changes.current("GLOBAL:global", "model.win-prob") == "0001"
    g.on_command(
        command(
            "ROLLBACK_CHANGE",
            T0 + 3,
            level="GLOBAL",
            scope_id="global",
            params={"change_id": "learner:win-prob:0001"},
        )
    )
    assert g.changes.current("GLOBAL:global", "model.win-prob") is None


def test_the_refusals_a_proposer_watches_for_are_the_governors_refusal_actions() -> None:
    from hive.change_log import CHANGE_REFUSALS

    g = governor()
    refused = [
        set_param(g, "risk_per_trade", "0.9", T0),  # outside the constitution
        set_param(g, "max_drawdown", "20", T0 + 1),  # the constitution itself
        set_param(g, "risk_per_trade", "0.01", T0 + 2, role="VIEWER"),  # the role may not
    ]
    actions = [a["action"] for a in refused]
    assert actions == ["CHANGE_REFUSED", "CONSTITUTION_CHANGE_REFUSED", "COMMAND_REFUSED"]
    assert set(actions) == CHANGE_REFUSALS
