"""`hive audit …`: read and verify the hash-chained audit trail (audit.events)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from hive.config import KafkaSettings, load_settings
from hive.topics import AUDIT_EVENTS

audit_app = typer.Typer(help="The audit trail: verify its hash chains, show recent events.")

TopicOption = Annotated[
    str,
    typer.Option(help="Topic to read (a copy of the trail, or a test topic with the same schema)."),
]
FileOption = Annotated[
    Path | None,
    typer.Option(
        "--from-file",
        exists=True,
        dir_okay=False,
        help="Read events from a JSON-lines file (one audit event per line) instead of Kafka.",
    ),
]
ChainOption = Annotated[str | None, typer.Option(help="Only this chain (e.g. governor).")]


def _from_file(path: Path) -> list[dict[str, Any]]:
    events = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as exc:
            typer.echo(f"error: {path}:{number}: not JSON: {exc}", err=True)
            raise typer.Exit(2) from None
        if not isinstance(event, dict):
            typer.echo(f"error: {path}:{number}: an audit event is a JSON object", err=True)
            raise typer.Exit(2)
        events.append(event)
    return events


def _from_topic(topic: str) -> list[dict[str, Any]]:
    from hive.contracts import CodecRegistry, load_catalogue
    from hive.contracts.serde import make_registry_client
    from hive.runtime.records import InboundRecord
    from hive.runtime.replay import end_offsets, read_until

    s = load_settings(KafkaSettings)
    catalogue = load_catalogue()
    # Any topic holding audit events reads with the audit schema.
    schema = catalogue[AUDIT_EVENTS].schema_str()
    codecs = CodecRegistry(make_registry_client(s.schema_registry_url), catalogue, {topic: schema})
    events: list[dict[str, Any]] = []

    def keep(rec: InboundRecord) -> None:
        events.append(rec.value)

    read_until(s.kafka_bootstrap, end_offsets(s.kafka_bootstrap, [topic]), codecs, keep)
    return events


def _events(topic: str, from_file: Path | None, chain: str | None) -> list[dict[str, Any]]:
    events = _from_file(from_file) if from_file is not None else _from_topic(topic)
    return [e for e in events if chain is None or e.get("chain_id") == chain]


AnchorsOption = Annotated[
    Path | None,
    typer.Option(
        "--anchors",
        dir_okay=False,
        help="The anchor file (JSON lines of chain heads). Default when reading the real trail: "
        "HIVE_AUDIT_ANCHOR_FILE, else .hive/audit-anchors.jsonl; none for a file or test topic.",
    ),
]


def _verify_settings() -> Any:
    from hive.audit_anchor import AuditVerifySettings

    return load_settings(AuditVerifySettings)


def _anchor_path(topic: str, from_file: Path | None, anchors: Path | None) -> Path | None:
    if anchors is not None:
        return anchors
    if from_file is None and topic == AUDIT_EVENTS:
        path: Path = _verify_settings().anchor_path()
        return path
    return None


@audit_app.command("verify")
def verify_cmd(
    topic: TopicOption = AUDIT_EVENTS,
    from_file: FileOption = None,
    chain: ChainOption = None,
    anchors: AnchorsOption = None,
) -> None:
    """Check every chain: hashes, links and numbering; each event's signature by its chain's
    key (HIVE_AUDIT_PUBLIC_KEYS, when set); every anchor (truncated, rewritten). Exit 1 and say
    where if any event was edited, deleted, reordered, cut off or rewritten."""
    from hive.audit_anchor import AnchorFile, verify_trail

    events = _events(topic, from_file, chain)
    public_keys = _verify_settings().public_keys()
    path = _anchor_path(topic, from_file, anchors)
    try:
        anchored = AnchorFile(path).read() if path is not None else []
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    anchored = [a for a in anchored if chain is None or a.chain_id == chain]
    try:
        problems = verify_trail(events, public_keys=public_keys, anchors=anchored)
    except KeyError as exc:
        typer.echo(f"error: an event lacks the field {exc}", err=True)
        raise typer.Exit(2) from None
    chains: dict[str, int] = {}
    for e in events:
        chains[str(e["chain_id"])] = chains.get(str(e["chain_id"]), 0) + 1
    for a in anchored:
        chains.setdefault(a.chain_id, 0)
    for problem in problems:
        typer.echo(f"BROKEN {problem}")
    for name, count in sorted(chains.items()):
        bad = sum(1 for p in problems if p.chain_id == name)
        typer.echo(f"chain {name}: {count} event(s), {'OK' if not bad else f'{bad} problem(s)'}")
    if public_keys is None:
        typer.echo("signatures: not checked (HIVE_AUDIT_PUBLIC_KEYS is not set)")
    if path is not None:
        typer.echo(f"anchors: {len(anchored)} checked from {path}")
    if not events:
        typer.echo("no audit events")
    if problems:
        raise typer.Exit(1)


@audit_app.command("anchor")
def anchor_cmd(
    topic: TopicOption = AUDIT_EVENTS,
    anchors: AnchorsOption = None,
) -> None:
    """Append each chain's head (chain, sequence, hash, now) as read from Kafka to the anchor
    file, for `verify` to catch a later truncation or rewrite."""
    import time

    from hive.audit_anchor import AnchorFile, chain_heads

    path = _anchor_path(topic, None, anchors)
    if path is None:
        typer.echo("error: give --anchors for a topic other than the audit trail", err=True)
        raise typer.Exit(2)
    heads = chain_heads(_from_topic(topic), ts_anchored=int(time.time() * 1000))
    AnchorFile(path).append(heads)
    for a in heads:
        typer.echo(f"anchored {a.chain_id}#{a.sequence} {a.hash} -> {path}")
    if not heads:
        typer.echo("no audit events: nothing anchored")


@audit_app.command("show")
def show_cmd(
    topic: TopicOption = AUDIT_EVENTS,
    from_file: FileOption = None,
    chain: ChainOption = None,
    last: Annotated[int, typer.Option(min=1, help="How many of the newest events.")] = 20,
) -> None:
    """Print the newest events (sequence, time, actor, action, scope, details)."""
    import datetime as dt

    for e in _events(topic, from_file, chain)[-last:]:
        when = dt.datetime.fromtimestamp(int(e["ts_event"]) / 1000, dt.UTC).isoformat()
        typer.echo(
            f"{e['chain_id']}#{e['sequence']} {when} {e['actor']} ({e['role']}) "
            f"{e['action']} {e['scope_level']}:{e['scope_id']} {e['details']}"
        )
