"""The tamper-evident audit trail: one hash chain per writing service on `audit.events.v1`.

hash_version 1 (schemas/avro/audit_events.avsc): SHA-256 over the compact, key-sorted JSON of
exactly HASHED_FIELDS. Each event carries the previous event's hash, so an edited, deleted or
reordered event breaks the chain where it happened. With a signer (hive.audit_keys), each event
also carries `signature` (Ed25519 by the writing service's key over the ASCII `hash`) and
`key_id`; hive.audit_anchor checks them and the chain's anchors outside Kafka.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hive.audit_keys import AuditSigner

GENESIS = "0" * 64
HASH_VERSION = 1
HASHED_FIELDS = (
    "chain_id", "sequence", "event_id", "ts_event", "ts_init", "actor", "role", "action",
    "scope_level", "scope_id", "details", "cause_event_id", "prev_hash",
)  # fmt: skip


def event_hash(event: Mapping[str, Any]) -> str:
    covered = {k: event[k] for k in HASHED_FIELDS}
    text = json.dumps(covered, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class AuditChain:
    """The single writer of one chain: numbers events without gaps and links their hashes."""

    def __init__(self, chain_id: str, signer: AuditSigner | None = None) -> None:
        self.chain_id = chain_id
        self.signer = signer
        self.sequence = 0
        self.prev_hash = GENESIS

    def resume_after(self, last: Mapping[str, Any] | None) -> None:
        """Continue after the newest published event of this chain (None: none yet)."""
        if last is None:
            self.sequence, self.prev_hash = 0, GENESIS
            return
        if last["chain_id"] != self.chain_id:
            raise ValueError(f"event of chain {last['chain_id']!r}, not {self.chain_id!r}")
        self.sequence = int(last["sequence"]) + 1
        self.prev_hash = str(last["hash"])

    def append(
        self,
        *,
        ts_event: int,
        actor: str,
        role: str,
        action: str,
        scope_level: str,
        scope_id: str,
        details: Mapping[str, Any],
        cause_event_id: str | None = None,
    ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "event_id": f"{self.chain_id}:{self.sequence}",
            "ts_event": ts_event,
            "ts_init": ts_event,  # derived from event time: a replay writes the same chain
            "chain_id": self.chain_id,
            "sequence": self.sequence,
            "actor": actor,
            "role": role,
            "action": action,
            "scope_level": scope_level,
            "scope_id": scope_id,
            "details": json.dumps(details, sort_keys=True, separators=(",", ":"), default=str),
            "cause_event_id": cause_event_id,
            "prev_hash": self.prev_hash,
            "hash_version": HASH_VERSION,
        }
        event["hash"] = event_hash(event)
        if self.signer is not None:
            event["signature"] = self.signer.sign(event["hash"])
            event["key_id"] = self.signer.key_id
        self.sequence += 1
        self.prev_hash = event["hash"]
        return event


@dataclass(frozen=True)
class ChainProblem:
    chain_id: str
    position: int  # index in the chain as read (0-based)
    event_id: str
    problem: str

    def __str__(self) -> str:
        return f"{self.chain_id} #{self.position} ({self.event_id}): {self.problem}"


def positioned(events: Iterable[Mapping[str, Any]]) -> Iterator[tuple[str, int, Mapping[str, Any]]]:
    """Each event with its chain and its position in that chain, in the order read; a
    redelivered copy (identical to its chain's previous event, at-least-once) is skipped."""
    last: dict[str, Mapping[str, Any]] = {}
    count: dict[str, int] = {}
    for e in events:
        chain = str(e["chain_id"])
        if chain in last and dict(e) == dict(last[chain]):
            continue
        position = count.get(chain, 0)
        count[chain], last[chain] = position + 1, e
        yield chain, position, e


def verify(events: Iterable[Mapping[str, Any]]) -> list[ChainProblem]:
    """Check every chain in `events` (in the order read): hashes, links and numbering.

    Duplicates of an event (at-least-once delivery) are skipped when identical."""
    problems: list[ChainProblem] = []
    prev_hashes: dict[str, str] = {}
    for chain, index, e in positioned(events):

        def flag(
            problem: str, e: Mapping[str, Any] = e, chain: str = chain, i: int = index
        ) -> None:
            problems.append(ChainProblem(chain, i, str(e.get("event_id")), problem))

        if int(e["sequence"]) != index:
            flag(f"sequence {e['sequence']} where {index} was expected (deleted or reordered)")
        if e["prev_hash"] != prev_hashes.get(chain, GENESIS):
            flag("prev_hash does not match the previous event's hash (deleted or reordered)")
        if e.get("hash_version") != HASH_VERSION:
            flag(f"unknown hash_version {e.get('hash_version')}")
        elif event_hash(e) != e["hash"]:
            flag("hash does not match the content (edited)")
        prev_hashes[chain] = str(e["hash"])
    return problems
