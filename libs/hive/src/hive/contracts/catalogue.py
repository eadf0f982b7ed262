"""The topic catalogue (`schemas/topics.yaml`): one place that says what every topic is."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from hive.paths import schemas_dir

_VERSIONED = re.compile(r"^[a-z][a-z0-9_.-]*\.v\d+$")


class CatalogueError(ValueError):
    """The catalogue file is inconsistent; the message names the topic and field."""


@dataclass(frozen=True)
class TopicSpec:
    name: str
    value_schema: Path
    record: str
    key: str
    partitions: int
    cleanup_policy: str
    retention_ms: int
    dlq: str | None
    description: str
    replication_factor: int

    @property
    def subject(self) -> str:
        """Confluent TopicNameStrategy subject for the value schema."""
        return f"{self.name}-value"

    def schema_str(self) -> str:
        return self.value_schema.read_text(encoding="utf-8")

    def kafka_config(self) -> dict[str, str]:
        cfg = {"cleanup.policy": self.cleanup_policy, "retention.ms": str(self.retention_ms)}
        if self.cleanup_policy == "compact":
            cfg["min.cleanable.dirty.ratio"] = "0.1"
        return cfg


@dataclass(frozen=True)
class Catalogue:
    topics: dict[str, TopicSpec]
    root: Path

    def __getitem__(self, name: str) -> TopicSpec:
        try:
            return self.topics[name]
        except KeyError:
            known = ", ".join(sorted(self.topics))
            raise KeyError(f"topic {name!r} is not in the catalogue (known: {known})") from None

    def released_versions(self, topic: str) -> list[Path]:
        """Released value-schema versions of a topic, oldest first."""
        folder = self.root / "released" / topic
        files = [p for p in folder.glob("*.avsc") if p.stem.isdigit()]
        return sorted(files, key=lambda p: int(p.stem))


def _require(entry: dict[str, Any], field: str, topic: str) -> Any:
    if field not in entry:
        raise CatalogueError(f"topics.yaml: topic {topic!r} has no {field!r}")
    return entry[field]


def _parse_topic(name: str, entry: dict[str, Any], root: Path, replication: int) -> TopicSpec:
    if not _VERSIONED.match(name):
        raise CatalogueError(f"topics.yaml: topic {name!r} must end with a major version (.vN)")
    schema_path = root / "avro" / str(_require(entry, "value_schema", name))
    if not schema_path.exists():
        raise CatalogueError(f"topics.yaml: topic {name!r}: schema file {schema_path} is missing")
    record = str(_require(entry, "record", name))
    declared = json.loads(schema_path.read_text(encoding="utf-8"))
    full = f"{declared.get('namespace')}.{declared.get('name')}"
    if declared.get("name") != record and full != record:
        raise CatalogueError(f"topics.yaml: topic {name!r}: {schema_path.name} defines {full}")
    policy = str(_require(entry, "cleanup_policy", name))
    if policy not in ("delete", "compact"):
        raise CatalogueError(f"topics.yaml: topic {name!r}: cleanup_policy must be delete|compact")
    partitions = int(_require(entry, "partitions", name))
    if partitions < 1:
        raise CatalogueError(f"topics.yaml: topic {name!r}: partitions must be >= 1")
    return TopicSpec(
        name=name,
        value_schema=schema_path,
        record=record,
        key=str(_require(entry, "key", name)),
        partitions=partitions,
        cleanup_policy=policy,
        retention_ms=int(_require(entry, "retention_ms", name)),
        dlq=entry.get("dlq"),
        description=str(entry.get("description", "")),
        replication_factor=int(entry.get("replication_factor", replication)),
    )


@cache
def load_catalogue(root: Path | None = None) -> Catalogue:
    root = root or schemas_dir()
    path = root / "topics.yaml"
    if not path.exists():
        raise CatalogueError(
            f"topic catalogue not found at {path} (set HIVE_HOME or HIVE_SCHEMAS_DIR)"
        )
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    replication = int((doc.get("defaults") or {}).get("replication_factor", 1))
    topics = {
        name: _parse_topic(name, entry or {}, root, replication)
        for name, entry in (doc.get("topics") or {}).items()
    }
    if not topics:
        raise CatalogueError(f"{path} lists no topics")
    return Catalogue(topics=topics, root=root)
