"""A relay built on the runtime: copies one topic to another, record by record.

Useful on its own (mirroring a topic into a new major version during a migration), and the
reference the runtime is measured and crash-tested with (`bench/relay`, tests/core/runtime).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from hive.config import ServiceSettings, load_settings
from hive.runtime import InboundRecord, OutboundRecord
from hive.runtime.records import Handler
from hive.runtime.service import run_service


class RelaySettings(ServiceSettings):
    service_name: str = "relay"
    relay_source: str = Field(..., min_length=1)
    relay_target: str = Field(..., min_length=1)
    # For topics outside the catalogue: the .avsc both topics carry.
    relay_schema: Path | None = None
    relay_heartbeats: bool = True


def relay_handler(target: str) -> Handler:
    def handle(record: InboundRecord) -> list[OutboundRecord]:
        # Headers travel with the record: they carry tracing and timing across the hop.
        return [
            OutboundRecord(topic=target, key=record.key, value=record.value, headers=record.headers)
        ]

    return handle


def main() -> int:
    s = load_settings(RelaySettings)
    overrides = None
    if s.relay_schema is not None:
        schema = s.relay_schema.read_text(encoding="utf-8")
        overrides = {s.relay_source: schema, s.relay_target: schema}
    return run_service(
        s,
        [s.relay_source],
        [s.relay_target],
        relay_handler(s.relay_target),
        schema_overrides=overrides,
        heartbeats=s.relay_heartbeats,
    )


if __name__ == "__main__":
    raise SystemExit(main())
