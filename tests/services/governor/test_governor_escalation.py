"""Escalation of a bot's repeated violations: shadow mode, then paused, then locked until an
admin unlocks it with a reason."""

from __future__ import annotations

import pytest

from hive_governor import EscalationConfig, Governor, Output
from hive_governor.breakers import BreakerConfig, LevelConfig
from hive_governor.escalation import LOCKED, PAUSED, SHADOW, Escalation

from support.governor import (
    T0,
    audits,
    bot,
    breakers,
    command,
    commands,
    decision,
    details,
    governor,
    snapshot,
    state_of,
)

pytestmark = pytest.mark.unit

# Breakers that never trip, so that only escalation acts on the bot's record here.
QUIET = BreakerConfig(
    bot=LevelConfig(1000, 30_000, 86_400_000, "SHADOW_MODE"),
    cell=LevelConfig(1000, 60_000, 86_400_000, "REDUCED_CAPACITY"),
    global_=LevelConfig(1000, 300_000, 86_400_000, "SAFE_MODE"),
)


def violate(g: Governor, n: int, start: int, *, mode: str = "NONE", tag: str = "v") -> list[Output]:
    outs: list[Output] = []
    for i in range(n):
        outs += g.on_decision(
            decision(
                f"{tag}{start + i}",
                start + i * 1000,
                ["constitution.max_risk_per_position"],
                breaker_mode=mode,
            )
        )
    return outs


def bot_state(g: Governor) -> tuple[str, str, str]:
    rec = state_of(g, "BOT:b1")
    assert rec is not None
    return rec["state"], rec["fallback_mode"], rec["cause"]


def test_the_ladder_shadow_paused_locked() -> None:
    g = governor(QUIET)
    outs = violate(g, 2, T0)
    assert breakers(outs) == []
    outs = violate(g, 1, T0 + 2000)
    [rec] = breakers(outs)
    assert (rec["state"], rec["fallback_mode"], rec["cause"], rec["reset_at"]) == (
        "OPEN",
        "SHADOW_MODE",
        "ESCALATION_SHADOW",
        None,
    )
    assert len(rec["cause_event_ids"]) == 3
    [esc] = audits(outs, "ESCALATED")
    assert (details(esc)["level"], details(esc)["violations"]) == ("SHADOW", 3)
    assert commands(outs) == []

    outs = violate(g, 3, T0 + 3000)
    assert bot_state(g) == ("OPEN", "HALTED", "ESCALATION_PAUSED")
    [pause] = commands(outs)
    last = f"v{T0 + 3000 + 2}"
    assert pause["command_id"] == f"governor:{last}:PAUSE" and pause["cause_event_id"] == last
    assert (pause["command"], pause["role"], pause["origin"]) == ("PAUSE", "SYSTEM", "governor")

    # a paused bot's denials are the pause working: not counted
    assert violate(g, 5, T0 + 10_000, mode="HALTED", tag="h") == []
    g.on_command(command("RESUME", T0 + 20_000))  # probation: the count stays
    assert bot_state(g)[0] == "CLOSED"
    outs = violate(g, 1, T0 + 21_000)  # 7 in the window: paused again
    assert bot_state(g) == ("OPEN", "HALTED", "ESCALATION_PAUSED")
    g.on_command(command("RESUME", T0 + 22_000))
    outs = violate(g, 2, T0 + 23_000)  # 8: paused again at once, 9: locked
    assert bot_state(g) == ("OPEN", "HALTED", "ESCALATION_LOCKED")
    assert [c["command"] for c in commands(outs)] == ["PAUSE", "LOCK"]


def locked_governor() -> Governor:
    g = governor(QUIET)
    violate(g, 9, T0)
    assert bot_state(g)[2] == "ESCALATION_LOCKED"
    return g


def test_resume_does_not_lift_a_lock() -> None:
    g = locked_governor()
    outs = g.on_command(command("RESUME", T0 + 60_000, role="ADMIN"))
    [refused] = audits(outs, "COMMAND_REFUSED")
    assert details(refused)["code"] == "nothing_to_resume"
    assert "UNLOCK" in details(refused)["message"]
    assert bot_state(g)[2] == "ESCALATION_LOCKED"


def test_unlock_needs_an_admin_and_a_reason_and_clears_the_count() -> None:
    g = locked_governor()
    outs = g.on_command(command("UNLOCK", T0 + 60_000, role="OPERATOR"))
    assert details(audits(outs, "COMMAND_REFUSED")[0])["code"] == "role_not_allowed"
    outs = g.on_command(command("UNLOCK", T0 + 61_000, role="ADMIN", reason="  "))
    assert details(audits(outs, "COMMAND_REFUSED")[0])["code"] == "reason_required"
    assert bot_state(g)[2] == "ESCALATION_LOCKED"
    outs = g.on_command(
        command("UNLOCK", T0 + 62_000, role="ADMIN", actor="root", reason="card fixed")
    )
    [rec] = breakers(outs)
    assert (rec["state"], rec["cause"]) == ("CLOSED", "COMMAND")
    [applied] = audits(outs, "COMMAND_APPLIED")
    assert details(applied)["lifted"] == ["ESCALATION_LOCKED"] and applied["actor"] == "root"
    # a fresh start: the next violation is the first
    assert violate(g, 2, T0 + 70_000, tag="n") == []
    assert bot_state(g)[0] == "CLOSED"


def test_violations_older_than_the_window_do_not_count() -> None:
    g = governor(QUIET, escalation=EscalationConfig(window_ms=10_000))
    for i in range(10):  # one every 6 s: never more than 2 in 10 s
        g.on_decision(decision(f"d{i}", T0 + i * 6000))
    assert g.breaker_states() == []


def test_stale_data_and_other_denials_are_not_violations() -> None:
    g = governor(QUIET)
    for i in range(10):
        g.on_decision(decision(f"s{i}", T0 + i, ["signal.stale"]))
        g.on_decision(decision(f"n{i}", T0 + i, ["news.blackout"]))
        g.on_decision(decision(f"a{i}", T0 + i, [], allowed=True))
    assert g.breaker_states() == []


def test_hard_limit_breaches_are_violations_too() -> None:
    g = governor(QUIET)
    g.on_bot(bot("b1", "c1", "strict"), "b1")
    violate(g, 2, T0)
    outs = g.on_snapshot(snapshot(1, T0 + 5000, 95_000, day_start=95_001))
    assert [a["action"] for a in audits(outs)] == ["LIMIT_BREACHED", "ESCALATED"]
    # the record shows the hard stop (more important than a shadow escalation)
    assert bot_state(g) == ("OPEN", "HALTED", "MAX_LOSS")


def test_escalation_config_is_checked() -> None:
    with pytest.raises(ValueError, match="shadow_at < pause_at < lock_at"):
        EscalationConfig(shadow_at=3, pause_at=3, lock_at=9)
    with pytest.raises(ValueError, match="window_ms"):
        EscalationConfig(window_ms=0)


def test_the_ladder_alone() -> None:
    e = Escalation(EscalationConfig(window_ms=100, shadow_at=1, pause_at=2, lock_at=3))
    first = e.violation("b", 0, "a", 0)
    assert first is not None and first.level == SHADOW
    assert e.resume("b") == SHADOW and e.level("b") == 0
    second = e.violation("b", 1, "b", 1)
    assert second is not None and (second.previous, second.level) == (0, PAUSED)
    third = e.violation("b", 2, "c", 2)
    assert third is not None and third.level == LOCKED
    assert e.resume("b") == 0  # not a lock
    assert e.unlock("b") == LOCKED and e.level("b") == 0
