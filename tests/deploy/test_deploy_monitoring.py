"""Monitoring as code: the Prometheus config, the alert rules and their unit tests through the
real promtool (Debian's; scripts/deploy-check installs it when missing), and the Grafana
dashboard: every query valid PromQL (promtool checks it as a recording rule) over metrics the
services export."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = [pytest.mark.unit, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[2]
PROM = ROOT / "deploy" / "prometheus"
RULES = PROM / "rules" / "hive.rules.yml"
RULE_TESTS = PROM / "tests" / "hive.rules.test.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "trading-hive.json"
SERVICES = set(
    yaml.safe_load((ROOT / "helm" / "trading-hive" / "values.yaml").read_text())["services"]
)

# Gauges the governor is to export for the breaker and halt alerts (deploy/README.md, "Metrics").
# Once it does, the source scan below finds them and this list may be emptied.
GOVERNOR_METRICS: set[str] = set()  # the governor exports its gauges (found by the scan)
REQUIRED_ALERTS = {
    "HiveGlobalBreakerOpen",
    "HiveCellBreakerOpen",
    "HiveBotBreakerOpen",
    "HiveBotHalted",
    "HiveConsumerLagHigh",
    "HiveDeadLettersRising",
    "HiveServiceDown",
}

PROMQL_WORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "offset",
    "inf",
    "nan",
}


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
def promtool() -> str:
    return install_tools()["PROMTOOL"]


def exported_metrics() -> set[str]:
    """Every series name the code defines (prometheus_client), with the suffixes it adds."""
    pattern = re.compile(r"\b(Counter|Gauge|Histogram|Summary)\(\s*\"([a-zA-Z_:][a-zA-Z0-9_:]*)\"")
    names: set[str] = {"up"}
    for source in [
        *ROOT.glob("libs/*/src/**/*.py"),
        *ROOT.glob("services/*/src/**/*.py"),
        *ROOT.glob("tools/*/src/**/*.py"),
    ]:
        for kind, metric in pattern.findall(source.read_text()):
            if kind == "Counter":
                names |= {f"{metric}_total", f"{metric}_created"}
            elif kind in {"Histogram", "Summary"}:
                names |= {
                    f"{metric}_bucket",
                    f"{metric}_sum",
                    f"{metric}_count",
                    f"{metric}_created",
                }
            else:
                names.add(metric)
    return names


def metric_names(expr: str) -> set[str]:
    """Series names a PromQL expression reads (strings, label sets, ranges and groupings out)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        word = match.group(0)
        rest = expr[match.end() :].lstrip()
        if rest.startswith("(") or word in PROMQL_WORDS or word.startswith("$"):
            continue
        if expr[: match.start()].endswith("$"):
            continue
        names.add(word)
    return names


def rules() -> list[dict[str, Any]]:
    return [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]


def dashboard_exprs() -> list[tuple[str, str]]:
    doc = json.loads(DASHBOARD.read_text())
    return [(p["title"], t["expr"]) for p in doc["panels"] for t in p.get("targets", [])]


# ---- the real promtool ------------------------------------------------------------------------


def run(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def test_promtool_check_config(promtool: str) -> None:
    done = run(promtool, "check", "config", str(PROM / "prometheus.yml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 rule files found" in done.stdout


def test_promtool_check_rules(promtool: str) -> None:
    done = run(promtool, "check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_test_rules(promtool: str) -> None:
    done = run(promtool, "test", "rules", str(RULE_TESTS))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_rule_tests_catch_a_broken_rule(promtool: str, tmp_path: Path) -> None:
    """The rule tests are not vacuous: the parser's chatter let through makes them fail."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "tests").mkdir()
    broken = RULES.read_text().replace('reason!="not_a_signal"', 'reason!="none"')
    assert broken != RULES.read_text()
    (tmp_path / "rules" / RULES.name).write_text(broken)
    (tmp_path / "tests" / RULE_TESTS.name).write_text(RULE_TESTS.read_text())
    done = run(promtool, "test", "rules", str(tmp_path / "tests" / RULE_TESTS.name))
    assert done.returncode != 0 and "HiveDeadLettersRising" in done.stdout + done.stderr


def test_dashboard_queries_are_valid_promql(promtool: str, tmp_path: Path) -> None:
    recording = [
        {
            "record": f"dashboard:panel_{i}",
            "expr": expr.replace("$__rate_interval", "5m").replace("$service", ".*"),
        }
        for i, (_, expr) in enumerate(dashboard_exprs())
    ]
    path = tmp_path / "dashboard.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": recording}]}))
    done = run(promtool, "check", "rules", str(path))
    assert done.returncode == 0, done.stdout + done.stderr


# ---- what the rules and the dashboard read -----------------------------------------------------


def test_alerts_cover_the_issue_and_carry_severity_and_text() -> None:
    alerts = {r["alert"]: r for r in rules()}
    assert set(alerts) >= REQUIRED_ALERTS
    tested = RULE_TESTS.read_text()
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], name
        assert f"alertname: {name}\n" in tested, f"{name} has no promtool test"


def test_rules_and_dashboard_read_only_metrics_the_hive_exports() -> None:
    known = exported_metrics() | GOVERNOR_METRICS
    for rule in rules():
        assert metric_names(rule["expr"]) <= known, (
            rule["alert"],
            metric_names(rule["expr"]) - known,
        )
    for title, expr in dashboard_exprs():
        assert metric_names(expr) <= known, (title, metric_names(expr) - known)
    # The runtime's own metrics are really there (the scan is not empty).
    assert {
        "hive_records_consumed_total",
        "hive_dead_letters_total",
        "hive_consumer_lag",
        "hive_handle_seconds_bucket",
    } <= exported_metrics()


def test_service_alerts_and_scrape_jobs_name_every_service() -> None:
    alerts = {r["alert"]: r["expr"] for r in rules()}
    down = re.search(r'job=~"([^"]+)"', alerts["HiveServiceDown"])
    assert down and set(down.group(1).split("|")) == SERVICES | {"opa"}
    assert (
        set(re.findall(r'absent\(up\{job="([^"]+)"\}\)', alerts["HiveServiceMissing"])) == SERVICES
    )
    config = yaml.safe_load((PROM / "prometheus.yml").read_text())
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    assert SERVICES | {"opa", "prometheus"} == set(jobs)
    for svc in SERVICES - {"hub-api"}:
        assert jobs[svc]["dns_sd_configs"] == [{"names": [svc], "type": "A", "port": 8080}]
    # The hub's API port serves no metrics: its own metrics port, and its projections' runtime.
    assert jobs["hub-api"]["dns_sd_configs"] == [
        {"names": ["hub-api"], "type": "A", "port": 9464},
        {"names": ["hub-api"], "type": "A", "port": 8081},
    ]


def test_dashboard_is_provisionable() -> None:
    doc = json.loads(DASHBOARD.read_text())
    assert doc["uid"] == "trading-hive" and doc["title"] == "Trading Hive"
    ids = [p["id"] for p in doc["panels"]]
    assert len(ids) == len(set(ids))
    variables = {v["name"]: v for v in doc["templating"]["list"]}
    assert variables["datasource"]["query"] == "prometheus"
    for panel in doc["panels"]:
        if panel["type"] == "row":
            continue
        assert panel["targets"] and panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["gridPos"]["w"] <= 24
    titles = {p["title"] for p in doc["panels"]}
    assert {"Breakers open", "Bots halted", "Consumer lag", "Dead letters / min"} <= titles
    datasource = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text()
    )
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"
