"""Create the catalogue's topics (and their dead-letter topics) on a Kafka cluster."""

from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from hive.contracts.catalogue import Catalogue

# Dead letters are kept long enough for a human to look at them after a weekend.
DLQ_RETENTION_MS = 30 * 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicResult:
    topic: str
    outcome: str  # created | exists | error
    detail: str = ""


def planned_topics(catalogue: Catalogue) -> list[NewTopic]:
    planned: list[NewTopic] = []
    for spec in catalogue.topics.values():
        planned.append(
            NewTopic(
                spec.name,
                num_partitions=spec.partitions,
                replication_factor=spec.replication_factor,
                config=spec.kafka_config(),
            )
        )
        if spec.dlq:
            planned.append(
                NewTopic(
                    spec.dlq,
                    num_partitions=spec.partitions,
                    replication_factor=spec.replication_factor,
                    config={"cleanup.policy": "delete", "retention.ms": str(DLQ_RETENTION_MS)},
                )
            )
    return planned


def create_topics(
    bootstrap: str, catalogue: Catalogue, timeout_s: float = 30.0
) -> list[TopicResult]:
    """Idempotent: topics that exist already are reported as such, not recreated."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics(planned_topics(catalogue), operation_timeout=timeout_s)
    results = []
    for name, fut in futures.items():
        try:
            fut.result(timeout=timeout_s)
            results.append(TopicResult(name, "created"))
        except KafkaException as exc:
            err = exc.args[0]
            if err.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                results.append(TopicResult(name, "exists"))
            else:
                results.append(TopicResult(name, "error", err.str()))
    return sorted(results, key=lambda r: r.topic)
