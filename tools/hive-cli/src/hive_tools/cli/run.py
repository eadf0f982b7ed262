"""`hive run`: the whole hive on this machine, each service a supervised child process."""

from __future__ import annotations

import os
import signal
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from hive_tools.supervise import Supervisor

app = typer.Typer(help="Run the hive's eight services locally, restarting any that dies.")


@app.command()
def run_app(
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Run just these services (repeatable), e.g. enricher"),
    ] = None,
    infra: Annotated[
        bool, typer.Option(help="Start the servers, create topics and register schemas first")
    ] = True,
    hub_port: Annotated[int, typer.Option(envvar="HIVE_HUB_PORT", help="Hub REST port")] = 8080,
    stop_timeout: Annotated[float, typer.Option(help="Seconds from SIGTERM to SIGKILL")] = 15.0,
    status_every: Annotated[float, typer.Option(help="Print the status table every N s")] = 30.0,
    duration: Annotated[
        float, typer.Option(help="Stop after N seconds (0: until SIGINT/SIGTERM)")
    ] = 0.0,
) -> None:
    """Start every service, print where their logs go, run until Ctrl-C, then stop them all."""
    from hive_tools import supervise
    from hive_tools.infra import InfraSettings

    env = dict(os.environ)
    if infra:
        env |= _prepare_infra()
    key, generated = supervise.admin_key(env)
    try:
        specs = supervise.hive_specs(
            admin_key=key,
            hub_port=hub_port,
            only=only or (),
            signing_keys=supervise.audit_keys(InfraSettings().state),
        )
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e
    sup = supervise.Supervisor(
        specs,
        supervise.services_log_dir(InfraSettings().state),
        base_env=env,
        stop_timeout_s=stop_timeout,
    )
    if generated and any(s.name == "hub-api" for s in specs):
        # Shown once, kept only in the hub's environment: never written to the repository.
        typer.echo(f"hub admin key (this run only): {key}")
    stop = threading.Event()
    previous = _on_signals(stop)
    timer = threading.Timer(duration, stop.set) if duration > 0 else None
    if timer:
        timer.start()
    try:
        _supervise(sup, stop, hub_port, status_every)
    finally:
        if timer:
            timer.cancel()
        for sig, old in previous.items():
            signal.signal(sig, old)


def _supervise(sup: Supervisor, stop: threading.Event, hub_port: int, status_every: float) -> None:
    sup.start()
    hub = any(s.name == "hub-api" for s in sup.status())
    typer.echo(f"logs in {sup.log_dir}" + (f"; hub on http://127.0.0.1:{hub_port}" if hub else ""))
    typer.echo("Ctrl-C stops every service")
    _print_status(sup)
    last = time.monotonic()
    while not stop.wait(0.2):
        sup.poll()
        sup.check_health()
        if status_every > 0 and time.monotonic() - last >= status_every:
            _print_status(sup)
            last = time.monotonic()
    typer.echo("stopping…")
    codes = sup.stop()
    typer.echo("  ".join(f"{name}={code}" for name, code in codes.items()))


def _prepare_infra() -> dict[str, str]:
    """What `make run` leaves: servers up, every topic created, every schema registered."""
    from hive.contracts import load_catalogue
    from hive.contracts.serde import make_registry_client
    from hive_tools import infra
    from hive_tools.admin.schemas import register_all
    from hive_tools.admin.topics import create_topics

    settings = infra.InfraSettings()
    try:
        infra.up(settings=settings)
    except infra.InfraError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e
    env = infra.endpoints(settings)
    cat = load_catalogue()
    bad = [r for r in create_topics(env["HIVE_KAFKA_BOOTSTRAP"], cat) if r.outcome == "error"]
    failed = [r for r in register_all(make_registry_client(env["HIVE_SCHEMA_REGISTRY_URL"]), cat)
              if not r.ok]  # fmt: skip
    if bad or failed:
        typer.echo(f"error: topics {bad} / schemas {failed}", err=True)
        raise typer.Exit(1)
    return env


def _on_signals(stop: threading.Event) -> dict[signal.Signals, signal._HANDLER]:
    """SIGINT/SIGTERM only set the event: the main loop then stops the children in order."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    return {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}


def _print_status(sup: Supervisor) -> None:
    rows = [
        (s.name, str(s.pid or "-"), "up" if s.alive else "down", str(s.restarts),
         "-" if s.last_exit is None else str(s.last_exit),
         {True: "ready", False: "not ready", None: "-"}[s.ready])
        for s in sup.status(probe=True)
    ]  # fmt: skip
    header = ("SERVICE", "PID", "STATE", "RESTARTS", "LAST EXIT", "READY")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
