"""A dead letter always fits the producer's record size limit.

Found by the raw-message fuzz run (bench/fuzz): a signals.raw record of ~999,700 bytes is a valid
Kafka record, but its dead letter (the same bytes plus the hive.dlq.* headers) was over
librdkafka's 1,000,000-byte `message.max.bytes`; `produce` raised MSG_SIZE_TOO_LARGE and the
parser died, and would have died again on the same record after every restart."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaException

from hive.config import ServiceSettings
from hive.contracts import CodecRegistry, load_catalogue
from hive.contracts.serde import make_registry_client
from hive.runtime.loop import PRODUCER_MAX_MESSAGE_BYTES, ServiceLoop, fit_dead_letter

pytestmark = pytest.mark.unit

OWN = [("hive.dlq.reason", b"message_too_long"), ("hive.dlq.error", b"x" * 4000)]


class _Msg:
    """The parts of a confluent_kafka.Message the loop's dead-lettering reads."""

    def __init__(self, value: bytes | None, key: bytes | None = b"src", headers=None) -> None:
        self._value, self._key, self._headers = value, key, headers

    def topic(self) -> str:
        return "signals.raw.v1"

    def partition(self) -> int:
        return 2

    def offset(self) -> int:
        return 41

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value

    def headers(self):
        return self._headers


def _size(key, value, headers) -> int:
    return len(key or b"") + len(value) + sum(len(k) + len(v or b"") for k, v in headers)


def test_a_small_dead_letter_is_unchanged() -> None:
    carried = [("trace", b"1")]
    key, value, headers = fit_dead_letter(b"k", b"v" * 100, carried, OWN, 1_000_000)
    assert (key, value, headers) == (b"k", b"v" * 100, [*carried, *OWN])


def test_a_value_near_the_limit_is_cut_to_fit_and_says_so() -> None:
    value = b"v" * 999_700
    key, out, headers = fit_dead_letter(b"src", value, [], OWN, PRODUCER_MAX_MESSAGE_BYTES)
    assert _size(key, out, headers) < PRODUCER_MAX_MESSAGE_BYTES - 512
    assert key == b"src" and value.startswith(out) and len(out) > 900_000
    assert dict(headers)["hive.dlq.value.truncated"] == b"999700"
    assert dict(headers)["hive.dlq.reason"] == b"message_too_long"


def test_huge_input_headers_are_dropped_and_counted() -> None:
    carried = [("big", b"h" * 800_000), ("small", b"s")]
    key, out, headers = fit_dead_letter(b"src", b"v" * 300_000, carried, OWN, 1_000_000)
    names = dict(headers)
    assert "big" not in names and names["hive.dlq.headers.dropped"] == b"2"
    assert out == b"v" * 300_000 and "hive.dlq.value.truncated" not in names
    assert _size(key, out, headers) < 1_000_000


def test_the_loop_dead_letters_a_record_at_the_size_limit_without_raising() -> None:
    settings = ServiceSettings(
        service_name="signal-parser", kafka_bootstrap="127.0.0.1:1", schema_registry_url="mock://x"
    )
    codecs = CodecRegistry(make_registry_client("mock://unit-dlq-size"), load_catalogue())
    loop = ServiceLoop(settings, ["signals.raw.v1"], lambda r: [], codecs)
    try:
        msg = _Msg(b"\x00" + b"v" * 999_700, headers=[("trace", b"abc")])
        rec = loop._dead_letter(msg, "message_too_long", "x" * 5000)
        assert rec.topic == "signals.raw.v1.dlq" and rec.key == b"src"
        assert dict(rec.headers)["hive.dlq.source.offset"] == b"41"
        # librdkafka checks the size in produce() itself (no broker needed): this one fits.
        loop.producer.produce(rec.topic, rec.value, rec.key, headers=rec.headers)
        with pytest.raises(KafkaException, match=r"MSG_SIZE_TOO_LARGE|too large"):
            loop.producer.produce(
                rec.topic, msg.value(), rec.key, headers=[*msg.headers(), *rec.headers[1:]]
            )
    finally:
        loop.producer.purge()
        loop.producer.flush(0)
        loop.health._server.server_close()
        loop.consumer.close()
