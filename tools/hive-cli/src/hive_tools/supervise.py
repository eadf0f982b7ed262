"""Run the hive's services as child processes: start, restart with backoff, stop cleanly.

    sup = Supervisor(hive_specs(env), log_dir=services_log_dir())
    sup.start()
    sup.run(stop_event)          # poll: reap dead children, restart them after a backoff
    codes = sup.stop()           # SIGTERM all, wait, SIGKILL the ones that linger

Pure process bookkeeping: no Kafka here, so it is tested with stand-in commands.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# (package run with `python -m`, service name used for logs and heartbeats)
HIVE_SERVICES: tuple[tuple[str, str], ...] = (
    ("hive_signal_parser", "signal-parser"),
    ("hive_enricher", "enricher"),
    ("hive_regime", "regime-detector"),
    ("hive_risk_gate", "risk-gate"),
    ("hive_executor", "executor"),
    ("hive_governor", "governor"),
    ("hive_learner", "learner"),
    ("hive_hub", "hub-api"),
)
ADMIN_KEY_VAR = "HIVE_HUB_ADMIN_KEY"
# OPA answers the risk gate's bearer token (hive infra env prints it): no other child gets it.
OPA_TOKEN_VAR = "HIVE_OPA_TOKEN"  # noqa: S105 - the variable's name, not a token
# Each service that writes an audit chain gets its own signing key, and no other child any.
AUDIT_KEY_VAR = "HIVE_AUDIT_SIGNING_KEY"
AUDIT_WRITERS = ("governor", "risk-gate", "hub-api")  # their chain ids are their names
STARTUP_GRACE_S = 300.0  # how long a child may take to answer /healthz for the first time


@dataclass(frozen=True)
class ChildSpec:
    """One child: a name (also its log file), its argv, extra env, and where /readyz answers;
    `withhold` names variables of the base environment the child does not get (secrets that
    belong to another child)."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    http_port: int | None = None
    withhold: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Backoff:
    """Restart delay doubles per consecutive crash; a child that ran `reset_after_s` is forgiven."""

    initial_s: float = 0.5
    factor: float = 2.0
    max_s: float = 30.0
    reset_after_s: float = 60.0

    def delay(self, consecutive: int) -> float:
        return float(min(self.max_s, self.initial_s * self.factor ** max(0, consecutive - 1)))


@dataclass(frozen=True)
class ChildStatus:
    name: str
    pid: int | None
    alive: bool
    restarts: int
    last_exit: int | None
    ready: bool | None  # None: no HTTP port known, or not probed


@dataclass
class _Child:
    spec: ChildSpec
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    crashes: int = 0  # consecutive, drives the backoff
    last_exit: int | None = None
    restart_at: float | None = None
    unhealthy: int = 0  # consecutive failed /healthz probes
    seen_healthy: bool = False  # since its last start: a service still booting is not stuck
    probed_at: float = 0.0


class Supervisor:
    def __init__(
        self,
        specs: Sequence[ChildSpec],
        log_dir: Path,
        *,
        base_env: Mapping[str, str] | None = None,
        backoff: Backoff = Backoff(),
        stop_timeout_s: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
        liveness_interval_s: float = 5.0,
        liveness_failures: int = 6,
    ) -> None:
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate child names: {names}")
        self.log_dir = log_dir
        self.backoff = backoff
        self.stop_timeout_s = stop_timeout_s
        self.liveness_interval_s = liveness_interval_s
        self.liveness_failures = liveness_failures
        self._env = dict(os.environ if base_env is None else base_env)
        self._clock = clock
        self._children = {s.name: _Child(s) for s in specs}
        self._stopping = False
        self._lock = threading.Lock()  # status() may be called from another thread

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with self._lock:
            for child in self._children.values():
                self._spawn(child)

    def poll(self) -> None:
        """Reap children that died and restart the ones whose backoff has elapsed."""
        with self._lock:
            if self._stopping:
                return
            now = self._clock()
            for child in self._children.values():
                if child.proc is not None and (code := child.proc.poll()) is not None:
                    self._on_exit(child, code, now)
                if child.proc is None and child.restart_at is not None and now >= child.restart_at:
                    child.restarts += 1
                    self._spawn(child)

    def check_health(self) -> list[str]:
        """Probe /healthz of running children; SIGKILL one that failed `liveness_failures` probes
        in a row (a service stuck in a call that never returns cannot stop itself), so the
        usual restart follows. Returns the names killed."""
        if self.liveness_interval_s <= 0:
            return []
        now = self._clock()
        with self._lock:
            due = [c for c in self._children.values()
                   if c.proc is not None and c.proc.poll() is None and c.spec.http_port
                   and now - c.probed_at >= self.liveness_interval_s]  # fmt: skip
            for c in due:
                c.probed_at = now
        killed = []
        for child in due:
            assert child.spec.http_port is not None
            if probe_health(child.spec.http_port):
                child.unhealthy, child.seen_healthy = 0, True
                continue
            if not child.seen_healthy and now - child.started_at < STARTUP_GRACE_S:
                continue
            child.unhealthy += 1
            if child.unhealthy >= self.liveness_failures and child.proc is not None:
                self._log(child, f"unhealthy for {child.unhealthy} probes: killing it")
                _signal(child, signal.SIGKILL)
                child.unhealthy, child.seen_healthy = 0, False
                killed.append(child.spec.name)
        return killed

    def run(self, stop: threading.Event, interval_s: float = 0.2) -> None:
        """Poll until `stop` is set (a signal handler sets it); the caller then calls stop()."""
        while not stop.wait(interval_s):
            self.poll()
            self.check_health()

    def stop(self) -> dict[str, int | None]:
        """SIGTERM every child, wait up to stop_timeout_s, SIGKILL the rest. Returns exit codes."""
        with self._lock:
            self._stopping = True
            live = [c for c in self._children.values() if c.proc and c.proc.poll() is None]
            for child in live:
                _signal(child, signal.SIGTERM)
            deadline = time.monotonic() + self.stop_timeout_s
            for child in live:
                assert child.proc is not None
                try:
                    child.proc.wait(max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    self._log(child, f"no exit {self.stop_timeout_s:g}s after SIGTERM: SIGKILL")
                    _signal(child, signal.SIGKILL)
                    child.proc.wait()
            codes: dict[str, int | None] = {}
            for name, child in self._children.items():
                if child.proc is not None:
                    child.last_exit = child.proc.returncode
                    self._log(child, f"stopped pid {child.proc.pid}, exit {child.last_exit}")
                codes[name] = child.last_exit
            return codes

    # -- inspection ------------------------------------------------------------------------
    def status(self, probe: bool = False) -> list[ChildStatus]:
        with self._lock:
            rows = [(c.spec, c.proc, c.restarts, c.last_exit) for c in self._children.values()]
        out = []
        for spec, proc, restarts, last_exit in rows:
            alive = proc is not None and proc.poll() is None
            ready = None
            if probe and spec.http_port is not None:
                ready = alive and probe_ready(spec.http_port)
            out.append(
                ChildStatus(
                    name=spec.name,
                    pid=proc.pid if proc is not None else None,
                    alive=alive,
                    restarts=restarts,
                    last_exit=last_exit,
                    ready=ready,
                )
            )
        return out

    def pids(self) -> dict[str, int]:
        return {s.name: s.pid for s in self.status() if s.pid is not None and s.alive}

    def log_file(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    # -- internals -------------------------------------------------------------------------
    def _spawn(self, child: _Child) -> None:
        spec = child.spec
        env = {k: v for k, v in self._env.items() if k not in spec.withhold} | dict(spec.env)
        with self.log_file(spec.name).open("ab") as log:
            # A new session: a terminal's Ctrl-C reaches only us, and we stop children in order.
            child.proc = subprocess.Popen(
                list(spec.argv),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 (one C call, see above)
            )
        child.started_at = self._clock()
        child.seen_healthy = False
        child.restart_at = None
        self._log(child, f"started pid {child.proc.pid} (restarts {child.restarts})")

    def _on_exit(self, child: _Child, code: int, now: float) -> None:
        ran = now - child.started_at
        child.crashes = 1 if ran >= self.backoff.reset_after_s else child.crashes + 1
        delay = self.backoff.delay(child.crashes)
        child.last_exit, child.proc, child.restart_at = code, None, now + delay
        self._log(child, f"exited with {code} after {ran:.1f}s; restart in {delay:g}s")

    def _log(self, child: _Child, message: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        with self.log_file(child.spec.name).open("a") as log:
            log.write(f"{stamp} [supervisor] {child.spec.name}: {message}\n")


# Looked up once here, so the forked child only makes the one C call (no imports, no locks).
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Linux: a child gets SIGTERM if the supervisor itself is killed, so none is orphaned."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGTERM))


def _signal(child: _Child, sig: signal.Signals) -> None:
    if child.proc is not None:
        # The child may have exited between the check and the signal.
        with contextlib.suppress(ProcessLookupError):
            child.proc.send_signal(sig)


# -- the hive's own children ------------------------------------------------------------------
def services_log_dir(state_dir: Path | None = None) -> Path:
    """`.hive/logs/services/`, beside the servers' logs."""
    if state_dir is None:
        from hive.paths import repo_root

        state_dir = repo_root() / ".hive"
    return state_dir / "logs" / "services"


def free_port(host: str = "127.0.0.1") -> int:
    """A port free right now; fixed ports let us probe /readyz without reading target files."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def admin_key(env: Mapping[str, str]) -> tuple[str, bool]:
    """The hub's bootstrap admin key from env, or a fresh one (True when generated): 32 random
    bytes, as `hive keys new` makes them (the hub refuses keys under 32 characters)."""
    given = env.get(ADMIN_KEY_VAR)
    if given:
        return given, False
    return secrets.token_urlsafe(32), True


def audit_keys(state_dir: Path) -> dict[str, str]:
    """The audit signing key of each chain writer (AUDIT_WRITERS), made once in
    `state_dir/audit-keys/<service>.key` (mode 0600, never committed), and their public keys in
    `audit-keys/public.json` (what HIVE_AUDIT_PUBLIC_KEYS takes)."""
    from hive.audit_keys import AuditSigner, new_key_pair, public_key_text

    folder = state_dir / "audit-keys"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    keys: dict[str, str] = {}
    for name in AUDIT_WRITERS:
        path = folder / f"{name}.key"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(new_key_pair()[0] + "\n")
        keys[name] = path.read_text(encoding="ascii").strip()
    public = {
        n: public_key_text(AuditSigner.from_text(k).private_key.public_key())
        for n, k in keys.items()
    }
    (folder / "public.json").write_text(json.dumps(public, sort_keys=True) + "\n")
    return keys


def hive_specs(
    *,
    admin_key: str,
    hub_port: int,
    python: str = sys.executable,
    only: Sequence[str] = (),
    http_ports: Mapping[str, int] | None = None,
    signing_keys: Mapping[str, str] | None = None,
) -> list[ChildSpec]:
    """The eight services (or `only` those names), each with its own health port; each audit
    chain writer with its own key from `signing_keys` (audit_keys), no other child with any."""
    unknown = set(only) - {name for _, name in HIVE_SERVICES}
    if unknown:
        raise ValueError(f"unknown service(s): {sorted(unknown)}")
    specs = []
    for package, name in HIVE_SERVICES:
        if only and name not in only:
            continue
        port = (http_ports or {}).get(name) or free_port()
        env = {"HIVE_HTTP_PORT": str(port), "PYTHONUNBUFFERED": "1"}
        if name == "hub-api":  # the only child that needs the secret
            # Its metrics port too: several hives (tests) on one machine must not share 9464.
            env |= {
                ADMIN_KEY_VAR: admin_key,
                "HIVE_HUB_PORT": str(hub_port),
                "HIVE_HUB_METRICS_PORT": str(free_port()),
            }
        if signing_keys and name in signing_keys:
            env[AUDIT_KEY_VAR] = signing_keys[name]
        # The OPA token reaches the risk gate only, from the base environment; with
        # signing_keys, a signing key in the base environment reaches no one (each writer has
        # its own, above).
        withhold = frozenset({AUDIT_KEY_VAR} if signing_keys else ()) | (
            frozenset() if name == "risk-gate" else frozenset({OPA_TOKEN_VAR})
        )
        specs.append(
            ChildSpec(name, [python, "-m", package], env, http_port=port, withhold=withhold)
        )
    return specs


def probe_health(port: int, host: str = "127.0.0.1", timeout_s: float = 2.0) -> bool:
    """GET /healthz: 200 means the service's loop is turning."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=timeout_s) as r:
            return int(r.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def probe_ready(port: int, host: str = "127.0.0.1", timeout_s: float = 1.0) -> bool:
    """GET /readyz on the service's health server: 200 means ready."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/readyz", timeout=timeout_s) as r:
            return int(r.status) == 200
    except (urllib.error.URLError, OSError):
        return False
