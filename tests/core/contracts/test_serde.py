"""Serde round trip of every record type in the Confluent wire format.

Uses confluent-kafka's in-memory registry client (`mock://`): this tier tests our encoding,
the contract tier tests the same schemas on the real registry.
"""

import json
import struct

import pytest
from confluent_kafka.schema_registry import Schema

from hive.contracts import CodecRegistry, SerdeError, load_catalogue
from hive.contracts.serde import make_registry_client

pytestmark = pytest.mark.unit

CATALOGUE = load_catalogue()


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
    decoded = codecs.codec(topic).decode(data)
    assert decoded == example  # timestamps come back as epoch millis, like they went in


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


def test_older_writer_is_read_with_the_current_schema():
    """Schema evolution: a record written with v1 is read by a v2 reader, new field defaulted."""
    spec = CATALOGUE["signals.raw.v1"]
    v2 = json.loads(spec.schema_str())
    v2["fields"].append({"name": "language", "type": ["null", "string"], "default": None})
    client = make_registry_client("mock://unit-serde-evolution")
    client.register_schema(spec.subject, Schema(spec.schema_str(), "AVRO"))
    client.register_schema(spec.subject, Schema(json.dumps(v2), "AVRO"))
    old = CodecRegistry(client, CATALOGUE).codec("signals.raw.v1")
    new = CodecRegistry(client, None, {"signals.raw.v1": json.dumps(v2)}).codec("signals.raw.v1")
    data = old.encode(_example("signals.raw.v1"))
    assert new.decode(data) == {**_example("signals.raw.v1"), "language": None}
    assert new.encode(new.decode(data))[1:5] != data[1:5], "the new writer uses its own id"


def test_trailing_bytes_are_refused(codecs):
    data = codecs.codec("signals.raw.v1").encode(_example("signals.raw.v1"))
    with pytest.raises(SerdeError, match="trailing bytes"):
        codecs.codec("signals.raw.v1").decode(data + b"\x00")
