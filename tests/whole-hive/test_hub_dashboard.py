"""The hub's dashboard in a real browser (headless Chromium) against a running hub and governor.

A bot is registered through the API and given a few account snapshots on Kafka; the dashboard,
signed in with an operator's key, shows the bot, its equity curve with the daily-loss and
max-loss lines; pressing Pause sends the command, the governor turns it into a control.breakers
record, the hub projects it and the page (polling) shows the bot PAUSED. Screenshots before and
after are saved to tests/artifacts/.

Chromium is Debian's (/usr/bin/chromium, from scripts/install-system-deps.sh); this test
installs nothing and downloads no browser."""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition

from hive.runtime.replay import end_offsets
from hive_tools.publish import publish_records

from support.hub import OPERATOR_KEY, fresh_database, running_hub

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("HIVE_CHROMIUM", "/usr/bin/chromium")
SNAPSHOT = json.loads((ROOT / "schemas/examples/accounts_snapshots.json").read_text())
ADMIN_KEY = "e2e-admin-" + uuid.uuid4().hex
T0 = 1_497_427_511_000  # 2017-06-14 08:05 UTC, the example snapshot's trading day
GOVERNOR_INPUTS = [
    "control.commands.v1",
    "hive.heartbeats.v1",
    "accounts.snapshots.v1",
    "trades.closed.v1",
    "orders.executions.v1",
    "orders.decisions.v1",
]
EQUITY = [100_000.0, 100_800.0, 99_600.0, 101_200.0, 100_500.0, 101_900.0, 101_400.0]


def _skip_history(bootstrap: str, group: str, topics: list[str]) -> None:
    """Start `group` at the current end of `topics`: earlier runs' commands are not this test's."""
    ends = end_offsets(bootstrap, topics)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        offsets = [TopicPartition(t, p, o) for (t, p), o in ends.items()]
        if offsets:
            c.commit(offsets=offsets, asynchronous=False)
    finally:
        c.close()


@pytest.fixture(scope="module")
def governor(
    hive_topics: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    tag = f"e2egov{uuid.uuid4().hex[:6]}"
    group = f"hive_governor-{tag}"
    _skip_history(hive_topics["HIVE_KAFKA_BOOTSTRAP"], group, GOVERNOR_INPUTS)
    log = tmp_path_factory.mktemp("governor") / "governor.log"
    out = log.open("w")
    env = {
        **os.environ,
        **hive_topics,
        "HIVE_GROUP_ID": group,
        "HIVE_INSTANCE_ID": tag,
        "HIVE_COMMIT_INTERVAL_MS": "200",
        "HIVE_GOVERNOR_REQUIRED_SERVICES": "",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "hive_governor"], env=env, stdout=out, stderr=out
    )
    try:
        time.sleep(1)
        assert proc.poll() is None, f"the governor exited: {log.read_text()[-3000:]}"
        print(f"governor {tag}, log {log}")
        yield log
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        out.close()


@pytest.fixture(scope="module")
def hub(hive_topics: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    log_dir = tmp_path_factory.mktemp("hub")
    with (
        fresh_database(hive_topics, prefix="hub_e2e") as db,
        running_hub(hive_topics, db, log_dir, HIVE_HUB_ADMIN_KEY=ADMIN_KEY) as h,
    ):
        yield h


def _snapshots(bot_id: str, cell: str) -> list[dict[str, Any]]:
    out = []
    for i, equity in enumerate(EQUITY):
        ts = T0 + i * 600_000
        peak = max(EQUITY[: i + 1])
        out.append(
            {
                **copy.deepcopy(SNAPSHOT),
                "event_id": f"{bot_id}:{i}",
                "bot_id": bot_id,
                "cell_id": cell,
                "sequence": i,
                "ts_event": ts,
                "ts_init": ts,
                "balance": equity,
                "equity": equity,
                "realized_pnl_today": equity - 100_000.0,
                "initial_balance": 100_000.0,
                "day_start_balance": 100_000.0,
                "day_start_equity": 100_000.0,
                "peak_equity": peak,
                "daily_loss": max(0.0, 100_000.0 - equity),
                "drawdown": peak - equity,
                "total_loss": max(0.0, 100_000.0 - equity),
            }
        )
    return out


def test_dashboard_shows_bot_equity_and_pause(hub, governor, hive_topics):
    from playwright.sync_api import expect, sync_playwright

    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail(f"{CHROMIUM} missing: run scripts/install-system-deps.sh (apt: chromium)")
    tag = hub.tag
    bot_id, cell = f"{tag}-dash", f"{tag}-cell"

    # -- a bot through the API, and its account snapshots through Kafka -----------------------
    with hub.client() as c:
        r = c.post(
            "/v1/bots",
            headers={"Authorization": f"Bearer {ADMIN_KEY}"},
            json={
                "bot_id": bot_id,
                "cell": cell,
                "display_name": "dashboard e2e bot",
                "account_size": 100_000,
                "rule_set": "ftmo_2step",
                "sources": [{"source": f"{tag}-src", "weight": 1.0}],
                "strategy_card": "follow",
                "risk_per_trade": 1.0,
                "allowed_symbols": ["EURUSD"],
            },
        )
        assert r.status_code == 202, r.text
    hub.wait_for(f"/v1/bots/{bot_id}", lambda b: b["state"] == "ACTIVE")
    publish_records(
        _snapshots(bot_id, cell),
        "accounts.snapshots.v1",
        lambda rec: rec["bot_id"],
        hive_topics["HIVE_KAFKA_BOOTSTRAP"],
        hive_topics["HIVE_SCHEMA_REGISTRY_URL"],
    )
    eq = hub.wait_for(f"/v1/accounts/{bot_id}/equity", lambda e: e["total_points"] == len(EQUITY))
    lines = eq["series"][-1]
    assert (
        lines["daily_loss_line"] < min(EQUITY) and lines["max_loss_line"] < lines["daily_loss_line"]
    )

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shots = {
        name: ARTIFACTS / f"hub-dashboard-{name}.png"
        for name in ("before", "bot-before", "after", "bot-after")
    }

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{hub.url}/")
            # -- sign in with the operator's key (kept in the tab's session storage) ----------
            expect(page.locator("#login")).to_be_visible()
            page.fill("#api-key", OPERATOR_KEY)
            page.click("#login-form button[type=submit]")
            expect(page.locator("#app")).to_be_visible()
            expect(page.locator("#who")).to_have_text("olga (operator)")
            expect(page.locator("#controls")).to_be_visible()

            # -- the bot, its state and its equity chart ---------------------------------------
            row = page.locator(f'#bots tbody tr[data-bot="{bot_id}"]')
            expect(row).to_be_visible(timeout=15_000)
            expect(row.locator("td.bot-state")).to_have_text("ACTIVE")
            row.click()
            expect(page.locator("#bot-title")).to_have_text(bot_id)
            chart = page.locator("#equity-chart")
            for cls in ("equity-line", "daily-loss-line", "max-loss-line"):
                path = chart.locator(f"path.{cls}")
                expect(path).to_have_count(1, timeout=15_000)
                d = path.get_attribute("d") or ""
                # One point per snapshot: M then an L per further point (steps draw two).
                assert d.startswith("M") and d.count("L") >= len(EQUITY) - 1, (cls, d)
            expect(page.locator("#bot-facts")).to_contain_text("Daily-loss line")
            page.screenshot(path=str(shots["before"]), full_page=True)
            page.locator("#bot-panel").screenshot(path=str(shots["bot-before"]))

            # -- pause: command -> governor -> control.breakers -> projection -> page ---------
            page.fill("#reason", "e2e: pause from the dashboard")
            page.click('#controls button[data-action="pause"]')
            expect(page.locator("#control-result")).to_contain_text("PAUSE sent")
            expect(page.locator("#bot-state")).to_have_text("PAUSED", timeout=60_000)
            expect(row.locator("td.bot-state")).to_have_text("PAUSED", timeout=10_000)
            expect(page.locator("#bot-commands")).to_contain_text("PAUSE by olga")
            page.screenshot(path=str(shots["after"]), full_page=True)
            page.locator("#bot-panel").screenshot(path=str(shots["bot-after"]))
            assert not errors, errors
        finally:
            browser.close()
    print("screenshots:", *(str(v) for v in shots.values()))

    bot = hub.wait_for(f"/v1/bots/{bot_id}", lambda b: b["state"] == "PAUSED", timeout_s=5)
    assert bot["breaker"]["state"] == "OPEN" and bot["breaker"]["cause"] == "PAUSED", bot
