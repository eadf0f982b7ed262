"""Avro serde in the Confluent wire format.

The registry side goes through confluent_kafka.schema_registry (lookup of our schema's id,
fetch of a writer's schema by id, both cached). The bytes are fastavro's: the Confluent wire
format is a magic byte, the 4-byte schema id and the Avro body. We frame it ourselves rather
than call confluent's AvroSerializer/AvroDeserializer because those cost 15/60 µs per record
against fastavro's 10/13 µs (a rule engine and inline-tag walks we do not use), which capped
a relay at a fraction of its possible throughput (bench/relay).

Timestamps (logicalType timestamp-millis) are read and written as epoch-millisecond ints: the
wire bytes are the same longs, and domain code compares and hashes exact integers.

Services never auto-register: a schema must have been registered (by `hive schemas register`)
before a service can write with it, so a schema change is always a deliberate release.
"""

from __future__ import annotations

import io
import json
import struct
import threading
from collections.abc import Mapping
from typing import Any

import fastavro
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from hive.contracts.catalogue import Catalogue, TopicSpec

MAGIC = 0
_HEADER = struct.Struct(">bI")


class SerdeError(ValueError):
    """A record could not be written or read; `reason` is a short stable code for metrics."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def make_registry_client(url: str) -> SchemaRegistryClient:
    """A registry client; `mock://name` gives confluent-kafka's in-memory client (unit tests)."""
    return SchemaRegistryClient.new_client({"url": url})


def _plain_timestamps(node: Any) -> Any:
    """The schema with timestamp-* logical longs as plain longs (same bytes, ints in Python)."""
    if isinstance(node, dict):
        if str(node.get("logicalType", "")).startswith("timestamp-") and node.get("type") == "long":
            return "long"
        return {k: _plain_timestamps(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain_timestamps(v) for v in node]
    return node


def _parse(schema_str: str) -> Any:
    return fastavro.parse_schema(_plain_timestamps(json.loads(schema_str)))


class AvroCodec:
    """Writes and reads one topic's values with the topic's current (reader) schema."""

    def __init__(self, client: SchemaRegistryClient, topic: str, schema_str: str) -> None:
        self.topic = topic
        self.subject = f"{topic}-value"
        self.schema = Schema(schema_str, "AVRO")
        self._client = client
        self._reader = _parse(schema_str)
        self._header: bytes | None = None
        self._writers: dict[int, Any] = {}
        self._lock = threading.Lock()

    def _own_header(self) -> bytes:
        if self._header is None:
            try:
                registered = self._client.lookup_schema(self.subject, self.schema)
            except SchemaRegistryError as exc:
                raise SerdeError(
                    "serialization_error",
                    f"{self.topic}: schema not registered under {self.subject} "
                    f"({exc.error_message}); run `hive schemas register`",
                ) from exc
            self._header = _HEADER.pack(MAGIC, registered.schema_id)
        return self._header

    def encode(self, value: Mapping[str, Any]) -> bytes:
        buf = io.BytesIO()
        buf.write(self._own_header())
        try:
            fastavro.schemaless_writer(buf, self._reader, value)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            raise SerdeError("serialization_error", f"{self.topic}: {exc!r}") from exc
        return buf.getvalue()

    def _writer_schema(self, schema_id: int) -> Any:
        writer = self._writers.get(schema_id)
        if writer is None:
            with self._lock:
                try:
                    registered = self._client.get_schema(schema_id)
                except SchemaRegistryError as exc:
                    raise SerdeError(
                        "unknown_schema",
                        f"{self.topic}: schema id {schema_id}: {exc.error_message}",
                    ) from exc
                writer = self._writers[schema_id] = _parse(str(registered.schema_str))
        return writer

    def decode(self, data: bytes | None) -> dict[str, Any]:
        if not data:
            raise SerdeError("empty_value", f"{self.topic}: record has no value")
        if len(data) < _HEADER.size or data[0] != MAGIC:
            raise SerdeError(
                "deserialization_error", f"{self.topic}: not in the Confluent wire format"
            )
        _, schema_id = _HEADER.unpack_from(data)
        writer = self._writer_schema(schema_id)
        body = io.BytesIO(data)
        body.seek(_HEADER.size)
        try:
            value = fastavro.schemaless_reader(body, writer, self._reader)
        except Exception as exc:  # fastavro raises many types on corrupt bytes
            raise SerdeError("deserialization_error", f"{self.topic}: {exc!r}") from exc
        if not isinstance(value, dict):
            raise SerdeError("deserialization_error", f"{self.topic}: not a record")
        if body.tell() != len(data):
            raise SerdeError("deserialization_error", f"{self.topic}: trailing bytes")
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

    def is_compacted(self, topic: str) -> bool:
        """A null value on a compacted topic is a tombstone (the key was deleted), not bad input."""
        spec = self.spec(topic)
        return spec is not None and spec.cleanup_policy == "compact"

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
