"""Chaos drills: kill services and restart the broker in the middle of a replay, then compare.

A drill replays the same timeline twice on a fresh hive: once undisturbed, once while every
service in turn is SIGKILLed (the supervisor restarts it) and the Kafka broker is stopped and
started again. Lockstep makes the undisturbed run the reference: what each decision sees does not
depend on timing, so any difference in trades, balances or orders is a recovery bug.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hive.topics import ORDERS_EXECUTIONS, ORDERS_INTENTS, TRADES_CLOSED
from hive_tools.playback.driver import Progress
from hive_tools.playback.session import Session, SessionConfig
from hive_tools.playback.timeline import Item

# Denials that come from the wall clock, not from the market: OPA slower than its timeout, the
# governor's heartbeat too old; and SAFE_MODE, which the governor also enters for a silent service.
WALL_CLOCK_REASONS = ("policy.unavailable", "guard.governor_silent")


@dataclass
class Outcome:
    """What a run left behind, in comparable form."""

    trades: list[tuple[Any, ...]]  # (trade_id, bot, shadow, entry, exit, pnl, reason), sorted
    balances: dict[str, tuple[float, float]]  # bot -> (balance, equity) of its last snapshot
    fills: Counter[str]  # order_id -> entry fills seen (must be <= 1 each)
    duplicate_records: dict[str, int]  # topic -> records whose event_id was seen before
    events: list[str] = field(default_factory=list)  # what was done to the hive, in order
    seconds: float = 0.0
    # (event_id, allowed, breaker_mode, reasons), sorted: not compared, but listed where two
    # runs differ, to say why a trade was real in one and shadow in the other
    decisions: list[tuple[Any, ...]] = field(default_factory=list)

    def duplicate_orders(self) -> list[str]:
        return sorted(o for o, n in self.fills.items() if n > 1)

    def wall_clock_denials(self) -> dict[str, int]:
        """Decisions a wall-clock guard turned into denials, by reason: in lockstep there
        must be none (session.LOCKSTEP_GUARDS), or the run depended on the machine's load."""
        counts = Counter(
            reason
            for d in self.decisions
            for reason in str(d[3]).split(",")
            if reason in WALL_CLOCK_REASONS
        )
        counts.update("breaker.SAFE_MODE" for d in self.decisions if d[2] == "SAFE_MODE")
        return {reason: counts[reason] for reason in sorted(counts)}


def outcome_of(data: Any, raw_counts: Mapping[str, Counter[str]]) -> Outcome:
    """From hive.report.RunData plus raw event-id counts per topic."""
    trades = sorted(
        (t["trade_id"], t["bot_id"], bool(t.get("shadow")), t["entry_time"], t["exit_time"],
         round(float(t["pnl"]), 6), t["exit_reason"])
        for t in data.trades
    )  # fmt: skip
    balances: dict[str, tuple[float, float]] = {}
    for snap in sorted(data.snapshots, key=lambda s: (s["ts_event"], s["sequence"])):
        balances[snap["bot_id"]] = (round(float(snap["balance"]), 6),
                                    round(float(snap["equity"]), 6))  # fmt: skip
    fills: Counter[str] = Counter(
        e["order_id"]
        for e in data.executions
        if e["status"] == "FILLED" and e.get("tp_index") is None
    )
    dups = {t: sum(n - 1 for n in c.values() if n > 1) for t, c in raw_counts.items()}
    decisions = sorted(
        (d["event_id"], bool(d["allowed"]), d.get("breaker_mode"), ",".join(d["reasons"]))
        for d in data.decisions
    )
    return Outcome(trades, balances, fills, dups, decisions=decisions)


class Disturber:
    """Kills one service every `every_bars` bars, in order; restarts Kafka once at `kafka_at_bar`.

    Called from the replay's progress callback, so faults land while bars are in flight.
    """

    def __init__(
        self,
        session: Session,
        services: Sequence[str],
        every_bars: int,
        *,
        restart_kafka: Callable[[], None] | None = None,
        kafka_at_bar: int | None = None,
        first_at_bar: int | None = None,
    ) -> None:
        self.session = session
        self.queue = list(services)
        self.every = every_bars
        self.next_at = first_at_bar if first_at_bar is not None else every_bars
        self.restart_kafka = restart_kafka
        self.kafka_at = kafka_at_bar
        self.events: list[str] = []

    def __call__(self, p: Progress) -> None:
        if self.queue and p.bars >= self.next_at:
            name = self.queue.pop(0)
            self._kill(name, p)
            self.next_at += self.every
        if self.restart_kafka and self.kafka_at is not None and p.bars >= self.kafka_at:
            # Here, between two bars of a burst: records are queued in the replay's producer
            # and in flight between the services when the broker goes away.
            self.kafka_at = None
            started = time.perf_counter()
            self.restart_kafka()
            self.events.append(
                f"bar {p.bars}: Kafka broker stopped and started again "
                f"({time.perf_counter() - started:.0f} s)"
            )

    def _kill(self, name: str, p: Progress) -> None:
        assert self.session.supervisor is not None
        pid = self.session.supervisor.pids().get(name)
        if pid is None:
            self.events.append(f"bar {p.bars}: {name} was not running")
            return
        os.kill(pid, signal.SIGKILL)
        self.events.append(f"bar {p.bars}: SIGKILL {name} (pid {pid})")


def run_drill(
    config: SessionConfig,
    items: Sequence[Item],
    bot_records: Sequence[Mapping[str, Any]],
    *,
    disturb: Callable[[Session], Disturber] | None = None,
    log: Callable[[str], None] = print,
) -> Outcome:
    """One fresh replay (disturbed or not), its outcome, and the hive stopped again."""
    from hive_tools.report import collect_run

    started = time.perf_counter()
    session = Session(config)
    counts: dict[str, Counter[str]] = {}
    disturber: Disturber | None = None
    try:
        session.reset()
        session.publish_bots(bot_records)
        session.start_services()
        session.wait_ready()
        disturber = disturb(session) if disturb else None
        session.play(items, disturber)
        session.settle_all()
        data = collect_run(session.bootstrap, session.env["HIVE_SCHEMA_REGISTRY_URL"], None)
        counts = _event_id_counts(session.bootstrap, session.codecs)
    finally:
        session.stop()
    out = outcome_of(data, counts)
    out.events = disturber.events if disturber else []
    out.seconds = time.perf_counter() - started
    for e in out.events:
        log(e)
    return out


def _event_id_counts(bootstrap: str, codecs: Any) -> dict[str, Counter[str]]:
    """Every event_id on the order and account topics, duplicates included (the report dedups)."""
    from hive.runtime.replay import end_offsets, read_until

    topics = [ORDERS_EXECUTIONS, TRADES_CLOSED, ORDERS_INTENTS]
    counts: dict[str, Counter[str]] = {t: Counter() for t in topics}

    def keep(record: Any) -> None:
        counts[record.topic][str(record.value["event_id"])] += 1

    read_until(bootstrap, end_offsets(bootstrap, topics), codecs, keep)
    return counts
