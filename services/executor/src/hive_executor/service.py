"""executor: intents, allowed modifications, bars and control records -> executions, trades,
snapshots. Updates reach it only as the risk gate's MODIFICATION decisions (orders.decisions).

Recovery: the engine's state is written to the compacted `executor.state.v1` once per batch,
in the same transaction as the batch's outputs and offsets (`exactly_once`), and read back
whole before the first record is handled. Intents are de-duplicated on order_id by the engine.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from hive.liveness import GovernorWatch
from hive.runtime import InboundRecord, OutboundRecord, RejectRecord
from hive.runtime.state_store import StateStore
from hive.topics import (
    ACCOUNTS_SNAPSHOTS,
    CONTROL_BREAKERS,
    CONTROL_COMMANDS,
    CONTROL_PARAMETERS,
    EXECUTOR_STATE,
    HIVE_HEARTBEATS,
    MARKET_BARS,
    ORDERS_DECISIONS,
    ORDERS_EXECUTIONS,
    ORDERS_INTENTS,
    REGISTRY_BOTS,
    TRADES_CLOSED,
)
from hive_executor.engine import Executor, Output
from hive_executor.errors import ExecutorInputError
from hive_executor.state import STATE_VERSION

INPUTS = [
    REGISTRY_BOTS,
    CONTROL_BREAKERS,
    CONTROL_PARAMETERS,
    CONTROL_COMMANDS,
    HIVE_HEARTBEATS,
    MARKET_BARS,
    ORDERS_INTENTS,
    ORDERS_DECISIONS,
]
OUTPUTS = [ORDERS_EXECUTIONS, TRADES_CLOSED, ACCOUNTS_SNAPSHOTS, EXECUTOR_STATE]
# Loaded whole at start-up, so no intent meets an unknown bot, a forgotten breaker or a limit
# without the changes in force.
TABLES = [REGISTRY_BOTS, CONTROL_BREAKERS, CONTROL_PARAMETERS]


def _wall_ms() -> int:
    return int(time.time() * 1000)


log = logging.getLogger(__name__)


class ExecutorService:
    """The engine between the loop and Kafka: routes records, watches the governor, and
    writes the engine's changed state once per batch.

    `watch`: the governor's heartbeats (new entries are refused while it is silent);
    `clock`: the wall clock in ms, for the watch only (liveness is the one wall-clock input);
    `namespace`: prefix of this executor's keys in the store (its consumer group), so two
    executor deployments on one cluster never read each other's state.
    """

    def __init__(
        self,
        engine: Executor,
        watch: GovernorWatch | None = None,
        clock: Callable[[], int] = _wall_ms,
        namespace: str = "hive.executor",
    ) -> None:
        self.engine = engine
        self.prefix = f"{namespace}/"
        self.watch = watch or GovernorWatch(timeout_ms=0)
        self.clock = clock
        self.revisions: dict[str, int] = {}
        self.last_event_ms = 0
        self._routes: dict[str, Callable[[InboundRecord], list[Output]]] = {
            REGISTRY_BOTS: lambda r: engine.on_bot(None if r.tombstone else r.value, r.key),
            CONTROL_BREAKERS: lambda r: [] if r.tombstone else engine.on_breaker(r.value),
            CONTROL_COMMANDS: lambda r: engine.on_command(r.value),
            CONTROL_PARAMETERS: lambda r: engine.on_parameter(
                None if r.tombstone else r.value, r.key
            ),
            HIVE_HEARTBEATS: self._on_heartbeat,
            MARKET_BARS: lambda r: engine.on_bar(r.value),
            ORDERS_INTENTS: self._on_intent,
            ORDERS_DECISIONS: lambda r: engine.on_decision(r.value),
        }

    def _on_heartbeat(self, rec: InboundRecord) -> list[Output]:
        self.watch.observe(rec.value)
        return []

    def _on_intent(self, rec: InboundRecord) -> list[Output]:
        self.engine.set_governor_alive(self.watch.alive(self.clock()))
        return self.engine.on_intent(rec.value)

    def handle(self, rec: InboundRecord) -> list[OutboundRecord]:
        try:
            outputs = self._routes[rec.topic](rec)
        except ExecutorInputError as exc:
            raise RejectRecord(exc.reason, str(exc)) from exc
        ts = rec.value.get("ts_event")
        if rec.topic != HIVE_HEARTBEATS and isinstance(ts, int):
            self.last_event_ms = max(self.last_event_ms, ts)
        return [OutboundRecord(o.topic, o.value, key=o.key) for o in outputs]

    def owns(self, record: InboundRecord) -> bool:
        return str(record.value.get("state_key", "")).startswith(self.prefix)

    def restore(self, record: InboundRecord) -> None:
        """One `executor.state` record of ours, read at start-up (the latest per key wins)."""
        value = record.value
        if value.get("state_version") != STATE_VERSION:
            raise RuntimeError(
                f"executor.state {value.get('state_key')}: state_version "
                f"{value.get('state_version')} is not {STATE_VERSION}; refusing to guess"
            )
        key = str(value["state_key"]).removeprefix(self.prefix)
        self.revisions[key] = int(value["revision"])
        self.last_event_ms = max(self.last_event_ms, int(value["ts_event"]))
        self.engine.import_state(key, "" if value.get("deleted") else str(value["state"]))

    def state_store(self) -> StateStore:
        """The recovery store for the runtime: the newest record of each state key this
        instance owns, restored once the runtime has read the topic to its end."""
        latest: dict[str, InboundRecord] = {}

        def keep(rec: InboundRecord) -> None:
            if not rec.tombstone and self.owns(rec):
                latest[str(rec.value["state_key"])] = rec

        def restored() -> None:
            for rec in latest.values():
                self.restore(rec)
            log.info("restored %d state key(s) from %s", len(latest), EXECUTOR_STATE)

        return StateStore(topics=(EXECUTOR_STATE,), keep=keep, restored=restored)

    def write_state(self) -> list[OutboundRecord]:
        """The batch-end hook: one `executor.state` record per state key the batch changed."""
        out = []
        ts = self.last_event_ms
        for key, text in sorted(self.engine.export_state().items()):
            revision = self.revisions.get(key, 0) + 1
            self.revisions[key] = revision
            stored = self.prefix + key
            value = {
                "event_id": f"{stored}:{revision}",
                "ts_event": ts,
                "ts_init": ts,
                "state_key": stored,
                "revision": revision,
                "state_version": STATE_VERSION,
                "state": text,
                "deleted": text == "",
            }
            out.append(OutboundRecord(EXECUTOR_STATE, value, key=stored))
        return out
