"""The supervisor runs the real eight services: each beats on hive.heartbeats.v1, all stop cleanly."""

from __future__ import annotations

import secrets
import time
import uuid

import pytest
from confluent_kafka import Consumer, TopicPartition

from hive.contracts import load_catalogue
from hive.contracts.serde import CodecRegistry, SerdeError, make_registry_client
from hive.runtime.replay import end_offsets
from hive_tools.supervise import HIVE_SERVICES, ChildSpec, Supervisor, free_port, hive_specs

from support.kafka import consumer

pytestmark = pytest.mark.integration

HEARTBEATS = "hive.heartbeats.v1"


def _skip_history(bootstrap: str, groups: list[str], topics: list[str]) -> None:
    """Start each group at the current end of every non-empty topic."""
    ends = [TopicPartition(t, p, o) for (t, p), o in end_offsets(bootstrap, topics).items() if o]
    for group in groups if ends else []:
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
        try:
            c.commit(offsets=ends, asynchronous=False)
        finally:
            c.close()


def _isolated(specs: list[ChildSpec], tag: str) -> list[ChildSpec]:
    """Own consumer groups, transactional ids and SQL schema: the dev broker is shared."""
    return [
        ChildSpec(
            s.name,
            s.argv,
            {
                **s.env,
                "HIVE_GROUP_ID": f"sup-{s.name}-{tag}",
                "HIVE_INSTANCE_ID": tag,
                "HIVE_DATABASE_SCHEMA": f"sup_{tag}",
                "HIVE_HUB_OFFSET_RESET": "latest",
                "HIVE_GOVERNOR_REQUIRED_SERVICES": "",  # no liveness breakers on a shared broker
                "HIVE_HEARTBEAT_INTERVAL_S": "1",
            },
            s.http_port,
        )
        for s in specs
    ]


def test_supervisor_runs_the_hive_until_every_service_beats_then_stops_it_cleanly(
    hive_topics, tmp_path
):
    bootstrap = hive_topics["HIVE_KAFKA_BOOTSTRAP"]
    catalogue = load_catalogue()
    codecs = CodecRegistry(make_registry_client(hive_topics["HIVE_SCHEMA_REGISTRY_URL"]), catalogue)
    tag = f"sv{uuid.uuid4().hex[:6]}"
    # Start every group (and our own reader) at the end: no replay of earlier runs' records.
    topics = [*catalogue.topics, *(t.dlq for t in catalogue.topics.values() if t.dlq)]
    reader_group = f"sup-reader-{tag}"
    groups = [f"sup-{name}-{tag}" for _, name in HIVE_SERVICES]
    _skip_history(bootstrap, [*groups, reader_group], topics)
    beats = consumer(bootstrap, [HEARTBEATS], **{"group.id": reader_group})

    specs = _isolated(hive_specs(admin_key=secrets.token_urlsafe(32), hub_port=free_port()), tag)
    sup = Supervisor(specs, tmp_path / "logs", stop_timeout_s=20)
    sup.start()
    try:
        pids = {name: f"-{pid}-" for name, pid in sup.pids().items()}
        assert len(pids) == 8
        seen: set[str] = set()
        deadline = time.monotonic() + 60
        while seen != set(pids) and time.monotonic() < deadline:
            sup.poll()
            for m in beats.consume(500, 0.3):
                if m.error() is not None:
                    continue
                try:
                    instance = codecs.codec(HEARTBEATS).decode(m.value())["instance_id"]
                except SerdeError:  # a dev broker's records from an earlier registry
                    continue
                seen |= {name for name, pid in pids.items() if pid in instance}
        assert seen == set(pids), f"no heartbeat from {set(pids) - seen}; logs in {sup.log_dir}"
        # A beating loop may still be loading its tables: /readyz turns 200 a little later.
        while time.monotonic() < deadline + 20:
            status = {s.name: s for s in sup.status(probe=True)}
            if all(s.ready for s in status.values()):
                break
            time.sleep(0.5)
        not_ready = sorted(n for n, s in status.items() if not s.ready)
        assert not not_ready, f"not ready: {not_ready}; logs in {sup.log_dir}"
        assert all(s.restarts == 0 for s in status.values()), status
    finally:
        beats.close()
        t0 = time.monotonic()
        codes = sup.stop()
        took = time.monotonic() - t0
    # Every service, the hub's uvicorn included, exits 0 after a clean stop.
    expected = {name: 0 for _, name in HIVE_SERVICES}
    assert codes == expected, f"logs in {sup.log_dir}"
    hub_log = sup.log_file("hub-api").read_text()
    assert "Application shutdown complete" in hub_log
    assert "stopped cleanly" in hub_log
    assert took < 25
