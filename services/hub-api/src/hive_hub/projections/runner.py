"""The projection consumer: the shared ServiceLoop over the hive's topics, writing each batch to
the read models in one transaction before the batch's offsets are stored (at-least-once; the
upserts make a redelivered record change nothing).

It runs either in the hub's process, on a thread of its own with its own event loop and engine
(the default, HIVE_HUB_PROJECTIONS=true), or alone as `python -m hive_hub.projections` beside
API processes started with HIVE_HUB_PROJECTIONS=false. Either way the consumer group is
`hive.hub-api` (HIVE_GROUP_ID moves it): one projector per database.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError

from hive.contracts import CodecRegistry, load_catalogue
from hive.contracts.serde import make_registry_client
from hive.runtime.loop import ServiceLoop
from hive.runtime.records import InboundRecord, OutboundRecord, RejectRecord
from hive.runtime.service import preflight, standard_heartbeat
from hive.topics import HIVE_HEARTBEATS
from hive_hub.db import make_engine
from hive_hub.projections.mapping import INPUTS, TABLES, ProjectionError, Source, Write, project
from hive_hub.projections.store import apply_batch
from hive_hub.settings import HubSettings

log = logging.getLogger(__name__)


class Projector:
    """Feeds the loop's records to the read models; `applied` counts records written."""

    def __init__(self, settings: HubSettings) -> None:
        self.settings = settings
        self.applied = 0
        self.last_batch_at: float | None = None
        self.caught_up_tables = False
        self._pending: list[Write] = []
        self._pending_records = 0
        self._runner = asyncio.Runner()
        self._engine = make_engine(settings.database_url, settings.database_schema)
        self._stop = threading.Event()
        self._loop: ServiceLoop | None = None

    # -- the handler and the batch end ----------------------------------------------------
    def handle(self, record: InboundRecord) -> Iterable[OutboundRecord]:
        src = Source(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            tombstone=record.tombstone,
        )
        try:
            self._pending.extend(project(record.value, src))
        except ProjectionError as exc:
            raise RejectRecord("projection_error", str(exc)) from None
        self._pending_records += 1
        return ()

    def flush(self) -> Iterable[OutboundRecord]:
        """Write what the batch produced; retried while the database is unreachable, so the
        batch's offsets move only once its rows are committed."""
        if not self._pending:
            return ()
        delay = 0.2
        while True:
            try:
                self._runner.run(apply_batch(self._engine, self._pending))
                break
            except (OperationalError, DBAPIError, OSError) as exc:
                if self._stop.is_set():
                    raise
                log.warning("read models unavailable (%s); retrying in %.1fs", exc, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, 5.0)
        self.applied += self._pending_records
        self._pending.clear()
        self._pending_records = 0
        self.last_batch_at = time.time()
        return ()

    def _after_tables(self) -> None:
        self.flush()
        self.caught_up_tables = True

    # -- lifecycle --------------------------------------------------------------------------
    def build(self) -> ServiceLoop:
        s = self.settings
        codecs = CodecRegistry(make_registry_client(s.schema_registry_url), load_catalogue())
        preflight(codecs, [*INPUTS, HIVE_HEARTBEATS])
        self._loop = ServiceLoop(
            s,
            list(INPUTS),
            self.handle,
            codecs,
            heartbeat=standard_heartbeat,
            tables=TABLES,
            after_restore=self._after_tables,
            batch_end=self.flush,
            consumer_overrides={"auto.offset.reset": s.hub_offset_reset},
        )
        return self._loop

    def run(self) -> None:
        loop = self._loop or self.build()
        try:
            loop.run()
        finally:
            self._runner.run(self._engine.dispose())
            self._runner.close()

    def stop(self) -> None:
        self._stop.set()
        if self._loop is not None:
            self._loop.stop()

    def status(self) -> dict[str, Any]:
        return {
            "running": self._loop is not None and not self._stop.is_set(),
            "records_applied": self.applied,
            "tables_loaded": self.caught_up_tables,
            "last_batch_at": self.last_batch_at,
        }


class ProjectorThread:
    """The projector on a daemon thread inside the API process."""

    def __init__(self, settings: HubSettings) -> None:
        self.projector = Projector(settings)
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="hub-projections", daemon=True)

    def _run(self) -> None:
        try:
            self.projector.run()
        except BaseException as exc:  # reported by /readyz rather than lost with the thread
            log.exception("projections stopped")
            self.error = exc

    def start(self) -> None:
        self.projector.build()  # preflight errors surface at start, in the caller
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        self.projector.stop()
        self._thread.join(timeout_s)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()
