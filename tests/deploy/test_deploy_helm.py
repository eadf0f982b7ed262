"""The Helm chart, rendered by the real helm (pinned, built and cached by scripts/deploy-check,
which the session fixture runs with --install-only: the tests never skip for a missing tool):
every pod hardened and probed, every service of the values map rendered, the breaker ConfigMap
carrying the configured values as the governor reads them, OPA loading the repository's
policies, and every manifest valid against the Kubernetes 1.30 schemas (strict)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from hive.contracts import load_catalogue

pytestmark = [pytest.mark.unit, pytest.mark.timeout(1800)]  # a cold tool build takes minutes

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "trading-hive"
VALUES = yaml.safe_load((CHART / "values.yaml").read_text())
SERVICES = VALUES["services"]
SINGLE_WRITERS = {"risk-gate", "executor", "governor", "learner"}
KUBE_VERSION = "1.30.0"
DESIGN_BREAKERS = {
    "bot": {
        "threshold": 5,
        "reset_timeout_ms": 30_000,
        "window_ms": 86_400_000,
        "fallback": "SHADOW_MODE",
    },
    "cell": {
        "threshold": 10,
        "reset_timeout_ms": 60_000,
        "window_ms": 86_400_000,
        "fallback": "REDUCED_CAPACITY",
    },
    "global": {
        "threshold": 20,
        "reset_timeout_ms": 300_000,
        "window_ms": 86_400_000,
        "fallback": "SAFE_MODE",
    },
}


def install_tools() -> dict[str, str]:
    """scripts/deploy-check --install-only: builds what is missing (cached), prints the paths."""
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
def helm() -> str:
    path = install_tools()["HELM"]
    assert os.access(path, os.X_OK), path
    return path


class Render:
    def __init__(self, helm: str) -> None:
        self.helm = helm

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                self.helm,
                "template",
                "hive",
                str(CHART),
                "--namespace",
                "trading-hive",
                "--kube-version",
                KUBE_VERSION,
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def __call__(self, *args: str) -> list[dict[str, Any]]:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr
        return [d for d in yaml.safe_load_all(done.stdout) if d]

    def fails(self, *args: str) -> str:
        done = self.run(*args)
        assert done.returncode != 0, f"helm template {args} should have failed"
        return done.stderr


@pytest.fixture(scope="module")
def render(helm: str) -> Render:
    return Render(helm)


@pytest.fixture(scope="module")
def default(render: Render) -> list[dict[str, Any]]:
    return render()


@pytest.fixture(scope="module")
def production(render: Render) -> list[dict[str, Any]]:
    return render("-f", str(CHART / "values-production.yaml"))


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def component(doc: dict[str, Any]) -> str:
    return str(doc["metadata"]["labels"]["app.kubernetes.io/component"])


def name(service: str) -> str:
    return f"hive-trading-hive-{service}"


def pod_specs(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        f"{d['kind']}/{d['metadata']['name']}": d["spec"]["template"]["spec"]
        for d in docs
        if d["kind"] in {"Deployment", "Job", "StatefulSet", "DaemonSet"}
    }


# ---- lint and schema ---------------------------------------------------------------------------


@pytest.mark.parametrize("values", ["values.yaml", "values-production.yaml"])
def test_helm_lint_strict(helm: str, values: str) -> None:
    done = subprocess.run(
        [
            helm,
            "lint",
            "--strict",
            "--kube-version",
            KUBE_VERSION,
            str(CHART),
            "-f",
            str(CHART / values),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 chart(s) failed" in done.stdout


@pytest.mark.parametrize("docs_name", ["default", "production"])
def test_every_manifest_is_valid_for_kubernetes_1_30(docs_name: str, request) -> None:
    docs = request.getfixturevalue(docs_name)
    crds = {"ServiceMonitor", "PrometheusRule"}
    for doc in docs:
        if doc["kind"] in crds:
            continue
        kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
    assert {d["kind"] for d in docs} >= {
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "ConfigMap",
        "Job",
    }


def test_values_schema_refuses_bad_values(render: Render) -> None:
    assert "fallback" in render.fails("--set", "breakers.bot.fallback=PANIC")
    assert "threshold" in render.fails("--set", "breakers.cell.threshold=0")
    assert "readOnlyRootFilesystem" in render.fails(
        "--set", "containerSecurityContext.readOnlyRootFilesystem=false"
    )
    assert "runAsNonRoot" in render.fails("--set", "podSecurityContext.runAsNonRoot=false")
    assert "nope" in render.fails("--set", "services.enricher.nope=1")
    # Single writers: the schema and the template both refuse a second replica or an HPA.
    for writer in sorted(SINGLE_WRITERS):
        render.fails("--set", f"services.{writer}.replicas=2")
        render.fails("--set", f"services.{writer}.autoscaling.enabled=true")
    assert "opa/url" in render.fails("--set", "opa.enabled=false")


# ---- every service of the values map -------------------------------------------------------------


def test_every_service_in_the_values_map_is_rendered(default: list[dict[str, Any]]) -> None:
    deployments = of_kind(default, "Deployment")
    services = of_kind(default, "Service")
    pdbs = of_kind(default, "PodDisruptionBudget")
    assert set(SERVICES) == {
        "signal-parser",
        "enricher",
        "regime-detector",
        "risk-gate",
        "executor",
        "governor",
        "learner",
        "hub-api",
    }
    for svc, entry in SERVICES.items():
        dep = deployments[name(svc)]
        assert component(dep) == svc
        container = dep["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == ["python", "-m", entry["module"]]
        assert container["image"] == f"{VALUES['image']['registry']}/{entry['image']}:0.1.0"
        assert {"name": "http", "containerPort": 8080, "protocol": "TCP"} in container["ports"]
        env = {e["name"]: e for e in container["env"]}
        # The hub's API has 8080: its in-process projections' health server moves to 8081.
        assert env["HIVE_HTTP_PORT"]["value"] == ("8081" if svc == "hub-api" else "8080"), svc
        assert services[name(svc)]["spec"]["ports"][0]["targetPort"] == "http"
        assert (
            pdbs[name(svc)]["spec"]["selector"]["matchLabels"]
            == dep["spec"]["selector"]["matchLabels"]
        )
    assert set(deployments) == {name(s) for s in SERVICES} | {name("opa")}


def test_a_service_added_or_disabled_in_values_follows(render: Render) -> None:
    docs = render(
        "--set",
        "services.replayer.image=hive-cli",
        "--set",
        "services.replayer.module=hive.relay",
        "--set",
        "services.learner.enabled=false",
    )
    deployments = of_kind(docs, "Deployment")
    assert name("replayer") in deployments and name("learner") not in deployments
    replayer = deployments[name("replayer")]["spec"]["template"]["spec"]
    assert replayer["containers"][0]["command"] == ["python", "-m", "hive.relay"]
    # ... with the shared defaults: probes, resources, hardening.
    assert replayer["containers"][0]["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert replayer["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True


def test_single_writers_run_one_replica_recreated_and_never_autoscaled(default, production) -> None:
    for docs in (default, production):
        hpas = {component(h) for h in of_kind(docs, "HorizontalPodAutoscaler").values()}
        assert hpas == {"signal-parser", "enricher"}
        deployments = of_kind(docs, "Deployment")
        for writer in SINGLE_WRITERS:
            spec = deployments[name(writer)]["spec"]
            assert spec["replicas"] == 1 and spec["strategy"] == {"type": "Recreate"}, writer
            env = {e["name"] for e in spec["template"]["spec"]["containers"][0]["env"]}
            assert "HIVE_INSTANCE_ID" not in env, f"{writer}: its transactional id must stay stable"
        for scaled in ("signal-parser", "enricher"):
            spec = deployments[name(scaled)]["spec"]
            assert "replicas" not in spec, "the HPA owns the replica count"
            # No surge: a consumer beyond the partition count would never be ready.
            assert spec["strategy"]["rollingUpdate"] == {"maxSurge": 0, "maxUnavailable": 1}


def test_hpa_never_scales_past_the_partitions_it_consumes(default) -> None:
    topics = load_catalogue().topics
    inputs = {
        "signal-parser": ["signals.raw.v1"],
        "enricher": ["signals.parsed.v1", "market.bars.v1"],
    }
    for hpa in of_kind(default, "HorizontalPodAutoscaler").values():
        partitions = min(topics[t].partitions for t in inputs[component(hpa)])
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"] <= partitions
        assert hpa["spec"]["scaleTargetRef"]["name"] == name(component(hpa))


# ---- every pod: security context, probes, resources ----------------------------------------------


@pytest.mark.parametrize("docs_name", ["default", "production"])
def test_every_pod_is_hardened(docs_name: str, request) -> None:
    pods = pod_specs(request.getfixturevalue(docs_name))
    assert len(pods) >= 11  # 8 services, OPA, 2 jobs
    for where, spec in pods.items():
        psc = spec["securityContext"]
        assert psc["runAsNonRoot"] is True and psc["runAsUser"] == 10001, where
        assert psc["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert spec["automountServiceAccountToken"] is False, where
        assert not spec.get("hostNetwork") and not spec.get("hostPID"), where
        for container in spec["containers"] + spec.get("initContainers", []):
            sc = container["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, where
            assert sc["readOnlyRootFilesystem"] is True, where
            assert sc["capabilities"]["drop"] == ["ALL"] and "add" not in sc["capabilities"], where
            assert sc.get("privileged", False) is False, where
            assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, where
            assert (
                container["resources"]["requests"]["cpu"]
                and container["resources"]["limits"]["memory"]
            ), where
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            volumes = {v["name"]: v for v in spec["volumes"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], f"{where}: a writable /tmp"


@pytest.mark.parametrize("docs_name", ["default", "production"])
def test_every_deployment_has_liveness_readiness_and_startup_probes(
    docs_name: str, request
) -> None:
    for dep_name, dep in of_kind(request.getfixturevalue(docs_name), "Deployment").items():
        container = dep["spec"]["template"]["spec"]["containers"][0]
        live, ready = container["livenessProbe"]["httpGet"], container["readinessProbe"]["httpGet"]
        assert live["port"] == ready["port"] == "http", dep_name
        if component(dep) == "opa":
            assert live["path"] == "/health" and ready["path"].startswith("/health"), dep_name
            continue
        assert (live["path"], ready["path"]) == ("/healthz", "/readyz"), dep_name
        assert container["startupProbe"]["httpGet"]["path"] == "/healthz", dep_name
        annotations = dep["spec"]["template"]["metadata"]["annotations"]
        assert (
            annotations["prometheus.io/scrape"] == "true"
            and annotations["prometheus.io/path"] == "/metrics"
        )


def test_the_hub_metrics_have_their_own_port_and_service_never_routed(render) -> None:
    docs = render(
        "--set", "hub.ingress.enabled=true", "--set", "hub.service.type=LoadBalancer"
    )  # fmt: skip
    dep = of_kind(docs, "Deployment")[name("hub-api")]["spec"]["template"]
    container = dep["spec"]["containers"][0]
    assert [(p["name"], p["containerPort"]) for p in container["ports"]] == [
        ("http", 8080),
        ("metrics", 9464),
        ("projections", 8081),
    ]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert (env["HIVE_HUB_PORT"], env["HIVE_HUB_METRICS_PORT"], env["HIVE_HTTP_PORT"]) == (
        "8080",
        "9464",
        "8081",
    )
    assert dep["metadata"]["annotations"]["prometheus.io/port"] == "9464"
    services = of_kind(docs, "Service")
    api, metrics = services[name("hub-api")], services[name("hub-api") + "-metrics"]
    assert api["spec"]["type"] == "LoadBalancer"
    assert [p["targetPort"] for p in api["spec"]["ports"]] == ["http"]
    assert metrics["spec"]["type"] == "ClusterIP"  # whatever the API's Service is
    assert [(p["name"], p["port"], p["targetPort"]) for p in metrics["spec"]["ports"]] == [
        ("metrics", 9464, "metrics"),
        ("projections", 8081, "projections"),
    ]
    assert metrics["spec"]["selector"] == api["spec"]["selector"]
    ingress = next(d for d in docs if d["kind"] == "Ingress")
    backends = [
        p["backend"]["service"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]
    ]
    assert backends == [{"name": name("hub-api"), "port": {"name": "http"}}]


def test_every_deployment_has_a_pod_disruption_budget(production) -> None:
    deployments = of_kind(production, "Deployment")
    pdbs = of_kind(production, "PodDisruptionBudget")
    assert set(pdbs) == set(deployments)
    for pdb in pdbs.values():
        # maxUnavailable: a single-replica writer can still be drained off a node.
        assert pdb["spec"]["maxUnavailable"] == 1


# ---- configuration -------------------------------------------------------------------------------


def breakers_of(docs: list[dict[str, Any]]) -> dict[str, Any]:
    cm = of_kind(docs, "ConfigMap")[name("breakers")]
    return json.loads(cm["data"]["HIVE_BREAKERS"])


def governor_config(block: dict[str, Any], monkeypatch: pytest.MonkeyPatch):
    """What the governor makes of HIVE_BREAKERS (its own settings class, env cleared)."""
    from hive.config import load_settings
    from hive_governor.settings import GovernorSettings

    for var in list(os.environ):
        if var.startswith(("HIVE_BREAKER", "HIVE_GOVERNOR", "HIVE_ESCALATION")):
            monkeypatch.delenv(var)
    monkeypatch.setenv("HIVE_BREAKERS", json.dumps(block))
    return load_settings(GovernorSettings).breaker_config()


def test_breaker_configmap_carries_design_defaults(default, monkeypatch) -> None:
    from hive_governor.breakers import BreakerConfig

    block = breakers_of(default)
    assert block == DESIGN_BREAKERS
    assert governor_config(block, monkeypatch) == BreakerConfig()
    cm = of_kind(default, "ConfigMap")[name("breakers")]
    assert json.loads(cm["data"]["cell.json"]) == DESIGN_BREAKERS["cell"]
    governor = of_kind(default, "Deployment")[name("governor")]
    env = {e["name"]: e for e in governor["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["HIVE_BREAKERS"]["valueFrom"]["configMapKeyRef"] == {
        "name": name("breakers"),
        "key": "HIVE_BREAKERS",
    }
    # The governor restarts when the breakers change.
    assert "checksum/breakers" in governor["spec"]["template"]["metadata"]["annotations"]


def test_breaker_overrides_land_in_the_configmap_and_the_governor_reads_them(
    render, monkeypatch
) -> None:
    docs = render(
        "--set",
        "breakers.bot.threshold=3",
        "--set",
        "breakers.bot.reset_timeout_ms=45000",
        "--set",
        "breakers.cell.fallback=SAFE_MODE",
        "--set",
        "breakers.global.window_ms=3600000",
        "--set",
        "breakers.global.threshold=50",
    )
    block = breakers_of(docs)
    assert block["bot"] == {**DESIGN_BREAKERS["bot"], "threshold": 3, "reset_timeout_ms": 45000}
    assert block["cell"] == {**DESIGN_BREAKERS["cell"], "fallback": "SAFE_MODE"}
    assert block["global"] == {**DESIGN_BREAKERS["global"], "threshold": 50, "window_ms": 3600000}
    config = governor_config(block, monkeypatch)
    assert (config.bot.threshold, config.bot.reset_timeout_ms) == (3, 45000)
    assert config.cell.fallback == "SAFE_MODE"
    assert (config.global_.threshold, config.global_.window_ms) == (50, 3600000)


def test_connection_settings_come_from_values(render) -> None:
    docs = render(
        "--set",
        "kafka.bootstrapServers=k1:9092\\,k2:9092",
        "--set",
        "schemaRegistry.url=http://reg:8080/apis/ccompat/v7",
    )
    env = of_kind(docs, "ConfigMap")[name("env")]["data"]
    assert env["HIVE_KAFKA_BOOTSTRAP"] == "k1:9092,k2:9092"
    assert env["HIVE_SCHEMA_REGISTRY_URL"] == "http://reg:8080/apis/ccompat/v7"
    assert env["HIVE_OPA_URL"] == f"http://{name('opa')}:8181"
    assert env["HIVE_HTTP_HOST"] == "0.0.0.0" and env["HIVE_HOME"] == "/app"
    for job in of_kind(docs, "Job").values():
        jenv = {
            e["name"]: e["value"] for e in job["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        assert jenv["HIVE_KAFKA_BOOTSTRAP"] == "k1:9092,k2:9092"
        assert jenv["HIVE_SCHEMA_REGISTRY_URL"] == "http://reg:8080/apis/ccompat/v7"
    # No Kafka, registry or database of the chart's own.
    images = {c["image"] for s in pod_specs(docs).values() for c in s["containers"]}
    assert not any(
        word in image for image in images for word in ("kafka", "postgres", "registry-mem")
    )


def test_hook_jobs_create_topics_and_register_schemas(default) -> None:
    jobs = of_kind(default, "Job")
    args = {n: j["spec"]["template"]["spec"]["containers"][0]["args"] for n, j in jobs.items()}
    assert args == {name("topics"): ["topics", "create"], name("schemas"): ["schemas", "register"]}
    for job in jobs.values():
        annotations = job["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
        assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
        container = job["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == ["hive"] and container["image"].endswith("/hive-cli:0.1.0")
    # Topics before schemas.
    weights = {n: int(j["metadata"]["annotations"]["helm.sh/hook-weight"]) for n, j in jobs.items()}
    assert weights[name("topics")] < weights[name("schemas")]


def test_secrets_are_referenced_not_rendered(default, render) -> None:
    assert not of_kind(default, "Secret"), "no Secret unless secrets.create"
    hub = of_kind(default, "Deployment")[name("hub-api")]["spec"]["template"]["spec"]["containers"][
        0
    ]
    assert {"secretRef": {"name": "hive-trading-hive"}} in hub["envFrom"]
    env = {e["name"]: e.get("value") for e in hub["env"]}
    assert env["HIVE_HUB_HOST"] == "0.0.0.0" and env["HIVE_HUB_PORT"] == "8080"
    others = [
        d for d in of_kind(default, "Deployment").values() if component(d) not in {"hub-api", "opa"}
    ]
    for dep in others:
        assert all(
            "secretRef" not in e
            for e in dep["spec"]["template"]["spec"]["containers"][0]["envFrom"]
        )
    docs = render("--set", "secrets.existingSecret=hive-prod")
    hub = of_kind(docs, "Deployment")[name("hub-api")]["spec"]["template"]["spec"]["containers"][0]
    assert {"secretRef": {"name": "hive-prod"}} in hub["envFrom"]
    docs = render(
        "--set", "secrets.create=true", "--set", "secrets.data.HIVE_DATABASE_URL=postgresql://x"
    )
    assert of_kind(docs, "Secret")["hive-trading-hive"]["stringData"] == {
        "HIVE_DATABASE_URL": "postgresql://x"
    }
    assert not VALUES["secrets"]["data"], "no secret in the committed values"


def test_model_store_is_shared_by_the_learner_and_the_risk_gate(production) -> None:
    pvc = of_kind(production, "PersistentVolumeClaim")[name("models")]
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    deployments = of_kind(production, "Deployment")
    for svc, read_only in (("learner", False), ("risk-gate", True)):
        spec = deployments[name(svc)]["spec"]["template"]["spec"]
        mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["name"] == "models")
        assert mount["mountPath"] == "/var/lib/hive/models" and mount["readOnly"] is read_only
        volume = next(v for v in spec["volumes"] if v["name"] == "models")
        assert volume["persistentVolumeClaim"]["claimName"] == name("models")


# ---- OPA ---------------------------------------------------------------------------------------


def test_opa_loads_every_policy_of_the_repository(default) -> None:
    cm = of_kind(default, "ConfigMap")[name("policies")]
    policies = ROOT / "policies"
    shipped = {
        p.relative_to(policies).as_posix(): p.read_text()
        for p in policies.rglob("*")
        if p.suffix in {".rego", ".json"} and not p.name.endswith("_test.rego")
    }
    assert len(shipped) >= 10
    keys = {path.replace("/", "__"): path for path in shipped}
    assert set(cm["data"]) == set(keys)
    for key, path in keys.items():
        assert cm["data"][key] == shipped[path].rstrip("\n"), path
    opa = of_kind(default, "Deployment")[name("opa")]["spec"]["template"]["spec"]
    assert next(v for v in opa["volumes"] if v["name"] == "policies")["configMap"] == {
        "name": name("policies")
    }
    # The init container that builds the bundle mounts one file per key, back in its folder
    # (data.json paths are data namespaces), and builds from that folder.
    (build,) = opa["initContainers"]
    mounts = {
        m["subPath"]: m["mountPath"] for m in build["volumeMounts"] if m["name"] == "policies"
    }
    assert mounts == {key: f"/policies/{path}" for key, path in keys.items()}
    assert build["args"][0] == "build" and build["args"][-1] == "/policies"
    container = opa["containers"][0]
    assert container["args"][:2] == ["run", "--server"]
    assert container["args"][-1] == "/bundle/bundle.tar.gz"
    assert container["image"] == build["image"] == "openpolicyagent/opa:1.22.2"
    assert (
        "checksum/policies"
        in of_kind(default, "Deployment")[name("opa")]["spec"]["template"]["metadata"][
            "annotations"
        ]
    )


def _token_ref(container: dict[str, Any]) -> dict[str, Any] | None:
    refs = [
        e["valueFrom"]["secretKeyRef"] for e in container["env"] if e["name"] == "HIVE_OPA_TOKEN"
    ]
    return refs[0] if refs else None


def test_opa_is_locked_down_with_the_token_and_a_signed_bundle(default, production, render) -> None:
    secret = {"name": name("opa"), "key": "token"}
    opa = of_kind(default, "Deployment")[name("opa")]["spec"]["template"]["spec"]
    (build,) = opa["initContainers"]
    container = opa["containers"][0]
    args = container["args"]
    # The same flags as `hive infra up` runs OPA with (hive_tools.infra.components.Opa).
    assert {"--authentication=token", "--authorization=basic", "--bundle"} <= set(args)
    assert "--verification-key=/keys/bundle-verification.pem" in args
    assert not any(a.startswith("--watch") for a in args)
    assert _token_ref(container) == secret
    assert "--signing-key=/keys/bundle-signing.pem" in build["args"]
    assert "--ignore=*_test.rego" in build["args"]
    volumes = {v["name"]: v for v in opa["volumes"]}

    def keys_of(c: dict[str, Any]) -> set[str]:
        mounted = [m["name"] for m in c["volumeMounts"] if m["mountPath"] == "/keys"]
        return {i["key"] for n in mounted for i in volumes[n]["secret"]["items"]}

    # The private key reaches the init container only; OPA gets the public key.
    assert keys_of(build) == {"bundle-signing.pem"}
    assert keys_of(container) == {"bundle-verification.pem"}
    assert all(v["secret"]["secretName"] == name("opa") for v in volumes.values() if "secret" in v)
    # The built bundle passes from one to the other, read-only for OPA.
    assert {m["mountPath"]: m.get("readOnly", False) for m in container["volumeMounts"]}[
        "/bundle"
    ] is True
    # Only the risk gate gets the token.
    for dep in of_kind(default, "Deployment").values():
        if component(dep) in {"opa", "risk-gate"}:
            continue
        assert _token_ref(dep["spec"]["template"]["spec"]["containers"][0]) is None
    gate = of_kind(default, "Deployment")[name("risk-gate")]["spec"]["template"]["spec"]
    assert _token_ref(gate["containers"][0]) == secret
    # An existing Secret by name, for OPA and the risk gate alike (production names one).
    docs = render("--set", "opa.existingSecret=hive-opa")
    for component_name in ("opa", "risk-gate"):
        spec = of_kind(docs, "Deployment")[name(component_name)]["spec"]["template"]["spec"]
        assert _token_ref(spec["containers"][0]) == {"name": "hive-opa", "key": "token"}
        spec = of_kind(production, "Deployment")[name(component_name)]["spec"]["template"]["spec"]
        assert _token_ref(spec["containers"][0]) == {"name": "trading-hive-opa", "key": "token"}


def test_an_external_opa_replaces_the_charts(render) -> None:
    docs = render("--set", "opa.enabled=false", "--set", "opa.url=http://opa.policy:8181")
    assert name("opa") not in of_kind(docs, "Deployment")
    assert name("policies") not in of_kind(docs, "ConfigMap")
    assert (
        of_kind(docs, "ConfigMap")[name("env")]["data"]["HIVE_OPA_URL"] == "http://opa.policy:8181"
    )
    # The risk gate still sends its token (the external OPA's authorization decides).
    gate = of_kind(docs, "Deployment")[name("risk-gate")]["spec"]["template"]["spec"]
    assert _token_ref(gate["containers"][0]) == {"name": name("opa"), "key": "token"}


# ---- monitoring ----------------------------------------------------------------------------------


def test_monitoring_objects_are_optional_and_match_deploy(default, production) -> None:
    assert not [d for d in default if d["kind"] in {"ServiceMonitor", "PrometheusRule"}]
    monitor = next(d for d in production if d["kind"] == "ServiceMonitor")
    assert monitor["spec"]["jobLabel"] == "app.kubernetes.io/component"
    assert monitor["spec"]["endpoints"] == [
        {
            "port": "http",
            "path": "/metrics",
            "interval": "15s",
            # The hub's "http" is its API: no /metrics there.
            "relabelings": [
                {
                    "sourceLabels": ["__meta_kubernetes_service_label_app_kubernetes_io_component"],
                    "regex": "hub-api",
                    "action": "drop",
                }
            ],
        },
        {"port": "metrics", "path": "/metrics", "interval": "15s"},
        {"port": "projections", "path": "/metrics", "interval": "15s"},
    ]
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    rule = next(d for d in production if d["kind"] == "PrometheusRule")
    rules_file = yaml.safe_load(
        (ROOT / "deploy" / "prometheus" / "rules" / "hive.rules.yml").read_text()
    )
    assert rule["spec"]["groups"] == rules_file["groups"]
    dashboards = of_kind(production, "ConfigMap")[name("dashboards")]
    assert dashboards["metadata"]["labels"]["grafana_dashboard"] == "1"
    shipped = (ROOT / "deploy" / "grafana" / "dashboards" / "trading-hive.json").read_text()
    assert json.loads(dashboards["data"]["trading-hive.json"]) == json.loads(shipped)


def test_chart_files_are_links_into_the_repository() -> None:
    """One copy of the policies, the rules and the dashboard: the chart links to them."""
    for link, target in (
        ("policies", "policies"),
        ("prometheus-rules", "deploy/prometheus/rules"),
        ("grafana-dashboards", "deploy/grafana/dashboards"),
    ):
        path = CHART / "files" / link
        assert path.is_symlink() and path.resolve() == (ROOT / target).resolve(), link


def test_a_packaged_chart_carries_the_linked_files(helm: str, tmp_path: Path) -> None:
    """`helm package` resolves the links, so the archive installs where there is no checkout."""
    done = subprocess.run(
        [helm, "package", str(CHART), "--destination", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    archive = tmp_path / "trading-hive-0.1.0.tgz"
    rendered = subprocess.run(
        [helm, "template", "hive", str(archive), "--kube-version", KUBE_VERSION],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert rendered.returncode == 0, rendered.stderr
    docs = [d for d in yaml.safe_load_all(rendered.stdout) if d]
    assert "hive__risk__decision.rego" in of_kind(docs, "ConfigMap")[name("policies")]["data"]


def test_each_audit_chain_writer_gets_only_its_own_signing_key(default, render) -> None:
    def env_of(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {
            component(d): {
                e["name"]: e.get("valueFrom")
                for e in d["spec"]["template"]["spec"]["containers"][0]["env"]
            }
            for d in of_kind(docs, "Deployment").values()
        }

    assert all("HIVE_AUDIT_SIGNING_KEY" not in e for e in env_of(default).values())
    got = env_of(render("--set", "auditKeys.existingSecret=hive-audit"))
    signing = {
        c: e["HIVE_AUDIT_SIGNING_KEY"] for c, e in got.items() if "HIVE_AUDIT_SIGNING_KEY" in e
    }
    assert signing == {
        s: {"secretKeyRef": {"name": "hive-audit", "key": s}}
        for s in ("governor", "risk-gate", "hub-api")
    }
    assert got["hub-api"]["HIVE_AUDIT_PUBLIC_KEYS"] == {
        "secretKeyRef": {"name": "hive-audit", "key": "public-keys"}
    }
