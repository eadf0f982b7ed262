"""What a replay reads: channel files, a bars CSV and a bots file, all checked before anything runs."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hive.intake import IntakeError
from hive.paths import repo_root

SAMPLE_DIR_NAME = "data/signals"
SAMPLE_BOTS_NAME = "sample-bots.yaml"


def sample_dir() -> Path:
    return repo_root() / SAMPLE_DIR_NAME


def sample_channels() -> list[Path]:
    """The bundled sample channel: one JSON-lines file per source (data/signals/README.md)."""
    return sorted(sample_dir().glob("*.jsonl"))


def sample_bots() -> Path:
    return sample_dir() / SAMPLE_BOTS_NAME


@dataclass(frozen=True)
class ChannelSpec:
    path: Path
    source: str | None  # None: from the file (a Telegram export's name, else the file's stem)


def parse_channel_spec(spec: str) -> ChannelSpec:
    """`PATH` or `SOURCE=PATH`."""
    source, sep, path = spec.partition("=")
    if not sep:
        return ChannelSpec(Path(spec), None)
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+", source):
        raise IntakeError(f"{spec!r}: source must be letters, digits, '.', '_' or '-'")
    return ChannelSpec(Path(path), source)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "channel"


def read_channel(spec: ChannelSpec, text_start_ms: int | None = None) -> list[dict[str, Any]]:
    """A channel file as signals.raw records, by its suffix: .jsonl (JSON lines), .json (Telegram
    Desktop export), anything else a text file of blank-line separated messages."""
    from hive.intake.telegram import read_telegram_export
    from hive.intake.textfile import read_json_lines, read_text_blocks

    path = spec.path
    if not path.is_file():
        raise IntakeError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return read_json_lines(path, spec.source or path.stem)
    if suffix == ".json":
        source = spec.source
        if source is None:  # the channel's own name, as Telegram writes it in the export
            try:
                name = json.loads(path.read_text(encoding="utf-8")).get("name")
            except (OSError, ValueError, AttributeError):
                name = None
            source = _slug(name) if isinstance(name, str) else path.stem
        return read_telegram_export(path, source)
    return read_text_blocks(path, spec.source or path.stem, text_start_ms)


def read_channels(specs: list[ChannelSpec]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    seen: dict[str, Path] = {}
    for spec in specs:
        batch = read_channel(spec)
        for source in {str(r["source"]) for r in batch}:
            if source in seen:
                raise IntakeError(
                    f"{spec.path}: source {source!r} is also read from {seen[source]}; "
                    "give each file its own source with SOURCE=PATH"
                )
            seen[source] = spec.path
        records += batch
    return records
