"""Avro serde in the Confluent wire format through confluent_kafka.schema_registry.

Services never auto-register: a schema must have been registered (by `hive schemas register`)
before a service can write with it, so a schema change is always a deliberate release.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from hive.contracts.catalogue import Catalogue, TopicSpec


class SerdeError(ValueError):
    """A record could not be written or read; `reason` is a short stable code for metrics."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def make_registry_client(url: str) -> SchemaRegistryClient:
    """A registry client; `mock://name` gives confluent-kafka's in-memory client (unit tests)."""
    return SchemaRegistryClient.new_client({"url": url})


class AvroCodec:
    """Writes and reads one topic's values with the topic's current (reader) schema."""

    def __init__(self, client: SchemaRegistryClient, topic: str, schema_str: str) -> None:
        self.topic = topic
        self.schema = Schema(schema_str, "AVRO")
        self._ctx = SerializationContext(topic, MessageField.VALUE)
        # The Schema object, not the string: the serializer would re-format a string, and the
        # exact text is what a registry without normalisation matches on lookup.
        self._serializer = AvroSerializer(
            client,
            self.schema,
            conf={"auto.register.schemas": False, "use.latest.version": False},
        )
        # Reading with our own schema as reader schema resolves older writers compatibly.
        self._deserializer = AvroDeserializer(client, schema_str)

    def encode(self, value: Mapping[str, Any]) -> bytes:
        try:
            out = self._serializer(value, self._ctx)
        except Exception as exc:  # the serializer raises several unrelated types
            raise SerdeError("serialization_error", f"{self.topic}: {exc}") from exc
        if out is None:
            raise SerdeError("serialization_error", f"{self.topic}: serializer returned nothing")
        return bytes(out)

    def decode(self, data: bytes | None) -> dict[str, Any]:
        if not data:
            raise SerdeError("empty_value", f"{self.topic}: record has no value")
        try:
            value = self._deserializer(data, self._ctx)
        except Exception as exc:
            raise SerdeError("deserialization_error", f"{self.topic}: {exc}") from exc
        if not isinstance(value, dict):
            raise SerdeError("deserialization_error", f"{self.topic}: not a record")
        return value


class CodecRegistry:
    """One codec per topic, built lazily from the catalogue (or explicit schema overrides)."""

    def __init__(
        self,
        client: SchemaRegistryClient,
        catalogue: Catalogue | None = None,
        overrides: Mapping[str, str] | None = None,
    ) -> None:
        self.client = client
        self._catalogue = catalogue
        # topic -> schema string, for topics outside the catalogue (tests, benchmarks)
        self._overrides = dict(overrides or {})
        self._codecs: dict[str, AvroCodec] = {}

    def spec(self, topic: str) -> TopicSpec | None:
        if self._catalogue is None or topic not in self._catalogue.topics:
            return None
        return self._catalogue.topics[topic]

    def codec(self, topic: str) -> AvroCodec:
        codec = self._codecs.get(topic)
        if codec is None:
            if topic in self._overrides:
                schema = self._overrides[topic]
            elif self._catalogue is not None:
                schema = self._catalogue[topic].schema_str()
            else:
                raise KeyError(f"no schema known for topic {topic!r}")
            codec = self._codecs[topic] = AvroCodec(self.client, topic, schema)
        return codec

    def dlq_topic(self, topic: str) -> str:
        spec = self.spec(topic)
        if spec is not None and spec.dlq:
            return spec.dlq
        return f"{topic}.dlq"
