"""Publish a timeline into the running hive, in lockstep with it by default.

The hive has feedback loops: the risk gate sizes on the executor's account snapshots and obeys the
governor's breakers, and the executor applies a management update at the bar it arrived before.
If bars and messages were simply poured in, what a decision saw would depend on how fast each
service happened to run, and two replays of the same data would trade differently. In lockstep
the driver waits, before each message, until the hive has handled every bar before it, and after
it until every consequence of the message has landed. Between messages, bars flow freely.
So a replay decides exactly as the market would have, whatever the machine's speed, and a
service killed mid-replay changes nothing (its restart replays from its committed offsets).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from confluent_kafka import Producer

from hive.contracts import CodecRegistry
from hive_tools.playback.quiescence import Quiescence
from hive_tools.playback.timeline import Item


@dataclass
class Progress:
    bars: int = 0
    bars_total: int = 0
    messages: int = 0
    messages_total: int = 0
    ts: int | None = None  # event time reached
    barriers: int = 0
    barrier_seconds: float = 0.0


class Playback:
    def __init__(
        self,
        bootstrap: str,
        codecs: CodecRegistry,
        quiet: Quiescence | None,
        *,
        speed: float = 0.0,
        on_progress: Callable[[Progress], None] | None = None,
        ready: Callable[[], bool] | None = None,
        barrier_timeout_s: float = 300.0,
        decision_groups: Sequence[str] | None = None,
    ) -> None:
        if speed < 0:
            raise ValueError(f"speed must be 0 (as fast as possible) or positive, not {speed}")
        self.producer = Producer(
            {"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 2}
        )
        self.codecs = codecs
        self.quiet = quiet
        self.speed = speed
        self.on_progress = on_progress
        self.ready = ready
        self.barrier_timeout_s = barrier_timeout_s
        # After a message, before the next *bar*, only the services on its path to an order
        # must be done with it; the rest (governor, learner) is awaited before the next message.
        self.decision_groups = list(decision_groups) if decision_groups is not None else None

    def _send(self, item: Item) -> None:
        value = self.codecs.codec(item.topic).encode(dict(item.value))
        while True:
            try:
                self.producer.produce(item.topic, value, item.key.encode())
                break
            except BufferError:  # local queue full: let deliveries drain
                self.producer.poll(0.05)
        self.producer.poll(0)

    def _flush(self) -> None:
        if self.producer.flush(120) > 0:
            raise RuntimeError("the broker did not acknowledge every replayed record")

    def settle(self, progress: Progress, groups: Sequence[str] | None = None) -> None:
        """Everything sent so far is handled by every watched service (or by `groups`)."""
        self._flush()
        if self.quiet is None:
            return
        started = time.perf_counter()
        self.quiet.wait(self.barrier_timeout_s, groups=groups, ready=self.ready)
        progress.barriers += 1
        progress.barrier_seconds += time.perf_counter() - started

    def run(self, items: Sequence[Item], stop: threading.Event | None = None) -> Progress:
        progress = Progress(
            bars_total=sum(1 for i in items if i.kind == "bar"),
            messages_total=sum(1 for i in items if i.kind == "message"),
        )
        start_wall = time.monotonic()
        start_ts = items[0].ts if items else 0
        unsettled = False  # bars sent since the last barrier
        last_report = 0.0
        for index, item in enumerate(items):
            if stop is not None and stop.is_set():
                break
            if self.speed > 0:  # N x real time of the records' own clock
                due = start_wall + (item.ts - start_ts) / 1000.0 / self.speed
                delay = due - time.monotonic()
                if delay > 0:
                    self._flush()
                    if stop is not None and stop.wait(delay):
                        break
                    if stop is None:
                        time.sleep(delay)
            if item.kind == "message":
                if unsettled:
                    self.settle(progress)
                self._send(item)
                bar_next = index + 1 < len(items) and items[index + 1].kind == "bar"
                self.settle(progress, self.decision_groups if bar_next else None)
                unsettled = bar_next
                progress.messages += 1
            else:
                self._send(item)
                unsettled = True
                progress.bars += 1
            progress.ts = item.ts
            now = time.monotonic()
            if self.on_progress is not None and (item.kind == "message" or now - last_report > 0.1):
                last_report = now
                self.on_progress(progress)
        self.settle(progress)
        if self.on_progress is not None:
            self.on_progress(progress)
        return progress
