"""Serde round trip of every record type in the Confluent wire format.

Uses confluent-kafka's in-memory registry client (`mock://`): this tier tests our encoding,
the contract tier tests the same schemas on the real registry.
"""

import datetime as dt
import json
import struct

import pytest
from confluent_kafka.schema_registry import Schema

from hive.contracts import CodecRegistry, SerdeError, load_catalogue
from hive.contracts.serde import make_registry_client

pytestmark = pytest.mark.unit

CATALOGUE = load_catalogue()


def _plain(value):
    """Datetimes (timestamp-millis) back to epoch millis, to compare with the JSON examples."""
    if isinstance(value, dt.datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@pytest.fixture(scope="module")
def codecs():
    client = make_registry_client("mock://unit-serde")
    for spec in CATALOGUE.topics.values():
        client.register_schema(spec.subject, Schema(spec.schema_str(), "AVRO"))
    return CodecRegistry(client, CATALOGUE)


def _example(topic: str) -> dict:
    spec = CATALOGUE[topic]
    path = CATALOGUE.root / "examples" / f"{spec.value_schema.stem}.json"
    return json.loads(path.read_text())


@pytest.mark.parametrize("topic", sorted(CATALOGUE.topics))
def test_round_trip(codecs, topic):
    example = _example(topic)
    data = codecs.codec(topic).encode(example)
    assert data[0] == 0, "Confluent wire format starts with magic byte 0"
    schema_id = struct.unpack(">I", data[1:5])[0]
    assert (
        schema_id
        == codecs.client.lookup_schema(
            CATALOGUE[topic].subject, codecs.codec(topic).schema
        ).schema_id
    )
    assert _plain(codecs.codec(topic).decode(data)) == example


def test_unregistered_schema_is_refused_not_registered():
    client = make_registry_client("mock://unit-serde-empty")
    codecs = CodecRegistry(client, CATALOGUE)
    topic = "signals.raw.v1"
    with pytest.raises(SerdeError) as exc:
        codecs.codec(topic).encode(_example(topic))
    assert exc.value.reason == "serialization_error"
    assert client.get_subjects() == []


def test_garbage_bytes_are_a_deserialization_error(codecs):
    with pytest.raises(SerdeError) as exc:
        codecs.codec("signals.raw.v1").decode(b"\x00\x00\x00\x00\x01garbage")
    assert exc.value.reason == "deserialization_error"
    with pytest.raises(SerdeError) as exc:
        codecs.codec("signals.raw.v1").decode(b"")
    assert exc.value.reason == "empty_value"


def test_missing_required_field_is_a_serialization_error(codecs):
    example = _example("signals.raw.v1")
    del example["event_id"]
    with pytest.raises(SerdeError):
        codecs.codec("signals.raw.v1").encode(example)
