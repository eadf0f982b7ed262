"""What the hub publishes (registry.bots, control.commands, signals.raw) and its own audit
chain, together: each mutating call is one Kafka transaction holding its records and the audit
event that says who did it. The chain advances only when the transaction commits.

`KafkaOutbox` is the real one; `MemoryOutbox` keeps records in memory (tests that must not
touch the shared topics, e.g. the schemathesis fuzz run, and a hub started without Kafka).
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from hive.audit import AuditChain
from hive.audit_keys import AuditSigner
from hive.topics import AUDIT_EVENTS, CONTROL_COMMANDS, REGISTRY_BOTS, SIGNALS_RAW

OUTPUTS = (REGISTRY_BOTS, CONTROL_COMMANDS, SIGNALS_RAW, AUDIT_EVENTS)


class PublishError(RuntimeError):
    """The broker did not take the records: nothing was published, the caller gets a 503."""


@dataclass(frozen=True)
class Out:
    topic: str
    key: str
    value: Mapping[str, Any]


@dataclass(frozen=True)
class AuditEntry:
    """The audit event a call adds to the hub's chain."""

    ts: int
    actor: str
    role: str  # VIEWER / OPERATOR / ADMIN / SYSTEM
    action: str
    scope_level: str
    scope_id: str
    details: Mapping[str, Any]
    cause_event_id: str | None = None


class Outbox(Protocol):
    chain: AuditChain

    def emit(self, records: Sequence[Out], audit: AuditEntry | None) -> dict[str, Any] | None:
        """Publish `records` and the audit event atomically; returns the audit event."""
        ...

    def close(self) -> None: ...


class _ChainedOutbox(ABC):
    """Numbers the audit event and rolls the chain back when publishing fails; subclasses say
    where the records go."""

    def __init__(self, chain_id: str, signer: AuditSigner | None = None) -> None:
        self.chain = AuditChain(chain_id, signer)
        self._lock = threading.Lock()

    @abstractmethod
    def _send(self, records: Sequence[Out]) -> None:
        """Publish all of `records` or raise: nothing may be half sent."""

    def emit(self, records: Sequence[Out], audit: AuditEntry | None) -> dict[str, Any] | None:
        with self._lock:
            saved = (self.chain.sequence, self.chain.prev_hash)
            event = None
            out = list(records)
            if audit is not None:
                event = self.chain.append(
                    ts_event=audit.ts,
                    actor=audit.actor,
                    role=audit.role,
                    action=audit.action,
                    scope_level=audit.scope_level,
                    scope_id=audit.scope_id,
                    details=audit.details,
                    cause_event_id=audit.cause_event_id,
                )
                out.append(Out(AUDIT_EVENTS, self.chain.chain_id, event))
            try:
                self._send(out)
            except BaseException:
                self.chain.sequence, self.chain.prev_hash = saved
                raise
            return event

    def close(self) -> None:
        return None


class MemoryOutbox(_ChainedOutbox):
    def __init__(self, chain_id: str = "hub-api") -> None:
        super().__init__(chain_id)
        self.sent: list[Out] = []
        self.fail = False

    def _send(self, records: Sequence[Out]) -> None:
        if self.fail:
            raise PublishError("the broker is unavailable (test)")
        self.sent.extend(records)


class KafkaOutbox(_ChainedOutbox):
    """A transactional producer kept open; records are encoded before the transaction starts,
    so one the contract refuses publishes nothing."""

    def __init__(
        self,
        bootstrap: str,
        registry_url: str,
        chain_id: str,
        *,
        timeout_s: float = 15.0,
        signer: AuditSigner | None = None,
    ) -> None:
        from confluent_kafka import Producer

        from hive.contracts import CodecRegistry, load_catalogue
        from hive.contracts.serde import make_registry_client
        from hive.runtime.service import preflight

        super().__init__(chain_id, signer)
        self.codecs = CodecRegistry(make_registry_client(registry_url), load_catalogue())
        preflight(self.codecs, OUTPUTS)  # services never auto-register
        self.bootstrap = bootstrap
        self.timeout_s = timeout_s
        self._producer = Producer(
            {
                "bootstrap.servers": bootstrap,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 0,
                "transactional.id": f"hive.hub-api.{uuid.uuid4().hex}",
            }
        )
        self._producer.init_transactions(30)

    def resume_chain(self) -> None:
        """Continue after the newest published event of our chain (one writer per chain)."""
        from hive.runtime.replay import end_offsets, read_until

        last: list[Mapping[str, Any]] = []

        def keep(rec: Any) -> None:
            if rec.value.get("chain_id") == self.chain.chain_id:
                last[:] = [rec.value]

        read_until(self.bootstrap, end_offsets(self.bootstrap, [AUDIT_EVENTS]), self.codecs, keep)
        self.chain.resume_after(last[0] if last else None)

    def _send(self, records: Sequence[Out]) -> None:
        from confluent_kafka import KafkaException

        try:
            encoded = [
                (r.topic, r.key.encode(), self.codecs.codec(r.topic).encode(r.value))
                for r in records
            ]
        except ValueError as exc:  # SerdeError: a bug of ours, not the caller's
            raise PublishError(f"record refused by its schema: {exc}") from exc
        p = self._producer
        try:
            p.begin_transaction()
            for topic, key, value in encoded:
                p.produce(topic, value, key)
            p.commit_transaction(self.timeout_s)
        except KafkaException as exc:
            with contextlib.suppress(KafkaException):
                p.abort_transaction(self.timeout_s)
            raise PublishError(f"the broker did not take the records: {exc}") from exc

    def close(self) -> None:
        self._producer.flush(5)
