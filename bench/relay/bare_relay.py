"""The baseline: a hand-written confluent-kafka relay with the runtime's client settings.

Same at-least-once rule as the runtime (store offsets after the batch is acknowledged), no
runtime around it. `--avro` also decodes and re-encodes each value with the same serde, so
the difference to the runtime relay is the runtime itself.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--linger-ms", type=float, default=1.0)
    ap.add_argument("--avro-schema", type=Path, help="decode and re-encode with this schema")
    ap.add_argument("--registry")
    args = ap.parse_args()

    codec_in = codec_out = None
    if args.avro_schema:
        from hive.contracts.serde import AvroCodec, make_registry_client

        client = make_registry_client(args.registry)
        schema = args.avro_schema.read_text()
        codec_in = AvroCodec(client, args.source, schema)
        codec_out = AvroCodec(client, args.target, schema)

    consumer = Consumer(
        {
            "bootstrap.servers": args.bootstrap,
            "group.id": args.group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": True,
            "enable.auto.offset.store": False,
            "isolation.level": "read_committed",
        }
    )
    producer = Producer(
        {
            "bootstrap.servers": args.bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": args.linger_ms,
        }
    )
    running = True

    def stop(*_: object) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    consumer.subscribe([args.source])
    while running:
        first = consumer.poll(0.1)
        if first is None:
            continue
        batch = [first, *consumer.consume(499, 0)]
        last: dict[int, int] = {}
        for m in batch:
            if m.error():
                continue
            value = m.value()
            if codec_in and codec_out:
                value = codec_out.encode(codec_in.decode(value))
            producer.produce(args.target, value, m.key(), headers=m.headers())
            last[m.partition()] = m.offset()
        producer.flush()
        consumer.store_offsets(
            offsets=[TopicPartition(args.source, p, o + 1) for p, o in last.items()]
        )
    consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
