"""Liveness: a required service that goes silent puts the global scope in SAFE_MODE (cause
SERVICE_SILENT) until it beats again. Wall-clock time, passed in as now_ms."""

from __future__ import annotations

import pytest

from hive_governor import Governor

from support.governor import audits, breakers, command, details, governor, heartbeat, state_of

pytestmark = pytest.mark.unit

W0 = 1_763_850_000_000  # a wall-clock instant
REQUIRED = ("risk-gate", "executor")


def watched(timeout: int = 15_000) -> Governor:
    return governor(required_services=REQUIRED, heartbeat_timeout_ms=timeout)


def beat_all(g: Governor, now: int, seq: int) -> list[object]:
    outs: list[object] = []
    for s in REQUIRED:
        outs += g.on_heartbeat(heartbeat(s, now, seq=seq), now)
    return outs


def test_silent_service_puts_global_in_safe_mode_until_it_beats_again() -> None:
    g = watched()
    assert g.check_liveness(W0) == []
    assert beat_all(g, W0 + 1000, 0) == []
    assert g.check_liveness(W0 + 16_000) == []  # 15 s since the last beats: still alive
    # the executor keeps beating; the risk gate does not
    assert g.on_heartbeat(heartbeat("executor", W0 + 15_000, seq=1), W0 + 15_000) == []
    outs = g.check_liveness(W0 + 16_001)
    [rec] = breakers(outs)
    assert (rec["scope_level"], rec["scope_id"], rec["state"]) == ("GLOBAL", "global", "OPEN")
    assert (rec["fallback_mode"], rec["cause"], rec["reset_at"]) == (
        "SAFE_MODE",
        "SERVICE_SILENT",
        None,
    )
    [silent] = audits(outs, "SERVICE_SILENT")
    assert details(silent)["service"] == "risk-gate"
    assert details(silent)["last_beat"] == W0 + 1000
    assert g.check_liveness(W0 + 20_000) == []  # nothing new
    outs = g.on_heartbeat(heartbeat("risk-gate", W0 + 30_000, seq=1), W0 + 30_000)
    [rec] = breakers(outs)
    assert (rec["state"], rec["fallback_mode"], rec["cause"]) == (
        "CLOSED",
        "NONE",
        "SERVICE_RESTORED",
    )
    assert details(audits(outs, "SERVICE_RESTORED")[0])["service"] == "risk-gate"


def test_a_service_never_heard_of_is_silent_after_one_timeout() -> None:
    g = watched()
    g.check_liveness(W0)
    g.on_heartbeat(heartbeat("risk-gate", W0 + 1000), W0 + 1000)
    assert g.check_liveness(W0 + 15_000) == []  # still within the start-up grace
    outs = g.check_liveness(W0 + 15_001)
    assert details(audits(outs, "SERVICE_SILENT")[0])["service"] == "executor"
    assert breakers(outs)[0]["fallback_mode"] == "SAFE_MODE"


def test_a_slow_heartbeat_interval_gets_a_longer_timeout() -> None:
    g = watched()
    g.check_liveness(W0)
    for s in REQUIRED:
        g.on_heartbeat(heartbeat(s, W0, interval_ms=10_000), W0)
    assert g.check_liveness(W0 + 30_000) == []  # 3 x 10 s
    assert breakers(g.check_liveness(W0 + 30_001))[0]["cause"] == "SERVICE_SILENT"


def test_one_of_two_silent_services_back_keeps_safe_mode() -> None:
    g = watched()
    g.check_liveness(W0)
    beat_all(g, W0, 0)
    outs = g.check_liveness(W0 + 20_000)
    assert [details(a)["service"] for a in audits(outs, "SERVICE_SILENT")] == [
        "executor",
        "risk-gate",
    ]
    outs = g.on_heartbeat(heartbeat("executor", W0 + 21_000, seq=1), W0 + 21_000)
    assert breakers(outs) == []
    assert [a["action"] for a in audits(outs)] == ["SERVICE_RESTORED"]
    assert state_of(g, "GLOBAL:global")["fallback_mode"] == "SAFE_MODE"  # type: ignore[index]
    outs = g.on_heartbeat(heartbeat("risk-gate", W0 + 22_000, seq=1), W0 + 22_000)
    assert breakers(outs)[0]["state"] == "CLOSED"


def test_a_new_instance_of_a_service_counts() -> None:
    g = watched()
    g.check_liveness(W0)
    beat_all(g, W0, 0)
    g.check_liveness(W0 + 20_000)
    outs = g.on_heartbeat(heartbeat("executor", W0 + 21_000, instance="i2"), W0 + 21_000)
    assert details(audits(outs, "SERVICE_RESTORED")[0])["service"] == "executor"


def test_safe_mode_from_silence_does_not_lift_a_global_halt() -> None:
    g = watched()
    g.check_liveness(W0)
    beat_all(g, W0, 0)
    g.on_command(command("HALT", W0 + 100, level="GLOBAL", scope_id="global"))
    outs = g.check_liveness(W0 + 20_000)
    assert breakers(outs) == []  # HALTED is more severe than SAFE_MODE
    assert audits(outs, "SERVICE_SILENT") != []
    outs = g.on_command(command("RESUME", W0 + 21_000, level="GLOBAL", scope_id="global"))
    assert breakers(outs)[0]["fallback_mode"] == "SAFE_MODE"  # the silence is still there
    outs = beat_all(g, W0 + 22_000, 1)
    assert state_of(g, "GLOBAL:global")["state"] == "CLOSED"  # type: ignore[index]


def test_unrequired_services_and_redelivered_beats_do_not_matter() -> None:
    g = watched()
    g.check_liveness(W0)
    beat_all(g, W0, 0)
    assert g.on_heartbeat(heartbeat("learner", W0 + 1, seq=5), W0 + 1) == []
    g.check_liveness(W0 + 20_000)
    # the same beat again (same event_id) does not bring the service back
    assert g.on_heartbeat(heartbeat("executor", W0, seq=0), W0 + 20_500) == []


def test_restored_silence_is_lifted_once_every_service_beats() -> None:
    g = watched()
    g.check_liveness(W0)
    beat_all(g, W0, 0)
    [silent_record] = breakers(g.check_liveness(W0 + 20_000))
    again = watched()
    again.restore_breaker(silent_record)
    assert again.check_liveness(W0 + 30_000) == []  # nobody heard yet: stays in safe mode
    again.on_heartbeat(heartbeat("executor", W0 + 31_000, seq=9), W0 + 31_000)
    assert state_of(again, "GLOBAL:global")["state"] == "OPEN"  # type: ignore[index]
    outs = again.on_heartbeat(heartbeat("risk-gate", W0 + 32_000, seq=9), W0 + 32_000)
    [rec] = breakers(outs)
    assert rec["state"] == "CLOSED" and rec["transition_seq"] == silent_record["transition_seq"] + 1


def test_no_required_service_means_no_liveness_check() -> None:
    g = governor()
    assert g.check_liveness(W0) == []
    assert g.check_liveness(W0 + 10**9) == []
