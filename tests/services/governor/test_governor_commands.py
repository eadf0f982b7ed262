"""Commands on control.commands: halt / resume / flatten per bot, cell and globally, the kill
switch, pause / lock / unlock; every one applied or refused is audited with actor and reason."""

from __future__ import annotations

import pytest

from hive_governor import GovernorInputError

from support.governor import (
    T0,
    audits,
    breakers,
    command,
    commands,
    details,
    governor,
    losses,
    state_of,
)

pytestmark = pytest.mark.unit

SCOPES = [("BOT", "b1"), ("CELL", "c1"), ("GLOBAL", "global")]


@pytest.mark.parametrize(("level", "scope_id"), SCOPES)
def test_halt_and_resume_per_scope(level: str, scope_id: str) -> None:
    g = governor()
    outs = g.on_command(
        command("HALT", T0, level=level, scope_id=scope_id, actor="alice", reason="FOMC")
    )
    [rec] = breakers(outs)
    assert (rec["scope_level"], rec["scope_id"]) == (level, scope_id)
    assert (rec["state"], rec["fallback_mode"], rec["cause"], rec["reset_at"]) == (
        "OPEN",
        "HALTED",
        "COMMAND",
        None,
    )
    assert rec["command_id"] == f"cmd-halt-{level.lower()}-{scope_id}-{T0}"
    [applied] = audits(outs, "COMMAND_APPLIED")
    assert (applied["actor"], applied["role"], applied["scope_level"]) == (
        "alice",
        "OPERATOR",
        level,
    )
    assert details(applied)["reason"] == "FOMC"
    assert applied["cause_event_id"] == rec["command_id"]

    outs = g.on_command(
        command("RESUME", T0 + 1000, level=level, scope_id=scope_id, reason="after FOMC")
    )
    [rec] = breakers(outs)
    assert (rec["state"], rec["fallback_mode"], rec["previous_state"]) == ("CLOSED", "NONE", "OPEN")
    [applied] = audits(outs, "COMMAND_APPLIED")
    assert details(applied)["lifted"] == ["COMMAND"] and details(applied)["reason"] == "after FOMC"


@pytest.mark.parametrize(("level", "scope_id"), SCOPES)
def test_flatten_is_audited_and_changes_no_state(level: str, scope_id: str) -> None:
    g = governor()
    outs = g.on_command(command("FLATTEN", T0, level=level, scope_id=scope_id))
    assert breakers(outs) == [] and commands(outs) == []  # the executor acts on it itself
    assert [a["action"] for a in audits(outs)] == ["COMMAND_APPLIED"]


def test_kill_switch_halts_globally_and_flattens() -> None:
    g = governor()
    outs = g.on_command(
        command(
            "KILL_SWITCH",
            T0,
            level="GLOBAL",
            scope_id="global",
            role="ADMIN",
            reason="broker outage",
        )
    )
    [rec] = breakers(outs)
    assert (rec["scope_level"], rec["fallback_mode"], rec["cause"]) == (
        "GLOBAL",
        "HALTED",
        "KILL_SWITCH",
    )
    [flatten] = commands(outs)
    cid = f"cmd-kill_switch-global-global-{T0}"
    assert flatten["command_id"] == f"governor:{cid}:FLATTEN"
    assert (flatten["scope_level"], flatten["scope_id"], flatten["cause_event_id"]) == (
        "GLOBAL",
        "global",
        cid,
    )
    assert (
        details(audits(outs, "COMMAND_APPLIED")[0])["flatten_command_id"] == flatten["command_id"]
    )
    assert g.mode_for("any-bot", "any-cell") == "HALTED"
    # the FLATTEN coming back on control.commands is the governor's own: ignored
    assert g.on_command(flatten) == []
    outs = g.on_command(command("RESUME", T0 + 5000, level="GLOBAL", scope_id="global"))
    assert breakers(outs)[0]["state"] == "CLOSED"


def test_a_global_command_always_names_the_global_scope() -> None:
    g = governor()
    outs = g.on_command(command("HALT", T0, level="GLOBAL", scope_id="everything"))
    assert breakers(outs)[0]["scope_id"] == "global"


def test_pause_and_lock_are_bot_holds() -> None:
    g = governor()
    outs = g.on_command(command("PAUSE", T0))
    assert breakers(outs)[0]["cause"] == "PAUSED"
    outs = g.on_command(command("LOCK", T0 + 1))
    assert breakers(outs)[0]["cause"] == "LOCKED"  # a lock is shown over a pause
    outs = g.on_command(command("RESUME", T0 + 2))  # lifts the pause, the lock stays
    assert breakers(outs) == []
    assert details(audits(outs, "COMMAND_APPLIED")[0])["still_held"] == ["LOCKED"]
    outs = g.on_command(command("UNLOCK", T0 + 3, role="ADMIN", reason="checked"))
    assert breakers(outs)[0]["state"] == "CLOSED"


@pytest.mark.parametrize(
    ("cmd", "kwargs", "code"),
    [
        ("HALT", {"role": "VIEWER"}, "role_not_allowed"),
        ("RESUME", {"role": "SYSTEM"}, "role_not_allowed"),
        ("HALT", {"role": "UNKNOWN"}, "role_not_allowed"),
        ("HALT", {"reason": ""}, "reason_required"),
        ("PAUSE", {"level": "CELL", "scope_id": "c1"}, "bot_scope_only"),
        ("UNLOCK", {"level": "GLOBAL", "scope_id": "global", "role": "ADMIN"}, "bot_scope_only"),
        ("HALT", {"level": "UNKNOWN"}, "unknown_scope"),
        ("HALT", {"scope_id": ""}, "missing_scope_id"),
        ("UNKNOWN", {}, "unknown_command"),
        ("RESUME", {}, "nothing_to_resume"),
        ("UNLOCK", {"role": "ADMIN"}, "not_locked"),
    ],
)
def test_refused_commands_are_audited(cmd: str, kwargs: dict[str, str], code: str) -> None:
    g = governor()
    outs = g.on_command(command(cmd, T0, **kwargs))  # type: ignore[arg-type]
    assert breakers(outs) == [] and commands(outs) == []
    [refused] = audits(outs)
    assert refused["action"] == "COMMAND_REFUSED"
    assert details(refused)["code"] == code
    assert refused["actor"] == "alice" and refused["cause_event_id"] is not None
    assert g.breaker_states() == []


def test_swap_card_and_the_governors_own_commands_are_ignored() -> None:
    g = governor()
    assert g.on_command(command("SWAP_CARD", T0, params={"card": "follow"})) == []
    assert g.on_command(command("HALT", T0, origin="governor", role="SYSTEM")) == []
    assert g.breaker_states() == []


def test_a_redelivered_command_is_applied_once() -> None:
    g = governor()
    halt = command("HALT", T0)
    assert g.on_command(halt) != []
    assert g.on_command(halt) == []
    assert state_of(g, "BOT:b1")["transition_seq"] == 1  # type: ignore[index]


def test_a_cell_halt_hides_the_cell_breaker_until_resumed() -> None:
    g = governor()
    g.on_command(command("HALT", T0, level="CELL", scope_id="c1"))
    outs = losses(g, 10, T0 + 1000, bot="b1") + losses(g, 10, T0 + 1000, bot="b2", tag="x")
    assert [r["scope_level"] for r in breakers(outs)] == ["BOT", "BOT", "GLOBAL"]
    assert state_of(g, "CELL:c1")["fallback_mode"] == "HALTED"  # type: ignore[index]
    outs = g.on_command(command("RESUME", T0 + 20_000, level="CELL", scope_id="c1"))
    assert breakers(outs)[0]["fallback_mode"] == "REDUCED_CAPACITY"


def test_a_malformed_command_raises_the_input_error() -> None:
    g = governor()
    bad = command("HALT", T0)
    del bad["actor"]
    with pytest.raises(GovernorInputError) as err:
        g.on_command(bad)
    assert err.value.reason == "missing_field" and "actor" in str(err.value)
    with pytest.raises(GovernorInputError):
        g.on_command({**command("HALT", T0), "role": "ROOT"})
    with pytest.raises(GovernorInputError):
        g.on_command({**command("HALT", T0), "ts_event": "now"})


@pytest.mark.parametrize(("level", "scope_id"), [("BOT", "b1"), ("CELL", "c1"), ("UNKNOWN", "")])
def test_a_kill_switch_is_always_global(level: str, scope_id: str) -> None:
    g = governor()
    outs = g.on_command(command("KILL_SWITCH", T0, level=level, scope_id=scope_id))
    [rec] = breakers(outs)
    assert (rec["scope_level"], rec["scope_id"], rec["cause"]) == (
        "GLOBAL",
        "global",
        "KILL_SWITCH",
    )
    [flatten] = commands(outs)
    assert (flatten["scope_level"], flatten["scope_id"]) == ("GLOBAL", "global")
