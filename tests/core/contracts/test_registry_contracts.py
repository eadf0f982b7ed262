"""Every contract on the real schema registry: registered, compatible with its releases, and
an incompatible change is caught before it can reach a topic."""

from __future__ import annotations

import json
import uuid

import pytest
from confluent_kafka.schema_registry import Schema
from confluent_kafka.schema_registry.error import SchemaRegistryError

from hive.contracts import load_catalogue
from hive.contracts.serde import make_registry_client
from hive_tools.admin.schemas import check_against_registry, check_against_released, register_all

pytestmark = pytest.mark.contract

CATALOGUE = load_catalogue()
TOPICS = sorted(CATALOGUE.topics)


@pytest.fixture(scope="module")
def client(hive_topics):
    return make_registry_client(hive_topics["HIVE_SCHEMA_REGISTRY_URL"])


@pytest.mark.parametrize("topic", TOPICS)
def test_schema_is_registered_as_is(client, topic):
    spec = CATALOGUE[topic]
    registered = client.lookup_schema(spec.subject, Schema(spec.schema_str(), "AVRO"))
    assert registered.schema_id > 0
    assert client.get_compatibility(spec.subject) == "BACKWARD"


def test_registering_again_is_idempotent(client):
    first = {r.subject: r.detail for r in register_all(client, CATALOGUE)}
    second = {r.subject: r.detail for r in register_all(client, CATALOGUE)}
    assert first == second and all(d.startswith("id ") for d in first.values())


def test_every_schema_is_backward_compatible_with_its_release(client):
    results = check_against_released(client, CATALOGUE)
    assert {r.subject for r in results} == {CATALOGUE[t].subject for t in TOPICS}
    bad = [r for r in results if r.outcome != "compatible"]
    assert not bad, bad


def test_every_schema_is_compatible_with_what_the_registry_serves(client):
    bad = [r for r in check_against_registry(client, CATALOGUE) if r.outcome != "compatible"]
    assert not bad, bad


def _broken_parsed_signal() -> str:
    """A required field with no default: new readers cannot read old records."""
    schema = json.loads(CATALOGUE["signals.parsed.v1"].schema_str())
    schema["fields"].append({"name": "broker_ticket", "type": "string"})
    return json.dumps(schema)


def _removed_type_change() -> str:
    """`symbol` turned from a string into an int: nothing old can be read."""
    schema = json.loads(CATALOGUE["signals.parsed.v1"].schema_str())
    for field in schema["fields"]:
        if field["name"] == "symbol":
            field["type"] = "int"
    return json.dumps(schema)


@pytest.mark.parametrize("broken", [_broken_parsed_signal, _removed_type_change])
def test_incompatible_change_is_caught_by_the_check(client, broken):
    results = check_against_released(client, CATALOGUE, {"signals.parsed.v1": broken()})
    verdict = {r.subject: r.outcome for r in results}
    assert verdict["signals.parsed.v1-value"] == "incompatible"
    # The other subjects are untouched by the broken one.
    assert all(v == "compatible" for s, v in verdict.items() if s != "signals.parsed.v1-value")


def test_registry_refuses_to_register_an_incompatible_version(client):
    subject = f"contract-{uuid.uuid4().hex[:8]}-value"
    try:
        client.set_compatibility(subject, "BACKWARD")
        client.register_schema(subject, Schema(CATALOGUE["signals.parsed.v1"].schema_str(), "AVRO"))
        with pytest.raises(SchemaRegistryError) as exc:
            client.register_schema(subject, Schema(_broken_parsed_signal(), "AVRO"))
        assert exc.value.http_status_code == 409
    finally:
        client.delete_subject(subject)
        client.delete_subject(subject, permanent=True)
