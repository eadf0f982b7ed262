"""`hive infra …`: install, start, stop and inspect the local servers."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from hive_tools.infra import InfraSettings

app = typer.Typer(
    help="Local Kafka, schema registry, OPA, PostgreSQL and Prometheus on 127.0.0.1.",
    no_args_is_help=True,
)

Names = Annotated[
    list[str] | None,
    typer.Argument(
        help="Components (default: all): kafka, registry, opa, postgres, prometheus",
        show_default=False,
    ),
]


def _prepare(names: list[str] | None) -> tuple[list[str] | None, InfraSettings]:
    """Validate names and settings (exit code 2 on a usage error) and set up logging."""
    from pydantic import ValidationError

    from hive_tools.infra import NAMES, InfraSettings  # late: keeps `hive --help` instant

    unknown = [n for n in names or [] if n not in NAMES]
    if unknown:
        typer.echo(
            f"error: unknown component(s): {', '.join(unknown)} (known: {', '.join(NAMES)})",
            err=True,
        )
        raise typer.Exit(2)
    try:
        settings = InfraSettings()
    except ValidationError as e:
        typer.echo(f"error: invalid HIVE_* infrastructure settings:\n{e}", err=True)
        raise typer.Exit(2) from e
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per readiness probe
    return names or None, settings


def _fail(err: Exception) -> typer.Exit:
    typer.echo(f"error: {err}", err=True)
    return typer.Exit(1)


@app.command()
def install(names: Names = None) -> None:
    """Fetch and build the servers into the cache dir (skipped when already there)."""
    from hive_tools import infra

    selected, settings = _prepare(names)
    try:
        infra.install(selected, settings=settings)
    except infra.InfraError as e:
        raise _fail(e) from e
    typer.echo(f"installed into {settings.cache_dir}")


@app.command()
def up(names: Names = None) -> None:
    """Install if needed and start the servers; waits until each one answers."""
    from hive_tools import infra

    selected, settings = _prepare(names)
    try:
        infra.up(selected, settings=settings)
    except infra.InfraError as e:
        raise _fail(e) from e
    _print_status(selected, settings)
    typer.echo("")
    for key, value in infra.endpoints(settings).items():
        typer.echo(f"{key}={value}")


@app.command()
def down(names: Names = None) -> None:
    """Stop the servers (a server that is not running is left alone)."""
    from hive_tools import infra

    selected, settings = _prepare(names)
    try:
        infra.down(selected, settings=settings)
    except infra.InfraError as e:
        raise _fail(e) from e
    _print_status(selected, settings)


@app.command()
def status(names: Names = None) -> None:
    """Print a table: component, version, state, pid, address, log file."""
    selected, settings = _prepare(names)
    _print_status(selected, settings)


@app.command()
def env() -> None:
    """Print the HIVE_* variables that point the services at these servers."""
    from hive_tools import infra

    _, settings = _prepare(None)
    for key, value in infra.endpoints(settings).items():
        typer.echo(f"{key}={value}")


def _print_status(names: list[str] | None, settings: InfraSettings) -> None:
    from hive_tools import infra

    rows = [
        (st.name, st.version, "running" if st.running else "stopped", str(st.pid or "-"),
         st.address, str(st.log_file))
        for st in infra.status(names, settings=settings)
    ]  # fmt: skip
    header = ("COMPONENT", "VERSION", "STATE", "PID", "ADDRESS", "LOG")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=False)]
        typer.echo("  ".join([*cells, row[-1]]))
