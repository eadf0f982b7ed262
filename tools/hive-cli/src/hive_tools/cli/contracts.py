"""`hive topics …` and `hive schemas …`: the catalogue applied to a cluster and a registry."""

from __future__ import annotations

from typing import Annotated

import typer

from hive.config import KafkaSettings, load_settings

topics_app = typer.Typer(help="Kafka topics from the catalogue (schemas/topics.yaml).")
schemas_app = typer.Typer(help="Avro schemas on the schema registry.")

BootstrapOpt = Annotated[
    str | None,
    typer.Option("--bootstrap", help="Kafka bootstrap servers (env HIVE_KAFKA_BOOTSTRAP)"),
]
RegistryOpt = Annotated[
    str | None, typer.Option("--registry", help="Registry URL (env HIVE_SCHEMA_REGISTRY_URL)")
]


def _settings(bootstrap: str | None = None, registry: str | None = None) -> KafkaSettings:
    overrides: dict[str, object] = {}
    if bootstrap:
        overrides["kafka_bootstrap"] = bootstrap
    if registry:
        overrides["schema_registry_url"] = registry
    return load_settings(KafkaSettings, **overrides)


@topics_app.command("list")
def topics_list() -> None:
    """Print the catalogue: topic, partitions, cleanup policy, key, dead-letter topic."""
    from hive.contracts import load_catalogue

    for spec in load_catalogue().topics.values():
        typer.echo(
            f"{spec.name:28} p={spec.partitions} {spec.cleanup_policy:7} "
            f"key={spec.key:32} dlq={spec.dlq or '-'}"
        )


@topics_app.command("create")
def topics_create(bootstrap: BootstrapOpt = None) -> None:
    """Create every catalogue topic and its dead-letter topic (idempotent)."""
    from hive.contracts import load_catalogue
    from hive_tools.admin.topics import create_topics

    s = _settings(bootstrap=bootstrap)
    results = create_topics(s.kafka_bootstrap, load_catalogue())
    for r in results:
        typer.echo(f"{r.outcome:8} {r.topic} {r.detail}")
    errors = [r for r in results if r.outcome == "error"]
    if errors:
        typer.echo(f"{len(errors)} topic(s) could not be created", err=True)
        raise typer.Exit(1)
    created = sum(r.outcome == "created" for r in results)
    typer.echo(f"{created} created, {len(results) - created} already there")


def _registry(registry: str | None):  # type: ignore[no-untyped-def]
    from hive.contracts.serde import make_registry_client

    return make_registry_client(_settings(registry=registry).schema_registry_url)


def _report(results: list, what: str) -> None:  # type: ignore[type-arg]
    bad = 0
    for r in results:
        typer.echo(f"{r.outcome:12} {r.subject} {r.detail}")
        bad += not r.ok
    if bad:
        typer.echo(f"{bad} subject(s) failed {what}", err=True)
        raise typer.Exit(1)


@schemas_app.command("register")
def schemas_register(
    registry: RegistryOpt = None,
    topic: Annotated[list[str] | None, typer.Option(help="Only these topics")] = None,
) -> None:
    """Register every catalogue schema with BACKWARD compatibility (idempotent)."""
    from hive.contracts import load_catalogue
    from hive_tools.admin.schemas import register_all

    _report(register_all(_registry(registry), load_catalogue(), topic), "to register")


@schemas_app.command("check")
def schemas_check(
    registry: RegistryOpt = None,
    live: Annotated[bool, typer.Option(help="Also check against the registered latest")] = False,
) -> None:
    """Check each schema is BACKWARD compatible with its newest released version."""
    from hive.contracts import load_catalogue
    from hive_tools.admin.schemas import check_against_registry, check_against_released

    client = _registry(registry)
    results = check_against_released(client, load_catalogue())
    if live:
        results += check_against_registry(client, load_catalogue())
    _report(results, "the compatibility check")
