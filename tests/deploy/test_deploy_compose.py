"""docker-compose.yml through the real `docker compose config` (compose v2, pinned, built and
cached by scripts/deploy-check, which the fixture runs with --install-only): the stack's
services, health checks, start order, hardening, and secrets only from the env file."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = [pytest.mark.unit, pytest.mark.timeout(1800)]  # a cold tool build takes minutes

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
HIVE_SERVICES = set(
    yaml.safe_load((ROOT / "helm" / "trading-hive" / "values.yaml").read_text())["services"]
)
SECRETS = {"POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD", "HIVE_HUB_ADMIN_KEY", "HIVE_OPA_TOKEN"}
# OPA's bundle keys: files named in .env, required like the secrets.
SECRETS |= {"HIVE_OPA_SIGNING_KEY_FILE", "HIVE_OPA_VERIFICATION_KEY_FILE"}


def install_tools() -> dict[str, str]:
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "deploy-check"), "--install-only"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1700,
        check=False,
    )
    assert done.returncode == 0, (
        f"scripts/deploy-check --install-only failed:\n{done.stderr[-4000:]}"
    )
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)


@pytest.fixture(scope="module")
def compose() -> list[str]:
    return install_tools()["COMPOSE"].split()


def clean_env() -> dict[str, str]:
    """No compose or hive variable of the developer's shell leaks into the check."""
    names = {m for m in re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", COMPOSE_FILE.read_text())}
    return {k: v for k, v in os.environ.items() if k not in names and not k.startswith("COMPOSE_")}


def config(
    compose: list[str], *args: str, env_file: Path = ENV_EXAMPLE
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *compose,
            "--project-directory",
            str(ROOT),
            "-f",
            str(COMPOSE_FILE),
            "--env-file",
            str(env_file),
            *args,
            "config",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def stack(compose: list[str]) -> dict[str, Any]:
    done = config(compose, "--profile", "replay")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_compose_config_accepts_the_file_with_the_example_env(compose: list[str]) -> None:
    done = subprocess.run(
        [
            *compose,
            "--project-directory",
            str(ROOT),
            "-f",
            str(COMPOSE_FILE),
            "--env-file",
            str(ENV_EXAMPLE),
            "config",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_the_stack_has_the_infrastructure_the_jobs_and_every_service(stack) -> None:
    services = stack["services"]
    infra = {"kafka", "registry", "opa", "postgres", "prometheus", "grafana"}
    assert set(services) == infra | {"topics", "schemas", "feed", "opa-bundle"} | HIVE_SERVICES
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["registry"]["image"] == "apicurio/apicurio-registry-mem:2.4.2.Final"
    assert services["opa"]["image"].startswith("openpolicyagent/opa:")
    assert services["postgres"]["image"].startswith("postgres:15")
    assert services["prometheus"]["image"].startswith("prom/prometheus:")
    assert services["grafana"]["image"].startswith("grafana/grafana:")
    assert services["feed"]["profiles"] == ["replay"]


def test_kafka_runs_kraft_without_auto_created_topics(stack) -> None:
    env = stack["services"]["kafka"]["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert any(v["target"] == "/var/lib/kafka/data" for v in stack["services"]["kafka"]["volumes"])


def test_opa_prometheus_and_grafana_get_the_repository_files(stack) -> None:
    def binds(svc: str) -> dict[str, tuple[str, bool]]:
        return {
            v["target"]: (Path(v["source"]).relative_to(ROOT).as_posix(), v.get("read_only", False))
            for v in stack["services"][svc]["volumes"]
            if v["type"] == "bind"
        }

    assert binds("opa-bundle") == {"/policies": ("policies", True)}
    assert stack["services"]["opa-bundle"]["command"][-1] == "/policies"
    assert binds("opa") == {}  # OPA gets the signed bundle, not the policies
    assert binds("prometheus") == {"/etc/prometheus": ("deploy/prometheus", True)}
    assert binds("grafana") == {
        "/etc/grafana/provisioning": ("deploy/grafana/provisioning", True),
        "/var/lib/grafana/dashboards": ("deploy/grafana/dashboards", True),
    }
    provider = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/dashboards/trading-hive.yml").read_text()
    )
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"


def test_opa_is_locked_down_with_the_token_and_a_signed_bundle(stack) -> None:
    services = stack["services"]
    job, opa = services["opa-bundle"], services["opa"]
    # The same flags as `hive infra up` runs OPA with (hive_tools.infra.components.Opa).
    assert {"--authentication=token", "--authorization=basic", "--bundle"} <= set(opa["command"])
    assert "--verification-key=/run/secrets/opa_bundle_verification_key" in opa["command"]
    assert not any(a.startswith("--watch") for a in opa["command"])
    assert opa["command"][-1] == "/bundle/bundle.tar.gz"
    assert job["command"][0] == "build" and "--ignore=*_test.rego" in job["command"]
    assert "--signing-key=/run/secrets/opa_bundle_signing_key" in job["command"]
    assert opa["depends_on"]["opa-bundle"]["condition"] == "service_completed_successfully"
    # The private key reaches the job only, the public key OPA only.
    assert [s["source"] for s in job["secrets"]] == ["opa_bundle_signing_key"]
    assert [s["source"] for s in opa["secrets"]] == ["opa_bundle_verification_key"]

    def volume(svc: dict[str, Any], target: str) -> dict[str, Any]:
        return next(v for v in svc["volumes"] if v["target"] == target)

    assert volume(job, "/bundle")["source"] == volume(opa, "/bundle")["source"] == "opa-bundle"
    assert volume(opa, "/bundle").get("read_only") is True
    assert job["restart"] == "no" and job["cap_drop"] == ["ALL"] and job["read_only"] is True
    # The token: OPA and the risk gate, no other service.
    assert (
        opa["environment"]["HIVE_OPA_TOKEN"]
        == services["risk-gate"]["environment"]["HIVE_OPA_TOKEN"]
    )
    for svc in HIVE_SERVICES - {"risk-gate"}:
        assert "HIVE_OPA_TOKEN" not in services[svc]["environment"], svc


def test_jobs_create_topics_and_register_schemas_once_their_server_is_healthy(stack) -> None:
    services = stack["services"]
    assert services["topics"]["command"] == ["topics", "create"]
    assert services["schemas"]["command"] == ["schemas", "register"]
    assert services["topics"]["depends_on"] == {
        "kafka": {"condition": "service_healthy", "required": True}
    }
    assert services["schemas"]["depends_on"] == {
        "registry": {"condition": "service_healthy", "required": True}
    }
    for job in ("topics", "schemas", "feed"):
        assert services[job]["build"]["target"] == "hive-cli" and services[job]["restart"] == "no"


def test_every_hive_service_is_hardened_healthchecked_and_waits_for_the_jobs(stack) -> None:
    services = stack["services"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    for svc in HIVE_SERVICES:
        s = services[svc]
        assert s["build"]["target"] == svc and f"FROM runtime AS {svc}\n" in dockerfile, svc
        assert s["user"] == "10001:10001" and s["read_only"] is True, svc
        assert s["cap_drop"] == ["ALL"] and "no-new-privileges:true" in s["security_opt"], svc
        assert "/healthz" in " ".join(s["healthcheck"]["test"]), svc
        conditions = {k: v["condition"] for k, v in s["depends_on"].items()}
        assert conditions["kafka"] == conditions["registry"] == "service_healthy", svc
        assert conditions["topics"] == conditions["schemas"] == "service_completed_successfully", (
            svc
        )
        env = s["environment"]
        assert env["HIVE_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert env["HIVE_SCHEMA_REGISTRY_URL"] == "http://registry:8080/apis/ccompat/v7"
        # The hub's API has 8080: its in-process projections' health server moves to 8081.
        port = "8081" if svc == "hub-api" else "8080"
        assert (env["HIVE_HTTP_HOST"], env["HIVE_HTTP_PORT"]) == ("0.0.0.0", port), svc
    assert services["risk-gate"]["depends_on"]["opa"]["condition"] == "service_started"
    assert services["hub-api"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for infra in ("kafka", "registry", "postgres", "prometheus", "grafana"):
        assert services[infra]["healthcheck"]["test"], infra


def test_the_hub_serves_its_metrics_on_their_own_port_scraped_not_published(stack) -> None:
    hub = stack["services"]["hub-api"]
    env = hub["environment"]
    assert (env["HIVE_HUB_PORT"], env["HIVE_HUB_METRICS_PORT"], env["HIVE_HTTP_PORT"]) == (
        "8080",
        "9464",
        "8081",
    )
    assert [(p["target"], p["host_ip"]) for p in hub["ports"]] == [(8080, "127.0.0.1")]
    scrape = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    job = next(j for j in scrape["scrape_configs"] if j["job_name"] == "hub-api")
    assert [(d["names"], d["port"]) for d in job["dns_sd_configs"]] == [
        (["hub-api"], 9464),
        (["hub-api"], 8081),
    ]


def test_published_ports_are_loopback_only(stack) -> None:
    for svc, s in stack["services"].items():
        for port in s.get("ports", []):
            assert port["host_ip"] == "127.0.0.1", f"{svc} publishes {port} beyond this machine"


def test_model_store_is_shared_learner_writes_risk_gate_reads(stack) -> None:
    def store(svc: str) -> dict[str, Any]:
        return next(
            v for v in stack["services"][svc]["volumes"] if v["target"] == "/var/lib/hive/models"
        )

    assert store("learner")["source"] == store("risk-gate")["source"] == "models"
    assert store("risk-gate").get("read_only") is True and not store("learner").get("read_only")


def test_governor_breakers_default_to_the_design_brief(stack, monkeypatch) -> None:
    from hive.config import load_settings
    from hive_governor.breakers import BreakerConfig
    from hive_governor.settings import GovernorSettings

    for var in list(os.environ):
        if var.startswith(("HIVE_BREAKER", "HIVE_GOVERNOR", "HIVE_ESCALATION")):
            monkeypatch.delenv(var)
    monkeypatch.setenv(
        "HIVE_BREAKERS", stack["services"]["governor"]["environment"]["HIVE_BREAKERS"]
    )
    assert load_settings(GovernorSettings).breaker_config() == BreakerConfig()


def test_secrets_come_only_from_the_env_file(compose: list[str], stack, tmp_path: Path) -> None:
    # Without them compose refuses to start, naming the variable.
    empty = tmp_path / "empty.env"
    empty.write_text("")
    done = config(compose, env_file=empty)
    assert done.returncode != 0 and any(f"required variable {s}" in done.stderr for s in SECRETS)
    # With them they land where they belong.
    env = stack["services"]["hub-api"]["environment"]
    example = dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert (
        env["HIVE_DATABASE_URL"]
        == f"postgresql://hive:{example['POSTGRES_PASSWORD']}@postgres:5432/hive"
    )
    assert env["HIVE_HUB_ADMIN_KEY"] == example["HIVE_HUB_ADMIN_KEY"]
    # No secret value is written in the compose file itself.
    text = COMPOSE_FILE.read_text()
    for secret in SECRETS:
        assert re.search(rf"\$\{{{secret}:\?", text), f"{secret} must be required from .env"
        assert example[secret].startswith("CHANGE-ME"), secret
    # .env is never committed.
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT, check=False)
    assert ignored.returncode == 0, ".env must be in .gitignore"


def test_env_example_documents_every_variable_the_compose_file_reads() -> None:
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", COMPOSE_FILE.read_text()))
    documented = set(re.findall(r"^#?\s*([A-Z_][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.M))
    assert used <= documented, f"not in .env.example: {sorted(used - documented)}"


def test_each_audit_chain_writer_gets_only_its_own_signing_key(stack) -> None:
    services = stack["services"]
    signing = {
        name: s["environment"]["HIVE_AUDIT_SIGNING_KEY"]
        for name, s in services.items()
        if "HIVE_AUDIT_SIGNING_KEY" in (s.get("environment") or {})
    }
    # The test env file leaves them empty: each service then writes its chain unsigned.
    assert signing == {"governor": "", "risk-gate": "", "hub-api": ""}
    text = COMPOSE_FILE.read_text()
    for var in ("GOVERNOR", "RISK_GATE", "HUB"):
        assert text.count(f"${{HIVE_AUDIT_SIGNING_KEY_{var}:-}}") == 1, var
    assert "HIVE_AUDIT_PUBLIC_KEYS" in services["hub-api"]["environment"]
