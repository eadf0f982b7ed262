"""A short lockstep replay through all eight services, on the real servers, with a channel built
to lose.

The channel (source `e2e-streak`) is made here from the bundled EURUSD 2017 hourly bars. It
cheats the other way round from the sample's fx-vip: for its losing streak it peeks at the
future bars and takes the side whose stop (20 pips) is hit first, with a take-profit far away,
and posts its next signal only after that stop was hit. Before the streak (more than a day
before, outside the breakers' one-day window) it posts a few signals that peek the right way
and win, and some chit-chat the parser rejects. Two bots of one cell follow it with the
`follow` card, so each losing signal is a failure for both bots, their cell and the hive.

What the run must show:

1. orders placed: FILLED executions on orders.executions for both bots;
2. limits respected: each bot's largest daily loss and drawdown (hive_tools.report's numbers, from
   accounts.snapshots and hive.limits) stay below its limits, and no breach is reported;
3. the losing streak trips the breakers: the 5th loss opens each bot's breaker (the governor's
   default threshold, SHADOW_MODE, cause LOSING_TRADE), the 10th failure in the cell opens the
   cell's (REDUCED_CAPACITY); the signal after that is traded in shadow only;
4. the dashboard reflects it: the hub's REST API (/v1/breakers, /v1/bots) and the dashboard in
   headless Chromium (Debian's /usr/bin/chromium, as in test_hub_dashboard.py) show both bots
   in SHADOW_MODE with their breakers OPEN; screenshots land in tests/artifacts/.

**An e2e test owns the whole hive while it runs**: `Session.reset()` deletes and recreates
every topic of the catalogue and the `hive.*` consumer groups, and drops the hub's read-model
schema, on the servers this test's `endpoints` fixture points at. Never run it against a hive
someone else is using: give it its own servers (HIVE_STATE_DIR and the HIVE_*_PORT variables).

The last test checks, without any server, that `hive replay` refuses bad input with one line
and exit code 2.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("HIVE_CHROMIUM", "/usr/bin/chromium")

SOURCE = "e2e-streak"
CELL = "e2e-cell"
BOTS = ("e2e-follow-a", "e2e-follow-b")
ADMIN_KEY = "e2e-replay-admin-" + uuid.uuid4().hex  # the hub wants at least 16 characters

PIP = 0.0001
LOSS_STOP_PIPS = 20  # the streak's stop distance
LOSS_TP_PIPS = 80  # far: never reached before the stop (checked), yet well inside 30 ATR
WIN_PIPS = 25  # the winners' stop and target distance
SPREAD_MAX = 3 * PIP  # the executor's spread is the catalogue's typical one; plan for worse
MAX_WAIT_BARS = 6  # a losing signal's stop must be hit within this many bars
STREAK = 6  # the 5th loss opens each bot's breaker; the 6th signal is then shadow-only
BOT_THRESHOLD = 5  # the governor's defaults (services/governor settings, README)
CELL_THRESHOLD = 10
WARMUP_BARS = 300  # ATR, volatility and the regime detector's features before the first signal
TAIL_BARS = 24  # bars after the last stop (snapshots, the day boundary)
# Breakers go HALF_OPEN once event time passes reset_at (30 s / 60 s after opening by default:
# the next hourly bar's snapshot). Hold them OPEN for the rest of this short run so the end
# state, what the hub and the dashboard show, is the trip itself.
HOLD_OPEN_MS = str(30 * 86_400_000)


# -- the channel ----------------------------------------------------------------------------------
def year_bars() -> list[dict[str, Any]]:
    from hive.market import EURUSD_H1_2017, bundled_eurusd_path, load_bars

    return load_bars(bundled_eurusd_path(), EURUSD_H1_2017, "EURUSD", "H1")


@dataclass(frozen=True)
class Signal:
    kind: str  # "loss" or "win"
    bar: int  # index of the bar after whose close it is posted
    long: bool
    entry: float
    stop: float
    target: float
    exit_bar: int  # the bar in which its stop (loss) or target (win) is certainly reached
    posted_ms: int = 0  # when the channel posts it (5 minutes after bar `bar` closed)

    @property
    def side(self) -> str:
        return "BUY" if self.long else "SELL"


@dataclass
class ChannelPlan:
    first_bar: int
    last_bar: int
    signals: list[Signal]
    messages: list[dict[str, Any]] = field(default_factory=list)  # JSON-lines objects

    @property
    def losers(self) -> list[Signal]:
        return [s for s in self.signals if s.kind == "loss"]

    @property
    def winners(self) -> list[Signal]:
        return [s for s in self.signals if s.kind == "win"]


def _contiguous(bars: Sequence[Mapping[str, Any]], i: int, n: int) -> bool:
    return i + n < len(bars) and all(
        bars[j + 1]["open_time"] == bars[j]["ts_event"] for j in range(i, i + n)
    )


def _losing(bars: Sequence[Mapping[str, Any]], k: int) -> Signal | None:
    """The side of a market signal posted after bar k whose stop is hit first.

    A market order fills at the open of bar k+2 (the first bar opening after the post). Bars
    are ask prices: a long's stop is hit on the bid (ask - spread), so spread 0 gives the
    latest bar it can be hit in; a short's on the ask. Nothing may come near the target first.
    """
    if not _contiguous(bars, k, MAX_WAIT_BARS + 2):
        return None
    entry = round(float(bars[k]["close"]), 4)
    if abs(float(bars[k + 2]["open"]) - entry) > 8 * PIP:  # the fill stays near the signal
        return None
    found: list[Signal] = []
    for long in (True, False):
        sign = 1 if long else -1
        stop = round(entry - sign * LOSS_STOP_PIPS * PIP, 4)
        target = round(entry + sign * LOSS_TP_PIPS * PIP, 4)
        for j in range(k + 2, k + 2 + MAX_WAIT_BARS):
            b = bars[j]
            if (b["high"] >= target - 5 * PIP) if long else (b["low"] <= target + 5 * PIP):
                break
            if (b["low"] <= stop) if long else (b["high"] >= stop):
                found.append(Signal("loss", k, long, entry, stop, target, j))
                break
    return min(found, key=lambda s: s.exit_bar) if found else None


def _winning(bars: Sequence[Mapping[str, Any]], k: int) -> Signal | None:
    """A side whose target is reached, whatever the spread, before its stop can be touched."""
    if not _contiguous(bars, k, 26):
        return None
    entry = round(float(bars[k]["close"]), 4)
    if abs(float(bars[k + 2]["open"]) - entry) > 5 * PIP:
        return None
    for long in (True, False):
        sign = 1 if long else -1
        stop = round(entry - sign * WIN_PIPS * PIP, 4)
        target = round(entry + sign * WIN_PIPS * PIP, 4)
        for j in range(k + 2, k + 26):
            b = bars[j]
            if (b["low"] - SPREAD_MAX <= stop) if long else (b["high"] >= stop):
                break  # the stop may be touched (and is taken first in its bar)
            if (b["high"] - SPREAD_MAX >= target) if long else (b["low"] <= target):
                return Signal("win", k, long, entry, stop, target, j)
    return None


def _weekday(bars: Sequence[Mapping[str, Any]], k: int) -> int:
    return dt.datetime.fromtimestamp(bars[k]["ts_event"] / 1000, dt.UTC).weekday()


def plan_channel(bars: Sequence[Mapping[str, Any]], search_from: int = 400) -> ChannelPlan:
    """The first losing streak of the year, Monday to Thursday, whose first `BOT_THRESHOLD`
    stops fall within 20 hours (the breakers count failures in a one-day window), plus up to
    three winners and some chatter more than a day before it."""
    streak: list[Signal] = []
    for k0 in range(search_from, len(bars) - TAIL_BARS - 100):
        if _weekday(bars, k0) > 3:
            continue
        chain, k = [], k0
        while len(chain) < STREAK and (s := _losing(bars, k)) is not None:
            chain.append(s)
            k = s.exit_bar  # the next signal is posted once this one's stop has been hit
        if len(chain) < STREAK:
            continue
        first, fifth = chain[0], chain[BOT_THRESHOLD - 1]
        if bars[fifth.exit_bar]["ts_event"] - bars[first.exit_bar]["ts_event"] <= 20 * 3_600_000:
            streak = chain
            break
    assert streak, "no losing streak found in the bundled bars (the test's search is broken)"
    k0 = streak[0].bar
    first_bar = k0 - WARMUP_BARS
    # Winners from 120 bars after the start until 30 bars (> a day) before the streak.
    winners: list[Signal] = []
    k = first_bar + 120
    while k < k0 - 30 and len(winners) < 3:
        w = _winning(bars, k)
        if w is not None and w.exit_bar < k0 - 30 and _weekday(bars, k) <= 3:
            winners.append(w)
            k = w.exit_bar + 12
        else:
            k += 1
    plan = ChannelPlan(first_bar, streak[-1].exit_bar + TAIL_BARS, [*winners, *streak])

    def at(k: int, minutes: int) -> str:
        t = dt.datetime.fromtimestamp(bars[k]["ts_event"] / 1000 + minutes * 60, dt.UTC)
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")

    plan.signals = [
        replace(s, posted_ms=int(bars[s.bar]["ts_event"]) + 300_000) for s in plan.signals
    ]
    posts: list[tuple[str, str]] = []
    for s in plan.signals:
        text = f"EURUSD {s.side} NOW {s.entry:.4f}\nSL {s.stop:.4f}\nTP1 {s.target:.4f}"
        posts.append((at(s.bar, 5), text))
    chatter = [
        "Good morning traders, big week ahead",
        "Markets are quiet, waiting for a clean setup",
        "🔥🔥🔥",
        "Remember: risk management first!",
        "Who is watching the ECB today?",
        "Patience pays. No trade is also a position.",
        "💰💰",
        "Weekly recap coming tonight",
        "New subscribers: welcome! Signals come with SL and TP, always.",
        "✅✅✅",
        "Spreads are wide after the open, careful",
    ]
    step = max(1, (k0 - first_bar - 40) // len(chatter))
    posts += [(at(first_bar + 30 + i * step, 37), text) for i, text in enumerate(chatter)]
    posts.sort()
    plan.messages = [
        {"message_id": str(1000 + i), "posted_at": t, "author": "e2e", "text": text}
        for i, (t, text) in enumerate(posts)
    ]
    return plan


def write_channel(plan: ChannelPlan, path: Path) -> Path:
    import json

    path.write_text("".join(json.dumps(m, ensure_ascii=False) + "\n" for m in plan.messages))
    return path


BOTS_YAML = """\
# Two paper bots of one cell following the e2e channel (tests/whole-hive/test_replay_hive.py).
allow_live: false
bots:
""" + "".join(
    f"""\
  - bot_id: {bot_id}
    cell: {CELL}
    display_name: e2e follower {bot_id[-1]}
    account_size: 100000
    account_currency: USD
    rule_set: ftmo_2step
    day_boundary_tz: Europe/Prague
    sources:
      - {{source: {SOURCE}, weight: 1.0}}
    strategy_card: follow
    risk_per_trade: 0.5
    allowed_symbols: [EURUSD]
"""
    for bot_id in BOTS
)


# -- the run --------------------------------------------------------------------------------------
@dataclass
class Run:
    plan: ChannelPlan
    data: Any  # hive_tools.report.RunData
    summary: Any  # hive_tools.report.Summary
    hub_url: str
    seconds: dict[str, float]


@pytest.fixture(scope="module")
def run(hive_topics: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    from hive.bots import load_bots
    from hive_risk_gate.cards import CardLoader
    from hive_tools.playback import inputs, merge
    from hive_tools.playback.session import SERVICE_NAMES, Session, SessionConfig
    from hive_tools.report import collect_run, format_summary, summarize
    from hive_tools.supervise import free_port

    tmp = tmp_path_factory.mktemp("replay")
    clock = time.perf_counter()
    seconds: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = round(now - clock, 1)
        clock = now

    bars = year_bars()
    plan = plan_channel(bars)
    window = bars[plan.first_bar : plan.last_bar + 1]
    channel = write_channel(plan, tmp / f"{SOURCE}.jsonl")
    messages = inputs.read_channel(inputs.ChannelSpec(channel, SOURCE))
    (tmp / "bots.yaml").write_text(BOTS_YAML)
    bots = load_bots(tmp / "bots.yaml", cards=CardLoader())
    items = merge(window, messages)
    print(
        f"\nreplay: {len(window)} bars, {len(messages)} messages "
        f"({len(plan.winners)} winners, {len(plan.losers)} losers), "
        f"{dt.datetime.fromtimestamp(items[0].ts / 1000, dt.UTC):%Y-%m-%d %H:%M} .. "
        f"{dt.datetime.fromtimestamp(items[-1].ts / 1000, dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    hub_port = free_port()
    session = Session(
        SessionConfig(
            env=dict(os.environ) | hive_topics,
            log_dir=tmp / "logs",
            model_store=tmp / "models",
            hub_port=hub_port,
            admin_key=ADMIN_KEY,
            services=SERVICE_NAMES,  # all eight (the default)
            fresh=True,
            lockstep=True,
            extra_env={
                "HIVE_BREAKER_BOT_RESET_TIMEOUT_MS": HOLD_OPEN_MS,
                "HIVE_BREAKER_CELL_RESET_TIMEOUT_MS": HOLD_OPEN_MS,
            },
        )
    )
    lap("plan")
    try:
        # The e2e test owns the hive: empty topics, no groups, no models, no read models.
        session.reset()
        lap("reset")
        session.publish_bots(bots.to_records(items[0].ts))
        session.start_services()
        session.wait_ready()
        lap("start")
        progress = session.play(items)
        lap("play")
        session.settle_all()
        lap("settle")
        data = collect_run(session.bootstrap, session.env["HIVE_SCHEMA_REGISTRY_URL"], None)
        summary = summarize(data)
        lap("collect")
        print(format_summary(summary))
        print(
            f"replayed {progress.bars} bars and {progress.messages} messages, "
            f"{progress.barriers} lockstep waits ({progress.barrier_seconds:.1f} s); "
            f"logs in {session.config.log_dir}"
        )
        print("run time (s):", seconds, "total", round(sum(seconds.values()), 1))
        yield Run(plan, data, summary, f"http://127.0.0.1:{hub_port}", seconds)
    finally:
        codes = session.stop()
        print("services stopped:", codes)


def _bot_summaries(run: Run) -> dict[str, Any]:
    return {b.bot_id: b for b in run.summary.bots}


def _latest_breakers(records: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], Mapping]:
    latest: dict[tuple[str, str], Mapping[str, Any]] = {}
    for r in sorted(records, key=lambda r: (int(r.get("transition_seq", 0)), int(r["ts_event"]))):
        latest[(str(r["scope_level"]), str(r["scope_id"]))] = r
    return latest


def _hub_get(run: Run, path: str, until: Any = None, timeout_s: float = 30.0) -> Any:
    """GET a hub path with the admin key; with `until`, poll until it holds (read models lag)."""
    deadline = time.monotonic() + timeout_s
    while True:
        r = httpx.get(
            run.hub_url + path, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=10
        )
        assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text[:500]}"
        body = r.json()
        if until is None or until(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.5)


# -- 1. orders placed -----------------------------------------------------------------------------
def test_orders_are_filled_for_both_bots(run: Run) -> None:
    fills = {b: [e for e in run.data.executions if e["bot_id"] == b] for b in BOTS}
    for bot_id, execs in fills.items():
        filled = [e for e in execs if e["status"] == "FILLED" and not e.get("shadow")]
        assert filled, (
            f"{bot_id}: no FILLED execution on orders.executions "
            f"(statuses: {sorted({e['status'] for e in execs})}; "
            f"decisions: {[d['reasons'] for d in run.data.decisions if d['bot_id'] == bot_id]})"
        )
    real_signals = len(run.plan.winners) + BOT_THRESHOLD  # before the breaker opens
    for b in BOTS:
        s = _bot_summaries(run)[b]
        assert s.trades == real_signals, (
            f"{b}: {s.trades} real trades closed, expected {real_signals} "
            f"({len(run.plan.winners)} winners + {BOT_THRESHOLD} losses before the breaker)"
        )
        assert s.wins == len(run.plan.winners) and s.losses == BOT_THRESHOLD, (
            f"{b}: {s.wins} wins / {s.losses} losses, the channel was built for "
            f"{len(run.plan.winners)} / {BOT_THRESHOLD}"
        )


# -- 2. limits respected --------------------------------------------------------------------------
def test_loss_limits_are_respected(run: Run) -> None:
    bots = _bot_summaries(run)
    assert set(BOTS) <= set(bots), f"no summary for {set(BOTS) - set(bots)}"
    for b in BOTS:
        s = bots[b]
        assert s.daily_loss_limit and s.drawdown_limit, f"{b}: no account snapshots ({s})"
        print(
            f"{b}: max daily loss {s.max_daily_loss:.2f} of {s.daily_loss_limit:.2f} "
            f"({s.daily_loss_used:.1%}, {s.daily_loss_rule}); max drawdown {s.max_drawdown:.2f} "
            f"of {s.drawdown_limit:.2f} ({s.drawdown_used:.1%}, {s.drawdown_rule})"
        )
        assert s.max_daily_loss > 0, f"{b}: the losing streak left no daily loss"
        assert s.max_daily_loss < s.daily_loss_limit, (
            f"{b}: daily loss {s.max_daily_loss} reached its limit {s.daily_loss_limit}"
        )
        assert s.max_drawdown < s.drawdown_limit, (
            f"{b}: drawdown {s.max_drawdown} reached its limit {s.drawdown_limit}"
        )
        assert not s.breaches, f"{b}: hard-limit breaches {s.breaches}"


# -- 3. the losing streak trips the breakers ------------------------------------------------------
def test_losing_streak_opens_bot_and_cell_breakers(run: Run) -> None:
    trips = {t.scope: t for t in run.summary.breakers}
    latest = _latest_breakers(run.data.breakers)
    for b in BOTS:
        trip = trips.get(f"BOT:{b}")
        assert trip is not None, (
            f"BOT:{b} never opened; breaker records: "
            f"{[(r['scope_id'], r['state'], r.get('cause')) for r in run.data.breakers]}"
        )
        assert (trip.cause, trip.fallback_mode) == ("LOSING_TRADE", "SHADOW_MODE"), trip
        assert trip.failure_count >= BOT_THRESHOLD == trip.failure_threshold, trip
        end = latest[("BOT", b)]
        assert end["state"] == "OPEN" and end["fallback_mode"] == "SHADOW_MODE", (
            f"BOT:{b} ends {end['state']} {end.get('fallback_mode')}, expected OPEN SHADOW_MODE"
        )
        # It opened at the 5th loss: the 5th losing signal's stop bar.
        fifth = run.plan.losers[BOT_THRESHOLD - 1]
        losses = sorted(
            t["ts_event"]
            for t in run.data.trades
            if t["bot_id"] == b and not t.get("shadow") and t["pnl"] < 0
        )
        assert len(losses) >= BOT_THRESHOLD and trip.ts == losses[BOT_THRESHOLD - 1], (
            f"BOT:{b} opened at {trip.ts}, the {BOT_THRESHOLD}th loss closed at "
            f"{losses[BOT_THRESHOLD - 1] if len(losses) >= BOT_THRESHOLD else None} "
            f"(planned stop bar {fifth.exit_bar})"
        )
    cell = trips.get(f"CELL:{CELL}")
    assert cell is not None, (
        f"CELL:{CELL} never opened ({2 * BOT_THRESHOLD} losses of two bots, threshold "
        f"{CELL_THRESHOLD}); records: {[(r['scope_id'], r['state']) for r in run.data.breakers]}"
    )
    assert (cell.cause, cell.fallback_mode) == ("LOSING_TRADE", "REDUCED_CAPACITY"), cell
    assert latest[("CELL", CELL)]["state"] == "OPEN", latest[("CELL", CELL)]
    assert not [t for t in run.summary.breakers if t.scope_level == "GLOBAL"], (
        f"the global breaker opened ({2 * BOT_THRESHOLD} failures, threshold 20): "
        f"{[t for t in run.summary.breakers if t.scope_level == 'GLOBAL']}"
    )
    # The breaker is obeyed: the streak's last signal is traded in shadow only, by both bots.
    last = run.plan.losers[-1]
    posted = last.posted_ms
    assert trips[f"BOT:{BOTS[0]}"].ts < posted, "the breaker opened after the last signal"
    for b in BOTS:
        decisions = [d for d in run.data.decisions if d["bot_id"] == b and d["ts_event"] >= posted]
        assert decisions, f"{b}: no decision on the signal after the trip"
        d = decisions[0]
        assert d["allowed"] and d["shadow"] and "breaker.shadow_mode" in d["reasons"], (
            f"{b}: the signal after the trip should be allowed in shadow mode, got {d}"
        )


# -- 4. the hub and the dashboard show it ---------------------------------------------------------
def _shows_trip(breakers: list[dict[str, Any]]) -> bool:
    open_ = {(b["scope_level"], b["scope_id"]) for b in breakers if b["state"] == "OPEN"}
    return {("BOT", b) for b in BOTS} | {("CELL", CELL)} <= open_


def test_hub_api_shows_the_open_breakers(run: Run) -> None:
    breakers = _hub_get(run, "/v1/breakers", until=_shows_trip)
    by_scope = {(b["scope_level"], b["scope_id"]): b for b in breakers}
    for b in BOTS:
        row = by_scope.get(("BOT", b))
        assert row is not None, f"/v1/breakers has no BOT {b}: {sorted(by_scope)}"
        assert (row["state"], row["fallback_mode"], row["cause"]) == (
            "OPEN",
            "SHADOW_MODE",
            "LOSING_TRADE",
        ), f"/v1/breakers BOT {b}: {row}"
    cell = by_scope.get(("CELL", CELL))
    assert cell is not None and cell["state"] == "OPEN", f"/v1/breakers CELL {CELL}: {cell}"
    assert cell["fallback_mode"] == "REDUCED_CAPACITY", cell

    bots = {b["bot_id"]: b for b in _hub_get(run, f"/v1/bots?cell_id={CELL}")}
    for b in BOTS:
        view = bots.get(b)
        assert view is not None, f"/v1/bots has no {b}: {sorted(bots)}"
        assert view["state"] == "SHADOW_MODE", f"/v1/bots {b}: state {view['state']}"
        assert view["breaker"]["state"] == "OPEN", view["breaker"]
        assert view["cell_breaker"]["state"] == "OPEN", view["cell_breaker"]


def test_hub_and_summary_agree_on_what_the_hive_taught_itself(run: Run) -> None:
    """/v1/rules and /v1/changes are read from the same change guard verdicts as the summary's
    "What the hive taught itself" section (a page holds at most 500)."""
    from hive_tools.report import format_summary

    learned = run.summary.learning
    want = sorted((r.rule_id, r.status.replace(" ", "_")) for r in learned.rules)

    def same_rules(rules: list[dict[str, Any]]) -> bool:
        got = sorted((r["rule_id"], r["status"]) for r in rules)
        return got == want if len(want) <= 500 else len(got) == 500

    rules = _hub_get(run, "/v1/rules?limit=500", until=same_rules)
    assert same_rules(rules), f"/v1/rules {rules} != summary {want}"
    verdicts = min(len(run.data.change_verdicts), 500)
    changes = _hub_get(run, "/v1/changes?limit=500", until=lambda p: len(p["items"]) == verdicts)
    assert len(changes["items"]) == verdicts, changes
    assert "What the hive taught itself" in format_summary(run.summary)


def test_dashboard_shows_the_bots_in_shadow_mode(run: Run) -> None:
    from playwright.sync_api import expect, sync_playwright

    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail(f"{CHROMIUM} missing: run scripts/install-system-deps.sh (apt: chromium)")
    _hub_get(run, "/v1/breakers", until=_shows_trip)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shots = [ARTIFACTS / "replay-hive-dashboard.png", ARTIFACTS / "replay-hive-bot.png"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{run.hub_url}/")
            expect(page.locator("#login")).to_be_visible()
            page.fill("#api-key", ADMIN_KEY)
            page.click("#login-form button[type=submit]")
            expect(page.locator("#app")).to_be_visible()
            for b in BOTS:
                row = page.locator(f'#bots tbody tr[data-bot="{b}"]')
                expect(row, f"dashboard row of {b}").to_be_visible(timeout=15_000)
                cells = row.locator("td")
                expect(row.locator("td.bot-state")).to_have_text("SHADOW_MODE")
                expect(cells.nth(3), f"{b}: bot breaker column").to_have_text("OPEN")
                expect(cells.nth(4), f"{b}: cell breaker column").to_have_text("OPEN")
            breakers = page.locator("#breakers")
            for b in BOTS:
                expect(breakers).to_contain_text(f"BOT {b} — SHADOW_MODE (LOSING_TRADE)")
            expect(breakers).to_contain_text(f"CELL {CELL} — REDUCED_CAPACITY (LOSING_TRADE)")
            page.locator(f'#bots tbody tr[data-bot="{BOTS[0]}"]').click()
            expect(page.locator("#bot-title")).to_have_text(BOTS[0])
            expect(page.locator("#bot-facts")).to_contain_text(
                "OPEN SHADOW_MODE (LOSING_TRADE)", timeout=15_000
            )
            expect(page.locator("#bot-state")).to_have_text("SHADOW_MODE")
            page.screenshot(path=str(shots[0]), full_page=True)
            page.locator("#bot-panel").screenshot(path=str(shots[1]))
            assert not errors, f"errors in the page: {errors}"
        finally:
            browser.close()
    print("screenshots:", *map(str, shots))


# -- the command line refuses bad input (no server) -----------------------------------------------
def test_replay_cli_refuses_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    import hive_tools.cli.replay as replay_cli
    from hive_tools.cli.main import app

    def must_not_run(*_a: Any, **_k: Any) -> None:
        raise AssertionError("bad input reached the session (it would reset a hive)")

    monkeypatch.setattr(replay_cli, "_run_session", must_not_run)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    helped = runner.invoke(app, ["replay", "--help"])
    assert helped.exit_code == 0, helped.output
    for option in ("--signals", "--bars", "--bots", "--lockstep", "--serve"):
        assert option in helped.output, f"--help does not mention {option}"

    missing = runner.invoke(app, ["replay", "--signals", "missing.jsonl", "--no-serve"])
    assert missing.exit_code == 2, (missing.exit_code, missing.output)
    lines = missing.output.strip().splitlines()
    assert lines == ["error: missing.jsonl: no such file"], f"expected one line, got {lines}"

    channel = tmp_path / "chan.jsonl"
    channel.write_text(
        '{"message_id": "1", "posted_at": "2017-03-01T08:15:00Z", '
        '"text": "EURUSD BUY NOW 1.0600\\nSL 1.0580\\nTP1 1.0680"}\n'
    )
    bad_bots = tmp_path / "bots.yaml"
    bad_bots.write_text(BOTS_YAML.replace("risk_per_trade: 0.5", "risk_per_trade: 7", 1))
    refused = runner.invoke(
        app, ["replay", "--signals", str(channel), "--bots", str(bad_bots), "--no-serve"]
    )
    assert refused.exit_code == 2, (refused.exit_code, refused.output)
    errors = [line for line in refused.output.splitlines() if line.startswith("error: ")]
    assert errors, f"no error line: {refused.output}"
    assert any(
        "bots.yaml" in e and BOTS[0] in e and "risk_per_trade" in e and "7" in e for e in errors
    ), f"the bots file's problem is not named: {errors}"
