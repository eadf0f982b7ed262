"""The project's own local servers: up, idempotent, reachable, and really the servers.

Runs against the shared infrastructure (started by the `endpoints` fixture) and leaves it
running for the other tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from hive_tools import infra

pytestmark = pytest.mark.integration


def test_status_reports_all_five_running(endpoints: dict[str, str]) -> None:
    rows = {st.name: st for st in infra.status()}
    assert set(rows) == {"kafka", "registry", "opa", "postgres", "prometheus"}
    for st in rows.values():
        assert st.running, f"{st.name} not running; see {st.log_file}"
        assert st.pid is not None and st.pid > 0
        assert "127.0.0.1" in st.address
        assert st.log_file.is_file()


def test_second_up_is_a_no_op(endpoints: dict[str, str]) -> None:
    before = {st.name: st.pid for st in infra.status()}
    t0 = time.monotonic()
    infra.up()
    assert time.monotonic() - t0 < 20
    after = {st.name: st.pid for st in infra.status()}
    assert after == before


def test_endpoints_are_loopback_and_as_documented(endpoints: dict[str, str]) -> None:
    assert endpoints == infra.endpoints(infra.InfraSettings())
    assert endpoints["HIVE_KAFKA_BOOTSTRAP"].startswith("127.0.0.1:")
    assert endpoints["HIVE_SCHEMA_REGISTRY_URL"].endswith("/apis/ccompat/v7")
    for key in ("HIVE_SCHEMA_REGISTRY_URL", "HIVE_OPA_URL", "HIVE_PROMETHEUS_URL"):
        assert urlsplit(endpoints[key]).hostname == "127.0.0.1"
    assert urlsplit(endpoints["HIVE_DATABASE_URL"]).hostname == "127.0.0.1"
    # The risk gate's OPA token, kept in the state dir (tests/policies/test_policies_opa_lockdown.py)
    assert len(endpoints["HIVE_OPA_TOKEN"]) >= 32


def test_kafka_transactions_work(endpoints: dict[str, str]) -> None:
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    bootstrap = endpoints["HIVE_KAFKA_BOOTSTRAP"]
    topic = f"test.infra.{uuid.uuid4().hex[:8]}.v1"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    try:
        producer = Producer(
            {"bootstrap.servers": bootstrap, "transactional.id": f"infra-test-{topic}"}
        )
        producer.init_transactions(30)
        producer.begin_transaction()
        producer.produce(topic, b"aborted")
        producer.abort_transaction(30)
        producer.begin_transaction()
        producer.produce(topic, b"committed")
        producer.commit_transaction(30)

        consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"infra-test-{topic}",
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",
            }
        )
        consumer.subscribe([topic])
        seen: list[bytes] = []
        deadline = time.monotonic() + 30
        while not seen and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                seen.append(msg.value())
        consumer.close()
        assert seen == [b"committed"]
    finally:
        admin.delete_topics([topic])[topic].result(30)


def test_registry_speaks_the_confluent_api(endpoints: dict[str, str]) -> None:
    from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

    url = endpoints["HIVE_SCHEMA_REGISTRY_URL"]
    assert httpx.get(f"{url}/subjects", timeout=5).status_code == 200

    client = SchemaRegistryClient({"url": url})
    subject = f"test.infra.{uuid.uuid4().hex[:8]}-value"
    v1 = {
        "type": "record",
        "name": "Probe",
        "namespace": "hive.test",
        "fields": [{"name": "a", "type": "string"}],
    }
    v2 = {**v1, "fields": [*v1["fields"], {"name": "b", "type": "int", "default": 0}]}
    broken = {**v1, "fields": [{"name": "a", "type": "int"}]}
    try:
        schema_id = client.register_schema(subject, Schema(json.dumps(v1), "AVRO"))
        found = client.lookup_schema(subject, Schema(json.dumps(v1), "AVRO"))
        assert found.schema_id == schema_id
        assert client.get_schema(schema_id).schema_type == "AVRO"

        client.set_compatibility(subject, "BACKWARD")
        assert client.get_compatibility(subject) == "BACKWARD"
        assert client.test_compatibility(subject, Schema(json.dumps(v2), "AVRO")) is True
        assert client.test_compatibility(subject, Schema(json.dumps(broken), "AVRO")) is False
    finally:
        client.delete_subject(subject, permanent=True)


def test_postgres_accepts_the_hive_role(endpoints: dict[str, str]) -> None:
    db = urlsplit(endpoints["HIVE_DATABASE_URL"])
    psql = shutil.which("psql")
    assert psql is not None
    res = subprocess.run(
        [
            psql,
            "-X",
            "-At",
            "-h",
            str(db.hostname),
            "-p",
            str(db.port),
            "-U",
            str(db.username),
            "-d",
            db.path.lstrip("/"),
            "-c",
            "select current_user, current_database()",
        ],
        env={**os.environ, "PGPASSWORD": str(db.password), "PGCONNECT_TIMEOUT": "5"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "hive|hive"


def test_opa_is_healthy(endpoints: dict[str, str]) -> None:
    assert httpx.get(f"{endpoints['HIVE_OPA_URL']}/health", timeout=5).status_code == 200


def test_prometheus_is_ready_and_discovers_file_sd_targets(endpoints: dict[str, str]) -> None:
    prom = endpoints["HIVE_PROMETHEUS_URL"]
    assert httpx.get(f"{prom}/-/ready", timeout=5).status_code == 200

    # OPA serves Prometheus metrics, so it stands in for a hive service here.
    opa = urlsplit(endpoints["HIVE_OPA_URL"])
    job = f"infra-test-{uuid.uuid4().hex[:6]}"
    path = infra.register_scrape_target(job, [f"{opa.hostname}:{opa.port}"])
    try:
        health = None
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            targets = httpx.get(f"{prom}/api/v1/targets", timeout=5).json()["data"]
            mine = [t for t in targets["activeTargets"] if t["labels"].get("service") == job]
            health = mine[0]["health"] if mine else None
            if health == "up":
                break
            time.sleep(1)
        assert health == "up"
    finally:
        path.unlink(missing_ok=True)


def test_stale_pid_files_are_ignored_and_removed(tmp_path: Path) -> None:
    settings = infra.InfraSettings(state_dir=tmp_path)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    # A dead pid and a live but unrelated one (this test process).
    (run_dir / "kafka.pid").write_text("999999999\n")
    (run_dir / "opa.pid").write_text(f"{os.getpid()}\n")
    rows = {st.name: st for st in infra.status(["kafka", "opa"], settings=settings)}
    assert not rows["kafka"].running and not rows["opa"].running
    assert not (run_dir / "kafka.pid").exists()
    assert not (run_dir / "opa.pid").exists()
    # Stopping what is not running is a no-op.
    infra.down(["kafka", "opa"], settings=settings)


def test_unknown_component_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown component"):
        infra.status(["kafka", "zookeeper"])


def test_cli_status_table_and_unknown_name(endpoints: dict[str, str]) -> None:
    from typer.testing import CliRunner

    from hive_tools.cli.infra import app

    runner = CliRunner()
    ok = runner.invoke(app, ["status"])
    assert ok.exit_code == 0, ok.output
    lines = ok.output.splitlines()
    assert lines[0].split()[:3] == ["COMPONENT", "VERSION", "STATE"]
    assert sum(" running " in line for line in lines[1:]) == 5

    bad = runner.invoke(app, ["up", "kafka", "zookeeper"])
    assert bad.exit_code == 2
    assert "zookeeper" in bad.output
