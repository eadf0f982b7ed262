"""install / up / down / status over the components, idempotent and safe to repeat."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hive.runtime.http import write_scrape_target
from hive_tools.infra.components import COMPONENTS, NAMES, Component, Opa, Prometheus
from hive_tools.infra.process import (
    InfraError,
    file_lock,
    is_alive,
    port_in_use,
    read_pid,
    spawn,
    stop,
    tail,
    wait_for,
)
from hive_tools.infra.settings import BIND_HOST, InfraSettings

log = logging.getLogger("hive.infra")


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    running: bool
    pid: int | None
    address: str
    log_file: Path
    version: str


def _select(names: Sequence[str] | None, settings: InfraSettings) -> list[Component]:
    wanted = list(NAMES) if not names else list(dict.fromkeys(names))
    unknown = [n for n in wanted if n not in NAMES]
    if unknown:
        raise ValueError(f"unknown component(s) {unknown}; known: {', '.join(NAMES)}")
    # Keep the canonical order whatever order the caller used.
    return [cls(settings) for cls in COMPONENTS if cls.name in wanted]


def _settings(settings: InfraSettings | None) -> InfraSettings:
    return settings if settings is not None else InfraSettings()


def install(names: Sequence[str] | None = None, settings: InfraSettings | None = None) -> None:
    """Fetch/build the servers into the cache dir; skipped for what is already there."""
    s = _settings(settings)
    for comp in _select(names, s):
        _install_one(comp)


def _install_one(comp: Component) -> None:
    if comp.is_installed():
        return
    # One lock per cache dir: two checkouts sharing the cache must not build at once.
    with file_lock(comp.s.cache_dir / ".install.lock"):
        if comp.is_installed():
            return
        log.info("installing %s %s (log: %s)", comp.name, comp.version, comp.install_log)
        t0 = time.monotonic()
        comp.install()
        log.info("installed %s in %.0fs", comp.name, time.monotonic() - t0)


def up(names: Sequence[str] | None = None, settings: InfraSettings | None = None) -> None:
    """Install if needed, start what is not running, wait until every server answers."""
    s = _settings(settings)
    comps = _select(names, s)
    for comp in comps:
        _install_one(comp)
    with file_lock(s.state / ".lock"):
        started: list[tuple[Component, int]] = []
        running: list[tuple[Component, int]] = []
        for comp in comps:
            pid = read_pid(comp.pid_file, comp.marker)
            if pid is not None:
                log.info("%s already running (pid %d)", comp.name, pid)
                running.append((comp, pid))
                continue
            busy = [p for p in comp.ports if port_in_use(BIND_HOST, p)]
            if busy:
                raise InfraError(
                    f"{comp.name}: port(s) {busy} on {BIND_HOST} are taken by a process not "
                    f"started from {s.state}; stop it or set other ports (HIVE_*_PORT)"
                )
            comp.prepare()
            pid = spawn(
                comp.command(),
                log_file=comp.log_file,
                pid_file=comp.pid_file,
                env=comp.env(),
                cwd=comp.home,
                user=comp.run_as,
            )
            log.info("started %s (pid %d, log %s)", comp.name, pid, comp.log_file)
            started.append((comp, pid))
        # Started together, waited for together: the JVMs warm up in parallel. A server
        # that was already running is waited for too (an earlier `up` may have been cut off).
        for comp, pid in [*running, *started]:
            _wait_ready(comp, pid, s.start_timeout)
            _bootstrap(comp, pid)
            if (comp, pid) in started:
                log.info("%s ready at %s", comp.name, comp.address)


def _bootstrap(comp: Component, pid: int) -> None:
    """Run the component's after-start setup once per server process.

    A marker holding the pid records that it was done, so a server whose first `up` was
    cut off after the start still gets its roles/config, and a repeated `up` does nothing.
    """
    done = comp.pid_file.with_suffix(".ready")
    try:
        if done.read_text().strip() == str(pid):
            return
    except OSError:
        pass
    comp.after_ready()
    done.write_text(f"{pid}\n")


def _wait_ready(comp: Component, pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_alive(pid):
            comp.pid_file.unlink(missing_ok=True)
            raise InfraError(
                f"{comp.name} exited during start-up; see {comp.log_file}:\n{tail(comp.log_file)}"
            )
        if wait_for(comp.is_ready, 0.0):
            return
        time.sleep(0.25)
    raise InfraError(
        f"{comp.name} did not become ready at {comp.address} within {timeout:.0f}s "
        f"(pid {pid} still running); see {comp.log_file}:\n{tail(comp.log_file)}"
    )


def down(names: Sequence[str] | None = None, settings: InfraSettings | None = None) -> None:
    """Stop the servers (reverse order); a stopped server is left alone."""
    s = _settings(settings)
    comps = _select(names, s)
    with file_lock(s.state / ".lock"):
        for comp in reversed(comps):
            pid = read_pid(comp.pid_file, comp.marker)
            if pid is None:
                continue
            log.info("stopping %s (pid %d)", comp.name, pid)
            if not stop(pid, sig=comp.stop_signal, timeout=s.stop_timeout):
                log.warning("%s did not stop within %.0fs: killed", comp.name, s.stop_timeout)
            comp.pid_file.unlink(missing_ok=True)
            comp.pid_file.with_suffix(".ready").unlink(missing_ok=True)


def status(
    names: Sequence[str] | None = None, settings: InfraSettings | None = None
) -> list[ComponentStatus]:
    """Which servers run (a live process from this state dir), with pid, address and log."""
    s = _settings(settings)
    out = []
    for comp in _select(names, s):
        pid = read_pid(comp.pid_file, comp.marker)
        out.append(
            ComponentStatus(
                name=comp.name,
                running=pid is not None,
                pid=pid,
                address=comp.address,
                log_file=comp.log_file,
                version=comp.version,
            )
        )
    return out


def endpoints(settings: InfraSettings | None = None) -> dict[str, str]:
    """The environment the hive's services need to reach the local servers."""
    s = _settings(settings)
    h = BIND_HOST
    return {
        "HIVE_KAFKA_BOOTSTRAP": f"{h}:{s.kafka_port}",
        "HIVE_SCHEMA_REGISTRY_URL": f"http://{h}:{s.registry_port}/apis/ccompat/v7",
        "HIVE_OPA_URL": f"http://{h}:{s.opa_port}",
        # The risk gate's bearer token for OPA (made once in the state dir, never committed).
        "HIVE_OPA_TOKEN": Opa(s).token(),
        "HIVE_DATABASE_URL": (
            f"postgresql+asyncpg://{s.pg_user}:{s.pg_password}@{h}:{s.pg_port}/{s.pg_database}"
        ),
        "HIVE_PROMETHEUS_URL": f"http://{h}:{s.prometheus_port}",
        # Services started locally drop a file_sd target here to be scraped.
        "HIVE_PROMETHEUS_TARGETS_DIR": str(Prometheus(s).targets_dir),
    }


def register_scrape_target(
    job: str,
    targets: Sequence[str],
    labels: dict[str, str] | None = None,
    settings: InfraSettings | None = None,
) -> Path:
    """Tell the local Prometheus to scrape `targets` (host:port serving /metrics).

    Writes ``<state>/prometheus/targets/<job>.json``; Prometheus picks it up within seconds.
    """
    path = Prometheus(_settings(settings)).targets_dir / f"{job}.json"
    return write_scrape_target(path, targets, {"service": job, **(labels or {})})


__all__ = [
    "ComponentStatus",
    "InfraError",
    "down",
    "endpoints",
    "install",
    "register_scrape_target",
    "status",
    "up",
]
