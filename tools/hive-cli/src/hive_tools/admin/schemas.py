"""Register the catalogue's schemas and check them for compatibility on the registry.

The registry is the judge of compatibility (its Confluent-compatible API), so the rules are
the same ones every producer and consumer of the hive is held to.
"""

from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from hive.contracts.catalogue import Catalogue

COMPATIBILITY = "BACKWARD"
SCRATCH_PREFIX = "hive-check."


@dataclass(frozen=True)
class SchemaResult:
    subject: str
    outcome: str  # registered | compatible | incompatible | error | no-release
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome in ("registered", "compatible", "no-release")


def _subject_exists(client: SchemaRegistryClient, subject: str) -> bool:
    try:
        client.get_latest_version(subject)
        return True
    except SchemaRegistryError as exc:
        if exc.http_status_code == 404:
            return False
        raise


def register_all(
    client: SchemaRegistryClient, catalogue: Catalogue, topics: list[str] | None = None
) -> list[SchemaResult]:
    """Set BACKWARD compatibility per subject and register the current schema (idempotent)."""
    results = []
    for spec in catalogue.topics.values():
        if topics and spec.name not in topics:
            continue
        schema = Schema(spec.schema_str(), "AVRO")
        try:
            client.set_compatibility(spec.subject, COMPATIBILITY)
            if _subject_exists(client, spec.subject) and not client.test_compatibility(
                spec.subject, schema
            ):
                results.append(
                    SchemaResult(
                        spec.subject, "incompatible", "not BACKWARD compatible with latest"
                    )
                )
                continue
            schema_id = client.register_schema(spec.subject, schema)
            results.append(SchemaResult(spec.subject, "registered", f"id {schema_id}"))
        except SchemaRegistryError as exc:
            results.append(SchemaResult(spec.subject, "error", exc.error_message))
    return results


def check_against_released(
    client: SchemaRegistryClient,
    catalogue: Catalogue,
    schema_overrides: dict[str, str] | None = None,
) -> list[SchemaResult]:
    """Is each current schema BACKWARD compatible with its newest released version?

    The released versions are replayed into a scratch subject, the registry tests the current
    schema against it, and the scratch subject is deleted again.
    """
    results = []
    for spec in catalogue.topics.values():
        current = (schema_overrides or {}).get(spec.name) or spec.schema_str()
        released = catalogue.released_versions(spec.name)
        if not released:
            results.append(SchemaResult(spec.subject, "no-release", "nothing released yet"))
            continue
        scratch = f"{SCRATCH_PREFIX}{spec.subject}"
        try:
            _drop(client, scratch)
            # Releases were each checked when made, so the history registers under BACKWARD.
            for path in released:
                client.register_schema(scratch, Schema(path.read_text(encoding="utf-8"), "AVRO"))
            # Set after the first version: some registries (Apicurio) have no config before it.
            client.set_compatibility(scratch, COMPATIBILITY)
            ok = client.test_compatibility(scratch, Schema(current, "AVRO"))
            outcome = "compatible" if ok else "incompatible"
            results.append(SchemaResult(spec.subject, outcome, f"against {released[-1].name}"))
        except SchemaRegistryError as exc:
            results.append(SchemaResult(spec.subject, "error", exc.error_message))
        finally:
            _drop(client, scratch)
    return results


def check_against_registry(
    client: SchemaRegistryClient, catalogue: Catalogue
) -> list[SchemaResult]:
    """Is each current schema compatible with what the registry serves now?"""
    results = []
    for spec in catalogue.topics.values():
        try:
            if not _subject_exists(client, spec.subject):
                results.append(SchemaResult(spec.subject, "error", "not registered"))
                continue
            ok = client.test_compatibility(spec.subject, Schema(spec.schema_str(), "AVRO"))
            results.append(SchemaResult(spec.subject, "compatible" if ok else "incompatible"))
        except SchemaRegistryError as exc:
            results.append(SchemaResult(spec.subject, "error", exc.error_message))
    return results


def _drop(client: SchemaRegistryClient, subject: str) -> None:
    for permanent in (False, True):
        try:
            client.delete_subject(subject, permanent=permanent)
        except SchemaRegistryError as exc:
            if exc.http_status_code != 404:
                raise
