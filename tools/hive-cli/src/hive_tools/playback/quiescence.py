"""Has the hive finished with everything published so far? The lockstep replay's barrier.

A service's consumer group has finished a partition when its committed offset is past the last
data record there. Every service produces a batch's outputs before it commits the batch's input
offsets (acknowledged first, or in the same transaction), so when every group has finished every
partition it reads, and no partition grew while we looked, nothing is in flight anywhere.

Committed offsets point after the last *data* record, while transaction markers also take
offsets, so the end offset alone cannot tell. A tail reader (read_committed, no group) therefore
follows every watched partition and remembers the offset of its last data record; a read_committed
consumer's end offset is the last stable offset, and its position moves past markers, so "read up
to the end" is well defined.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from confluent_kafka import (
    Consumer,
    ConsumerGroupTopicPartitions,
    IsolationLevel,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, OffsetSpec  # type: ignore[attr-defined]

TP = tuple[str, int]


class NotSettledError(TimeoutError):
    """The hive did not settle in time; says which group is behind where."""


@dataclass
class TailReader:
    """Follows partitions from given offsets; remembers the last data offset and counts records."""

    bootstrap: str
    last_data: dict[TP, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    on_record: Callable[[str, int, bytes | None, bytes | None], None] | None = None
    _consumer: Consumer | None = None
    _assigned: dict[TP, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._admin = AdminClient({"bootstrap.servers": self.bootstrap})
        self._consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": "hive.playback.tail",  # never subscribes or commits: assign() only
                "enable.auto.commit": False,
                "isolation.level": "read_committed",
                "fetch.wait.max.ms": 10,
                "fetch.error.backoff.ms": 10,
            }
        )

    @property
    def consumer(self) -> Consumer:
        assert self._consumer is not None
        return self._consumer

    def follow(self, start: Mapping[TP, int]) -> None:
        """Add partitions, each read from its start offset."""
        new = {tp: off for tp, off in start.items() if tp not in self._assigned}
        if not new:
            return
        self._assigned |= new
        self.consumer.incremental_assign([TopicPartition(t, p, o) for (t, p), o in new.items()])

    def partitions(self) -> list[TP]:
        return list(self._assigned)

    def drain(self, timeout_s: float = 0.0) -> int:
        """Read what is there now (waiting at most `timeout_s` for the first record)."""
        n = 0
        msgs = self.consumer.consume(10_000, timeout=timeout_s)
        while msgs:
            for m in msgs:
                if m.error():
                    continue
                topic, part, off = str(m.topic()), int(m.partition() or 0), int(m.offset() or 0)
                self.last_data[(topic, part)] = off
                self.counts[topic] = self.counts.get(topic, 0) + 1
                if self.on_record is not None:
                    self.on_record(topic, part, m.key(), m.value())
                n += 1
            msgs = self.consumer.consume(10_000, timeout=0)
        return n

    def read_to(self, ends: Mapping[TP, int], timeout_s: float) -> None:
        """Read until every partition's position reaches its given end offset."""
        deadline = time.monotonic() + timeout_s
        while True:
            self.drain(0.0)
            behind = [
                tp
                for tp in self.consumer.position([TopicPartition(t, p) for t, p in ends])
                # Before its first fetch a partition has no position: it is where we put it.
                if (tp.offset if tp.offset >= 0 else self._assigned[(tp.topic, tp.partition)])
                < ends[(tp.topic, tp.partition)]
            ]
            if not behind:
                return
            if time.monotonic() > deadline:
                raise NotSettledError(
                    f"tail reader behind on {[(t.topic, t.partition) for t in behind]}"
                )
            self.drain(0.005)

    def ends(self, partitions: Iterable[TP]) -> dict[TP, int]:
        """Last stable offsets (what a read_committed reader can reach), in one request."""
        request = {TopicPartition(t, p): OffsetSpec.latest() for t, p in partitions}  # type: ignore[no-untyped-call]
        if not request:
            return {}
        futures = self._admin.list_offsets(
            request, isolation_level=IsolationLevel.READ_COMMITTED, request_timeout=10
        )
        return {(tp.topic, tp.partition): int(f.result().offset) for tp, f in futures.items()}

    def renew_admin(self) -> None:
        self._admin = AdminClient({"bootstrap.servers": self.bootstrap})

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None


class Quiescence:
    """Waits until the watched consumer groups have handled everything in their partitions."""

    def __init__(self, bootstrap: str, groups: Iterable[str], tail: TailReader) -> None:
        self.bootstrap = bootstrap
        self.admin = AdminClient({"bootstrap.servers": bootstrap})
        self.groups = list(groups)
        self.tail = tail
        self.inputs: dict[str, set[str]] = {}  # group -> topics it reads

    def discover(self, timeout_s: float = 60.0) -> dict[str, set[str]]:
        """Learn each group's topics from its members' assignments (waits for every group)."""
        deadline = time.monotonic() + timeout_s
        while True:
            missing = []
            futures = self.admin.describe_consumer_groups(self.groups, request_timeout=10)
            for group, fut in futures.items():
                try:
                    desc = fut.result()
                except KafkaException:
                    missing.append(group)
                    continue
                topics = {
                    tp.topic
                    for member in desc.members
                    for tp in (member.assignment.topic_partitions if member.assignment else [])
                }
                if topics:
                    self.inputs[group] = self.inputs.get(group, set()) | topics
                else:
                    missing.append(group)
            if not missing:
                return self.inputs
            if time.monotonic() > deadline:
                raise NotSettledError(f"consumer groups without assignments: {sorted(missing)}")
            time.sleep(0.2)

    def behind(self, groups: Iterable[str] | None = None) -> dict[str, list[TP]]:
        """Partitions where a group has not yet committed past the last data record."""
        needs: dict[str, dict[TP, int]] = {}
        for group in groups if groups is not None else self.groups:
            topics = self.inputs.get(group, set())
            need = {tp: off for tp, off in self.tail.last_data.items() if tp[0] in topics}
            if need:
                needs[group] = need
        # One request per group (the client takes one group per call), all in flight at once.
        pending = {
            group: self.admin.list_consumer_group_offsets(
                [ConsumerGroupTopicPartitions(group, [TopicPartition(t, p) for t, p in need])],
                request_timeout=10,
            )
            for group, need in needs.items()
        }
        lagging: dict[str, list[TP]] = {}
        for group, result in pending.items():
            committed = {
                (tp.topic, tp.partition): int(tp.offset)
                for fut in result.values()
                for tp in fut.result().topic_partitions
            }
            late = [tp for tp, last in needs[group].items() if committed.get(tp, -1) <= last]
            if late:
                lagging[group] = late
        return lagging

    def wait(
        self,
        timeout_s: float = 120.0,
        groups: Iterable[str] | None = None,
        ready: Callable[[], bool] | None = None,
        poll_s: float = 0.002,
    ) -> int:
        """Block until quiet (every group done and no partition grew); returns rounds taken.

        `ready` (e.g. "every supervised service is up") must also hold: a dead service has no
        lag to show for the records it has not yet been sent.
        """
        watched = list(groups) if groups is not None else self.groups
        deadline = time.monotonic() + timeout_s
        rounds = 0
        lagging: dict[str, list[TP]] = {}
        while True:
            rounds += 1
            try:
                before = self.tail.ends(self.tail.partitions())
                self.tail.read_to(before, max(1.0, deadline - time.monotonic()))
                ok = ready is None or ready()
                lagging = self.behind(watched) if ok else {"(a service is down)": []}
                if not lagging and self.tail.ends(self.tail.partitions()) == before:
                    return rounds
            except KafkaException as exc:  # the broker restarting: ask again until the deadline
                lagging = {f"(kafka: {exc})": []}
                # After a broker restart the admin client can keep answering from stale
                # metadata (FENCED_LEADER_EPOCH on every call): start afresh.
                self.admin = AdminClient({"bootstrap.servers": self.bootstrap})
                self.tail.renew_admin()
            if time.monotonic() > deadline:
                raise NotSettledError(
                    f"the hive did not settle within {timeout_s:.0f} s: {lagging}"
                )
            time.sleep(poll_s if not any(k.startswith("(") for k in lagging) else 0.2)
