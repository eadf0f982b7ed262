"""What a drill run is judged by: decisions a wall-clock guard denied, and the lockstep guards."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from hive_tools.playback.chaos import Outcome
from hive_tools.playback.session import Session, SessionConfig

pytestmark = pytest.mark.unit


def _outcome(decisions: list[tuple[str, bool, str | None, str]]) -> Outcome:
    return Outcome(trades=[], balances={}, fills=Counter(), duplicate_records={},
                   decisions=decisions)  # fmt: skip


def test_wall_clock_denials_count_opa_silence_governor_silence_and_safe_mode():
    out = _outcome([
        ("d1", False, None, "policy.unavailable"),
        ("d2", False, "NORMAL", "guard.governor_silent"),
        ("d3", False, "SAFE_MODE", "guard.breaker_no_new_positions"),
        ("d4", False, None, "profile.daily_loss,policy.unavailable"),
        ("d5", True, None, "card.fixed.sized"),
        ("d6", False, None, "profile.daily_loss"),
    ])  # fmt: skip
    assert out.wall_clock_denials() == {
        "breaker.SAFE_MODE": 1,
        "guard.governor_silent": 1,
        "policy.unavailable": 2,
    }


def test_a_run_without_guard_denials_reports_none():
    assert _outcome([("d1", True, None, "card.fixed.sized")]).wall_clock_denials() == {}


def _session(tmp_path: Path, lockstep: bool, extra: dict[str, str] | None = None) -> Session:
    env = {"HIVE_KAFKA_BOOTSTRAP": "127.0.0.1:1", "HIVE_SCHEMA_REGISTRY_URL": "http://127.0.0.1:1"}
    return Session(SessionConfig(env=env, log_dir=tmp_path, model_store=tmp_path,
                                 lockstep=lockstep, extra_env=extra or {}))  # fmt: skip


def test_lockstep_replays_wait_for_slow_services_instead_of_denying(tmp_path):
    env = _session(tmp_path, lockstep=True)._child_env()
    assert env["HIVE_OPA_TIMEOUT_S"] == "10"
    assert env["HIVE_GOVERNOR_TIMEOUT_S"] == "600"
    assert env["HIVE_GOVERNOR_HEARTBEAT_TIMEOUT_MS"] == "600000"


def test_free_running_replays_and_explicit_settings_keep_their_guards(tmp_path):
    free = _session(tmp_path, lockstep=False)._child_env()
    assert "HIVE_OPA_TIMEOUT_S" not in free
    assert "HIVE_GOVERNOR_TIMEOUT_S" not in free
    told = _session(tmp_path, lockstep=True, extra={"HIVE_GOVERNOR_TIMEOUT_S": "15"})._child_env()
    assert told["HIVE_GOVERNOR_TIMEOUT_S"] == "15"
