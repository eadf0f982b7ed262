"""Per-service Prometheus metrics, on a registry of its own so several loops can share a process."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

log = logging.getLogger(__name__)

# Buckets from 100 µs to 5 s: handling is sub-millisecond, an OPA or DB call is milliseconds.
_LATENCY_BUCKETS = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
)  # fmt: skip


@dataclass(frozen=True)
class TopicMetrics:
    consumed: Counter
    produced: Counter
    handle_seconds: Histogram


class ServiceMetrics:
    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.service = service
        self.registry = registry or CollectorRegistry()
        labels = ["service", "topic"]
        self.consumed = Counter(
            "hive_records_consumed", "Records consumed", labels, registry=self.registry
        )
        self.produced = Counter(
            "hive_records_produced", "Records produced", labels, registry=self.registry
        )
        self.dead_letters = Counter(
            "hive_dead_letters",
            "Records sent to a dead-letter topic",
            [*labels, "reason"],
            registry=self.registry,
        )
        self.handle_seconds = Histogram(
            "hive_handle_seconds",
            "Time to handle one record (decode, handle, encode)",
            labels,
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            "hive_batch_seconds",
            "Time from a batch's first record to its offsets being stored",
            ["service"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.consumer_lag = Gauge(
            "hive_consumer_lag",
            "Records behind the end of the partition (from librdkafka statistics)",
            [*labels, "partition"],
            registry=self.registry,
        )
        self.retries = Counter(
            "hive_handler_retries", "Transient handler failures retried", labels,
            registry=self.registry,
        )  # fmt: skip
        self._topics: dict[str, TopicMetrics] = {}
        self.heartbeats = Counter(
            "hive_heartbeats_sent", "Heartbeats produced", ["service"], registry=self.registry
        )

    def for_topic(self, topic: str) -> TopicMetrics:
        """The labelled children of one topic, cached: `labels()` costs more than `inc()`."""
        children = self._topics.get(topic)
        if children is None:
            children = self._topics[topic] = TopicMetrics(
                consumed=self.consumed.labels(self.service, topic),
                produced=self.produced.labels(self.service, topic),
                handle_seconds=self.handle_seconds.labels(self.service, topic),
            )
        return children

    def on_stats(self, stats_json: str) -> None:
        """librdkafka statistics callback: per-partition consumer lag."""
        try:
            stats = json.loads(stats_json)
        except ValueError:
            log.warning("unreadable librdkafka statistics")
            return
        for topic, tstats in (stats.get("topics") or {}).items():
            for part, pstats in (tstats.get("partitions") or {}).items():
                lag = pstats.get("consumer_lag", -1)
                if part == "-1" or lag is None or lag < 0:
                    continue
                self.consumer_lag.labels(self.service, topic, part).set(lag)
