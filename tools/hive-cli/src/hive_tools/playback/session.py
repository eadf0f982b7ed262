"""A whole replay session: clean slate, bots, eight supervised services, the timeline, the end.

`hive replay` (and `make run`) drive this; the e2e and chaos tests use it directly.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hive.contracts import CodecRegistry, load_catalogue
from hive.contracts.serde import make_registry_client
from hive.topics import HIVE_HEARTBEATS, REGISTRY_BOTS
from hive_tools.playback.driver import Playback, Progress
from hive_tools.playback.quiescence import NotSettledError, Quiescence, TailReader
from hive_tools.playback.reset import reset_database_schema, reset_model_store, reset_topics
from hive_tools.playback.timeline import Item
from hive_tools.supervise import HIVE_SERVICES, Supervisor, admin_key, audit_keys, hive_specs

HUB = "hub-api"
DB_SCHEMA = "hive_replay"
# Every service's own consumer group is hive.<name> (HIVE_GROUP_ID is not overridden here).
SERVICE_NAMES = tuple(name for _, name in HIVE_SERVICES)
# Lockstep releases a record only when every service has handled the one before, so a replay
# does not need the wall-clock guards to notice a dead service: it waits for it. At their live
# values (OPA 0.5 s, heartbeats 15 s) a loaded machine could turn a decision into a denial in one
# run and not in the next; these give a busy or restarting service minutes, and still fail
# closed if it never answers. Deployments keep the live values.
LOCKSTEP_GUARDS = {
    "HIVE_OPA_TIMEOUT_S": "10",  # the setting's upper bound
    "HIVE_GOVERNOR_TIMEOUT_S": "600",  # risk gate and executor: the governor's heartbeat
    "HIVE_GOVERNOR_HEARTBEAT_TIMEOUT_MS": "600000",  # governor: the gate's and executor's
}
# From a channel message to an order on the paper broker.
DECISION_PATH = ("signal-parser", "enricher", "regime-detector", "risk-gate", "executor")


class ReplayInterruptedError(Exception):
    """Ctrl-C during a replay."""


@dataclass
class SessionConfig:
    env: Mapping[str, str]  # connection variables (hive infra env) and anything to pass on
    log_dir: Path
    model_store: Path
    hub_port: int = 8080
    admin_key: str = ""
    services: Sequence[str] = SERVICE_NAMES
    fresh: bool = True
    lockstep: bool = True
    speed: float = 0.0
    ready_timeout_s: float = 180.0
    barrier_timeout_s: float = 300.0
    extra_env: dict[str, str] = field(default_factory=dict)


def groups_for(services: Sequence[str]) -> list[str]:
    return [f"hive.{name}" for name in services]


class Session:
    """Start → replay → settle → stop; the services run as children of this process."""

    def __init__(self, config: SessionConfig, stop: threading.Event | None = None) -> None:
        self.config = config
        self.stop_event = stop or threading.Event()
        self.env = dict(config.env)
        self.bootstrap = self.env["HIVE_KAFKA_BOOTSTRAP"]
        self.codecs = CodecRegistry(
            make_registry_client(self.env["HIVE_SCHEMA_REGISTRY_URL"]), load_catalogue()
        )
        self.supervisor: Supervisor | None = None
        self.tail: TailReader | None = None
        self.quiet: Quiescence | None = None
        self.start_offsets: dict[tuple[str, int], int] = {}
        self._poller: threading.Thread | None = None
        self._poll_stop = threading.Event()

    # -- set-up --------------------------------------------------------------------------
    def reset(self) -> None:
        """Empty topics, no groups, no learned models, an empty read-model schema."""
        from hive_tools.admin.schemas import register_all

        catalogue = load_catalogue()
        reset_topics(self.bootstrap, catalogue)
        # Idempotent; the local registry keeps its schemas in memory, so a restarted one is empty.
        failed = [r for r in register_all(self.codecs.client, catalogue) if not r.ok]
        if failed:
            raise NotSettledError(f"schemas could not be registered: {failed[:3]}")
        reset_model_store(self.config.model_store)
        url = self.env.get("HIVE_DATABASE_URL", "")
        if url.startswith("postgresql"):  # the schema the hub will use (SQLite: a file per run)
            asyncio.run(reset_database_schema(url, self._child_env()["HIVE_DATABASE_SCHEMA"]))

    def publish_bots(self, records: Sequence[Mapping[str, Any]]) -> None:
        from hive_tools.publish import publish_records

        publish_records(
            records,
            REGISTRY_BOTS,
            lambda r: str(r["bot_id"]),
            self.bootstrap,
            self.env["HIVE_SCHEMA_REGISTRY_URL"],
        )

    def _child_env(self) -> dict[str, str]:
        env = dict(self.env)
        # Lockstep reads committed offsets: commit after every batch, not once a second.
        env.setdefault("HIVE_COMMIT_INTERVAL_MS", "0")
        env.setdefault("HIVE_DATABASE_SCHEMA", DB_SCHEMA)
        env.setdefault("HIVE_MODEL_STORE", str(self.config.model_store))
        if self.config.lockstep:
            for name, value in LOCKSTEP_GUARDS.items():
                env.setdefault(name, value)
        return env | self.config.extra_env

    def start_services(self) -> Supervisor:
        from hive_tools.infra import InfraSettings

        specs = hive_specs(
            admin_key=self.config.admin_key or admin_key(self.env)[0],
            hub_port=self.config.hub_port,
            only=self.config.services,
            signing_keys=audit_keys(InfraSettings().state),
        )
        sup = Supervisor(specs, self.config.log_dir, base_env=self._child_env())
        sup.start()
        self.supervisor = sup
        self._poller = threading.Thread(
            target=sup.run, args=(self._poll_stop,), name="supervisor", daemon=True
        )
        self._poller.start()
        return sup

    def all_up(self) -> bool:
        if self.stop_event.is_set():
            raise ReplayInterruptedError
        return self.supervisor is None or all(s.alive for s in self.supervisor.status())

    def wait_ready(self, on_wait: Callable[[str], None] | None = None) -> None:
        """Every service answers /readyz, every group has its partitions, the governor beats."""
        assert self.supervisor is not None
        deadline = time.monotonic() + self.config.ready_timeout_s
        while True:
            status = self.supervisor.status(probe=True)
            waiting = [s.name for s in status if not s.ready]
            broken = [s.name for s in status if s.last_exit == 2]  # bad configuration: no retry
            if broken:
                tail = self.supervisor.log_file(broken[0]).read_text(errors="replace")
                raise NotSettledError(f"{broken[0]} refuses its configuration:\n"
                               + "\n".join(tail.splitlines()[-6:]))  # fmt: skip
            if not waiting:
                break
            if on_wait:
                on_wait(", ".join(waiting))
            if time.monotonic() > deadline:
                raise NotSettledError(f"services not ready after {self.config.ready_timeout_s:.0f} s: "
                               f"{waiting} (logs in {self.config.log_dir})")  # fmt: skip
            if self.stop_event.wait(0.5):
                raise ReplayInterruptedError
        self.tail = TailReader(self.bootstrap)
        watched = [g for g in groups_for(self.config.services) if g != f"hive.{HUB}"]
        self.quiet = Quiescence(self.bootstrap, watched, self.tail)
        remaining = max(5.0, deadline - time.monotonic())
        self.quiet.discover(remaining)
        hub_group = f"hive.{HUB}"
        if HUB in self.config.services:
            hub_q = Quiescence(self.bootstrap, [hub_group], self.tail)
            self.quiet.inputs |= hub_q.discover(remaining)
        topics = set().union(*self.quiet.inputs.values())
        parts = [
            (t, p)
            for t, meta in self.quiet.admin.list_topics(timeout=10).topics.items()
            if t in topics
            for p in meta.partitions
        ]
        self.start_offsets = self.tail.ends(parts)
        self.tail.follow(self.start_offsets)
        self._wait_governor_beat(deadline)

    def _wait_governor_beat(self, deadline: float) -> None:
        """The gate and executor refuse to open positions until they have seen the governor."""
        if "governor" not in self.config.services or self.quiet is None:
            return
        from confluent_kafka import Consumer, TopicPartition

        consumer = Consumer(
            {"bootstrap.servers": self.bootstrap, "group.id": "hive.playback.beats",
             "enable.auto.commit": False, "isolation.level": "read_committed"}
        )  # fmt: skip
        try:
            beats = [tp for tp in self.start_offsets if tp[0] == HIVE_HEARTBEATS]
            # A beat sent just before we started following counts too: look back a little.
            consumer.assign(
                [TopicPartition(t, p, max(0, self.start_offsets[(t, p)] - 100)) for t, p in beats]
            )
            while True:
                msg = consumer.poll(0.2)
                key = msg.key() if msg is not None and not msg.error() else None
                if key and key.startswith(b"governor:"):
                    break
                if time.monotonic() > deadline:
                    raise NotSettledError("no heartbeat from the governor")
                if self.stop_event.is_set():
                    raise ReplayInterruptedError
        finally:
            consumer.close()
        self.quiet.wait(self.config.barrier_timeout_s, ready=self.all_up)

    # -- the replay ------------------------------------------------------------------------
    def play(self, items: Sequence[Item], on_progress: Callable[[Progress], None] | None = None
             ) -> Progress:  # fmt: skip
        playback = Playback(
            self.bootstrap,
            self.codecs,
            self.quiet if self.config.lockstep else None,
            speed=self.config.speed,
            on_progress=on_progress,
            ready=self.all_up,
            barrier_timeout_s=self.config.barrier_timeout_s,
            decision_groups=groups_for([n for n in DECISION_PATH if n in self.config.services]),
        )
        return playback.run(items, self.stop_event)

    def settle_all(self, timeout_s: float = 600.0) -> None:
        """Wait for everything, the hub's read models included (the dashboard shows the end)."""
        assert self.quiet is not None
        self.quiet.wait(timeout_s, groups=list(self.quiet.inputs), ready=self.all_up)

    def stop(self) -> dict[str, int | None]:
        self._poll_stop.set()
        if self._poller is not None:
            self._poller.join(timeout=5)
        codes = self.supervisor.stop() if self.supervisor is not None else {}
        if self.tail is not None:
            self.tail.close()
        return codes
