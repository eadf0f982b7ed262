"""`hive bots …` (the bot registry from a YAML file) and `hive cards swap` (live card swap)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Annotated

import typer

from hive.config import KafkaSettings, load_settings
from hive.topics import CONTROL_COMMANDS, REGISTRY_BOTS

bots_app = typer.Typer(
    help="Bots and cells: check a bots YAML file and publish it on registry.bots."
)
cards_app = typer.Typer(help="Strategy cards: swap a bot's card while the hive runs.")

BotsFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]


def _load(path: Path):  # type: ignore[no-untyped-def]
    from hive.bots import BotConfigError, load_bots
    from hive_risk_gate.cards.loader import CardLoader  # the cards' owner checks them

    try:
        return load_bots(path, cards=CardLoader())
    except BotConfigError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(2) from None


@bots_app.command("check")
def check(file: BotsFile) -> None:
    """Validate a bots file; every problem is printed with the bot and field it concerns."""
    config = _load(file)
    for cell, bots in sorted(config.cells().items()):
        typer.echo(f"cell {cell}: {', '.join(b.bot_id for b in bots)}")
    typer.echo(f"{len(config.bots)} bot(s) valid")


@bots_app.command("apply")
def apply(
    file: BotsFile,
    at: Annotated[
        str | None,
        typer.Option(
            help="Event time of the records (ISO-8601); default: now. A replay passes its start."
        ),
    ] = None,
) -> None:
    """Publish every bot of the file on registry.bots (one transaction)."""
    from hive.intake.records import parse_time
    from hive_tools.publish import publish_records

    config = _load(file)
    try:
        ts = parse_time(at) if at else int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--at") from None
    s = load_settings(KafkaSettings)
    records = config.to_records(ts)
    publish_records(
        records, REGISTRY_BOTS, lambda r: str(r["bot_id"]), s.kafka_bootstrap, s.schema_registry_url
    )
    typer.echo(f"published {len(records)} bot(s) to {REGISTRY_BOTS}")


@cards_app.command("swap")
def swap(
    bot: Annotated[str, typer.Argument(help="bot_id (or the cell with --cell)")],
    card: Annotated[str, typer.Argument(help="Card name, e.g. follow, regime_filtered")],
    actor: Annotated[str, typer.Option(help="Who asks (audited)")],
    reason: Annotated[str, typer.Option(help="Why (audited)")],
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Card parameter key=value (repeatable)")
    ] = None,
    cell: Annotated[
        bool, typer.Option("--cell", help="BOT is a cell: swap every bot in it")
    ] = False,
) -> None:
    """Publish a SWAP_CARD command; the risk gate swaps the card live and audits it."""
    from hive_tools.publish import publish_records

    params: dict[str, str] = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected key=value, got {item!r}", param_hint="--param")
        params[key] = value
    if not reason.strip():
        raise typer.BadParameter("a reason is required", param_hint="--reason")
    now = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    command_id = str(uuid.uuid4())
    record = {
        "event_id": command_id,
        "ts_event": now,
        "ts_init": now,
        "command_id": command_id,
        "command": "SWAP_CARD",
        "scope_level": "CELL" if cell else "BOT",
        "scope_id": bot,
        "actor": actor,
        "role": "OPERATOR",
        "reason": reason,
        "parameters": {"card": card, "parameters": json.dumps(params)},
        "origin": "cli",
        "cause_event_id": None,
    }
    s = load_settings(KafkaSettings)
    publish_records(
        [record],
        CONTROL_COMMANDS,
        lambda r: f"{r['scope_level']}:{r['scope_id']}",
        s.kafka_bootstrap,
        s.schema_registry_url,
    )
    typer.echo(f"SWAP_CARD {bot} -> {card} sent (command {command_id})")
