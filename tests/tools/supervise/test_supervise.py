"""The supervisor with stand-in children: start, restart with backoff, stop, logs."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hive_tools.cli.run import app
from hive_tools.supervise import (
    ADMIN_KEY_VAR,
    HIVE_SERVICES,
    OPA_TOKEN_VAR,
    Backoff,
    ChildSpec,
    Supervisor,
    admin_key,
    hive_specs,
)

pytestmark = pytest.mark.unit

PY = sys.executable
SLEEPER = [PY, "-c", "import time; print('hello from child', flush=True); time.sleep(30)"]
DIER = [PY, "-c", "import sys; print('dying', flush=True); sys.exit(3)"]
# Ignores SIGTERM, and says so once the handler is in place (so the test does not race it).
STUBBORN = [
    PY,
    "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
    " print('armed', flush=True); time.sleep(60)",
]


def wait_for(cond: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def stopper() -> Iterator[list[Supervisor]]:
    """Whatever a test started is stopped, even when it fails half-way."""
    made: list[Supervisor] = []
    yield made
    for sup in made:
        sup.stop()


def test_all_children_start_and_log_to_their_files(
    tmp_path: Path, stopper: list[Supervisor]
) -> None:
    specs = [ChildSpec(f"svc-{i}", SLEEPER) for i in range(3)]
    sup = Supervisor(specs, tmp_path / "logs", stop_timeout_s=5)
    stopper.append(sup)
    sup.start()
    rows = sup.status()
    assert [r.name for r in rows] == ["svc-0", "svc-1", "svc-2"]
    assert all(r.alive and r.pid and r.restarts == 0 for r in rows)
    assert len({r.pid for r in rows}) == 3
    for spec in specs:
        log = tmp_path / "logs" / f"{spec.name}.log"
        wait_for(lambda log=log: "hello from child" in log.read_text())
        assert "[supervisor]" in log.read_text()


def test_child_env_is_base_plus_its_own(tmp_path: Path, stopper: list[Supervisor]) -> None:
    cmd = [PY, "-c", "import os; print(os.environ['A'], os.environ['B'], flush=True)"]
    sup = Supervisor(
        [ChildSpec("env", cmd, {"B": "own"})],
        tmp_path,
        base_env={"A": "base", "B": "base"},
        backoff=Backoff(initial_s=60),
    )
    stopper.append(sup)
    sup.start()
    wait_for(lambda: "base own" in (tmp_path / "env.log").read_text())


def test_only_the_risk_gate_gets_the_opa_token(tmp_path: Path, stopper: list[Supervisor]) -> None:
    specs = hive_specs(admin_key="k" * 20, hub_port=18080, python="py")
    gate = next(s for s in specs if s.name == "risk-gate")
    assert not gate.withhold
    assert all(s.withhold == {OPA_TOKEN_VAR} for s in specs if s is not gate)
    # The token is in the base environment (hive infra env); a child that withholds it
    # starts without it, the others get it as it is.
    cmd = [PY, "-c", f"import os; print('token', os.environ.get('{OPA_TOKEN_VAR}'), flush=True)"]
    sup = Supervisor(
        [ChildSpec("gate", cmd), ChildSpec("other", cmd, withhold=frozenset({OPA_TOKEN_VAR}))],
        tmp_path,
        base_env={OPA_TOKEN_VAR: "t" * 43, "A": "base"},
        backoff=Backoff(initial_s=60),
    )
    stopper.append(sup)
    sup.start()
    wait_for(lambda: f"token {'t' * 43}" in (tmp_path / "gate.log").read_text())
    wait_for(lambda: "token None" in (tmp_path / "other.log").read_text())


def test_dying_child_is_restarted_with_backoff_and_counted(
    tmp_path: Path, stopper: list[Supervisor]
) -> None:
    clock = FakeClock()
    backoff = Backoff(initial_s=0.5, factor=2.0, max_s=30, reset_after_s=60)
    sup = Supervisor(
        [ChildSpec("dier", DIER), ChildSpec("sleeper", SLEEPER)],
        tmp_path,
        backoff=backoff,
        clock=clock,
    )
    stopper.append(sup)
    sup.start()

    def dier() -> object:
        return next(s for s in sup.status() if s.name == "dier")

    # Each crash doubles the wait: restarts happen at +0.5 s, then +1 s, then +2 s.
    for restarts, delay in [(1, 0.5), (2, 1.0), (3, 2.0)]:
        wait_for(lambda: not dier().alive)  # type: ignore[attr-defined]
        sup.poll()  # sees the exit at clock.now, schedules the restart
        assert dier().last_exit == 3  # type: ignore[attr-defined]
        clock.now += delay - 0.01
        sup.poll()
        assert dier().restarts == restarts - 1  # type: ignore[attr-defined]
        assert dier().pid is None  # type: ignore[attr-defined]
        clock.now += 0.01
        sup.poll()
        assert dier().restarts == restarts  # type: ignore[attr-defined]

    sleeper = next(s for s in sup.status() if s.name == "sleeper")
    assert sleeper.alive and sleeper.restarts == 0
    assert (tmp_path / "dier.log").read_text().count("dying") >= 3
    assert "restart in 2s" in (tmp_path / "dier.log").read_text()


def test_backoff_caps_and_forgives_a_long_run() -> None:
    b = Backoff(initial_s=1, factor=3, max_s=5, reset_after_s=10)
    assert [b.delay(n) for n in (1, 2, 3, 4)] == [1, 3, 5, 5]


def test_long_running_child_that_dies_restarts_after_the_first_delay(tmp_path: Path) -> None:
    clock = FakeClock()
    sup = Supervisor([ChildSpec("d", DIER)], tmp_path, backoff=Backoff(0.5, 2, 30, 10), clock=clock)
    sup.start()
    for _ in range(3):  # three quick crashes build up the backoff (0.5, 1, 2 s)
        wait_for(lambda: not sup.status()[0].alive)
        sup.poll()
        clock.now += 5
        sup.poll()
    assert sup.status()[0].restarts == 3
    # This run "lasts" past reset_after_s before its exit is seen: the count is forgiven.
    wait_for(lambda: not sup.status()[0].alive)
    clock.now += 100
    sup.poll()
    assert "restart in 0.5s" in (tmp_path / "d.log").read_text().splitlines()[-1]
    sup.stop()


def test_stop_terminates_all_and_kills_one_that_ignores_sigterm(
    tmp_path: Path, stopper: list[Supervisor]
) -> None:
    graceful = [PY, "-c", "import signal, sys, time;"
                " signal.signal(signal.SIGTERM, lambda *a: sys.exit(0));"
                " print('armed', flush=True); time.sleep(30)"]  # fmt: skip
    sup = Supervisor(
        [ChildSpec("a", SLEEPER), ChildSpec("graceful", graceful), ChildSpec("stubborn", STUBBORN)],
        tmp_path,
        stop_timeout_s=1.0,
    )
    stopper.append(sup)
    sup.start()
    for name in ("graceful", "stubborn"):
        wait_for(lambda name=name: "armed" in (tmp_path / f"{name}.log").read_text())
    t0 = time.monotonic()
    codes = sup.stop()
    took = time.monotonic() - t0
    assert codes == {"a": -15, "graceful": 0, "stubborn": -9}
    assert 0.9 < took < 5
    assert not any(s.alive for s in sup.status())
    assert "SIGKILL" in (tmp_path / "stubborn.log").read_text()
    sup.poll()  # after stop nothing is restarted
    assert all(s.pid is not None and not s.alive for s in sup.status())


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="duplicate"):
        Supervisor([ChildSpec("x", SLEEPER), ChildSpec("x", SLEEPER)], tmp_path)


def test_hive_specs_give_each_service_a_port_and_only_the_hub_the_key() -> None:
    specs = hive_specs(admin_key="k" * 20, hub_port=18080, python="py")
    assert [s.argv for s in specs] == [["py", "-m", pkg] for pkg, _ in HIVE_SERVICES]
    ports = [s.http_port for s in specs]
    assert len(set(ports)) == 8 and all(ports)
    assert all(s.env["HIVE_HTTP_PORT"] == str(s.http_port) for s in specs)
    hub = next(s for s in specs if s.name == "hub-api")
    assert hub.env[ADMIN_KEY_VAR] == "k" * 20 and hub.env["HIVE_HUB_PORT"] == "18080"
    assert all(ADMIN_KEY_VAR not in s.env for s in specs if s is not hub)
    only = hive_specs(admin_key="k", hub_port=1, only=["enricher", "learner"])
    assert [s.name for s in only] == ["enricher", "learner"]
    with pytest.raises(ValueError, match="unknown"):
        hive_specs(admin_key="k", hub_port=1, only=["nope"])


def test_admin_key_is_taken_from_env_or_generated_long_enough() -> None:
    assert admin_key({ADMIN_KEY_VAR: "given-key-0123456789"}) == ("given-key-0123456789", False)
    key, generated = admin_key({})
    assert generated and len(key) >= 16  # the hub refuses keys under 16 characters
    assert admin_key({})[0] != key


def test_cli_refuses_an_unknown_service() -> None:
    result = CliRunner().invoke(app, ["--no-infra", "--only", "nope"])
    assert result.exit_code == 2
    assert "unknown service" in result.output


def test_cli_help_lists_the_options() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "--only" in result.output and "--stop-timeout" in result.output


def test_each_audit_chain_writer_gets_its_own_signing_key_and_no_one_else(tmp_path: Path) -> None:
    import json

    from hive.audit_keys import AuditSigner, load_public_keys
    from hive_tools.supervise import AUDIT_KEY_VAR, audit_keys

    keys = audit_keys(tmp_path)
    assert sorted(keys) == ["governor", "hub-api", "risk-gate"] and len(set(keys.values())) == 3
    folder = tmp_path / "audit-keys"
    assert {p.name: p.stat().st_mode & 0o777 for p in folder.glob("*.key")} == {
        "governor.key": 0o600, "hub-api.key": 0o600, "risk-gate.key": 0o600,
    }  # fmt: skip
    assert audit_keys(tmp_path) == keys  # made once, then read back
    public = load_public_keys((folder / "public.json").read_text())
    assert {n: k == AuditSigner.from_text(keys[n]).private_key.public_key()
            for n, k in public.items()} == {"governor": True, "hub-api": True, "risk-gate": True}  # fmt: skip
    assert json.loads((folder / "public.json").read_text()).keys() == keys.keys()
    specs = hive_specs(admin_key="k" * 20, hub_port=18080, python="py", signing_keys=keys)
    given = {s.name: s.env.get(AUDIT_KEY_VAR) for s in specs}
    assert given == {
        "signal-parser": None, "enricher": None, "regime-detector": None,
        "risk-gate": keys["risk-gate"], "executor": None, "governor": keys["governor"],
        "learner": None, "hub-api": keys["hub-api"],
    }  # fmt: skip
    assert all(AUDIT_KEY_VAR in s.withhold for s in specs)  # none from the base environment
