"""The thin part every service entry point calls: preflight, loop, heartbeats, signals."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping, Sequence

from confluent_kafka.schema_registry.error import SchemaRegistryError

import hive
from hive.config import ServiceSettings
from hive.contracts.catalogue import Catalogue, load_catalogue
from hive.contracts.serde import CodecRegistry, make_registry_client
from hive.logs import configure_logging
from hive.runtime.loop import BatchEnd, ServiceLoop
from hive.runtime.metrics import ServiceMetrics
from hive.runtime.records import Handler, OutboundRecord
from hive.runtime.state_store import StateStore
from hive.topics import HIVE_HEARTBEATS

log = logging.getLogger(__name__)

_STARTED_MS = int(time.time() * 1000)


class PreflightError(RuntimeError):
    """The service cannot start as configured; the message says what to do."""


def standard_heartbeat(loop: ServiceLoop) -> OutboundRecord:
    """Liveness is a wall-clock fact, so a heartbeat is the one record stamped with wall time."""
    now_ms = int(time.time() * 1000)
    s = loop.settings
    instance = f"{socket.gethostname()}-{os.getpid()}-{_STARTED_MS}"
    return OutboundRecord(
        topic=HIVE_HEARTBEATS,
        key=f"{s.service_name}:{instance}",
        value={
            "event_id": f"{s.service_name}:{instance}:{loop.heartbeat_seq}",
            "ts_event": now_ms,
            "ts_init": now_ms,
            "service": s.service_name,
            "instance_id": instance,
            "status": "RUNNING",
            "sequence": loop.heartbeat_seq,
            "started_at": _STARTED_MS,
            "interval_ms": int(s.heartbeat_interval_s * 1000),
            "last_event_time": loop.last_event_ms,
            "consumer_lag": None,
            "version": hive.__version__,
            "details": {},
        },
    )


def preflight(codecs: CodecRegistry, topics: Sequence[str]) -> None:
    """Every topic's schema must be registered before we start: services never auto-register."""
    missing = []
    for topic in topics:
        codec = codecs.codec(topic)
        try:
            codecs.client.lookup_schema(f"{topic}-value", codec.schema)
        except SchemaRegistryError as exc:
            missing.append(f"{topic} ({exc.error_message})")
    if missing:
        raise PreflightError(
            "schemas not registered for: " + ", ".join(missing) + ". Run `hive schemas register`."
        )


def build_loop(
    settings: ServiceSettings,
    inputs: Sequence[str],
    outputs: Sequence[str],
    handler: Handler,
    *,
    catalogue: Catalogue | None = None,
    schema_overrides: Mapping[str, str] | None = None,
    heartbeats: bool = True,
    restore_state: bool = False,
    after_restore: Callable[[], None] | None = None,
    tables: Sequence[str] = (),
    batch_end: BatchEnd | None = None,
    metrics: ServiceMetrics | None = None,
    state_store: StateStore | None = None,
) -> ServiceLoop:
    repeated = sorted({t for t in inputs if list(inputs).count(t) > 1})
    if repeated:  # Kafka refuses the subscription with no word on why
        raise ValueError(f"input topics listed twice: {', '.join(repeated)}")
    client = make_registry_client(settings.schema_registry_url)
    codecs = CodecRegistry(client, catalogue or load_catalogue(), schema_overrides)
    all_topics = [*inputs, *outputs, *([HIVE_HEARTBEATS] if heartbeats else [])]
    preflight(codecs, list(dict.fromkeys(all_topics)))
    return ServiceLoop(
        settings,
        inputs,
        handler,
        codecs,
        heartbeat=standard_heartbeat if heartbeats else None,
        restore_state=restore_state,
        after_restore=after_restore,
        tables=tables,
        batch_end=batch_end,
        metrics=metrics,
        state_store=state_store,
    )


def run_service(
    settings: ServiceSettings,
    inputs: Sequence[str],
    outputs: Sequence[str],
    handler: Handler,
    **kwargs: object,
) -> int:
    """Run until SIGTERM/SIGINT. Returns the process exit code."""
    configure_logging(settings.service_name)
    try:
        loop = build_loop(settings, inputs, outputs, handler, **kwargs)  # type: ignore[arg-type]
    except PreflightError as exc:
        log.error("%s", exc)
        return 2
    loop.install_signal_handlers()
    loop.run()
    return 0
