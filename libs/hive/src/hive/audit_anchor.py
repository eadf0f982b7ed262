"""Anchors of the audit trail outside Kafka, and verification against signatures and anchors.

An anchor records a chain's head (chain_id, sequence, hash, when) somewhere Kafka's writers cannot
rewrite: an append-only JSON-lines file (AnchorFile). Verification (verify_trail) checks the chain
as read from Kafka (hive.audit.verify: links, hashes, numbering), each event's signature with its
chain's public key, and every anchor:
- an anchor whose sequence is beyond the chain's end: the chain was truncated;
- an anchor whose hash differs from the chain's event at that sequence: the chain was rewritten
  (even if every hash was recomputed and re-signed with another key).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hive.audit import ChainProblem, positioned, verify
from hive.audit_keys import AuditKeyError, key_id, load_public_keys, signature_ok
from hive.paths import repo_root

DEFAULT_ANCHOR_FILE = ".hive/audit-anchors.jsonl"  # under the repository (the state dir)


class AuditVerifySettings(BaseSettings):
    """What a verifier of the trail needs (env prefix HIVE_).

    audit_public_keys: JSON {chain_id: Ed25519 public key}; empty = signatures not checked.
    audit_anchor_file: the append-only anchor file; unset = .hive/audit-anchors.jsonl."""

    model_config = SettingsConfigDict(env_prefix="HIVE_", extra="ignore")

    audit_public_keys: str = ""
    audit_anchor_file: Path | None = None

    @field_validator("audit_public_keys")
    @classmethod
    def _readable(cls, value: str) -> str:
        try:
            load_public_keys(value)
        except AuditKeyError as exc:
            raise ValueError(str(exc)) from None
        return value

    def public_keys(self) -> dict[str, Ed25519PublicKey] | None:
        return load_public_keys(self.audit_public_keys) if self.audit_public_keys else None

    def anchor_path(self) -> Path:
        return self.audit_anchor_file or repo_root() / DEFAULT_ANCHOR_FILE


@dataclass(frozen=True)
class Anchor:
    chain_id: str
    sequence: int
    hash: str
    ts_anchored: int  # epoch ms UTC, when the head was anchored

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Anchor:
        return cls(
            chain_id=str(obj["chain_id"]),
            sequence=int(obj["sequence"]),
            hash=str(obj["hash"]),
            ts_anchored=int(obj["ts_anchored"]),
        )


def chain_heads(events: Iterable[Mapping[str, Any]], ts_anchored: int) -> list[Anchor]:
    """The head (highest sequence) of each chain in `events`, as anchors."""
    heads: dict[str, Mapping[str, Any]] = {}
    for e in events:
        chain = str(e["chain_id"])
        if chain not in heads or int(e["sequence"]) >= int(heads[chain]["sequence"]):
            heads[chain] = e
    return [
        Anchor(chain, int(e["sequence"]), str(e["hash"]), ts_anchored)
        for chain, e in sorted(heads.items())
    ]


class AnchorFile:
    """An append-only JSON-lines file of anchors, one per line; each append is fsynced."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, anchors: Iterable[Anchor]) -> int:
        lines = [json.dumps(asdict(a), sort_keys=True) + "\n" for a in anchors]
        if not lines:
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, "".join(lines).encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        return len(lines)

    def read(self) -> list[Anchor]:
        """Every anchor in the file (none if it does not exist); ValueError names a bad line."""
        if not self.path.exists():
            return []
        anchors = []
        text = self.path.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                anchors.append(Anchor.from_json(json.loads(line)))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{self.path}:{number}: not an anchor ({exc})") from None
        return anchors


def _signature_problems(
    events: Sequence[Mapping[str, Any]], public_keys: Mapping[str, Ed25519PublicKey]
) -> list[ChainProblem]:
    problems: list[ChainProblem] = []
    for chain, position, e in positioned(events):  # redelivered copies skipped, as by verify
        key = public_keys.get(chain)
        event_id = str(e.get("event_id"))
        if key is None:
            if position == 0:
                problems.append(
                    ChainProblem(chain, 0, event_id, "no public key for this chain (unverifiable)")
                )
            continue
        signature = e.get("signature")
        if not signature:
            problems.append(ChainProblem(chain, position, event_id, "not signed"))
        elif e.get("key_id") not in (None, key_id(key)) or not signature_ok(
            key, str(e["hash"]), str(signature)
        ):
            problems.append(
                ChainProblem(
                    chain, position, event_id, "signature does not verify with the chain's key"
                )
            )
    return problems


def _anchor_problems(
    events: Sequence[Mapping[str, Any]], anchors: Iterable[Anchor]
) -> list[ChainProblem]:
    by_seq: dict[str, dict[int, str]] = {}
    ends: dict[str, int] = {}
    for e in events:
        chain, seq = str(e["chain_id"]), int(e["sequence"])
        by_seq.setdefault(chain, {}).setdefault(seq, str(e["hash"]))
        ends[chain] = max(ends.get(chain, -1), seq)
    problems: list[ChainProblem] = []
    for a in sorted(set(anchors), key=lambda a: (a.chain_id, a.sequence, a.ts_anchored)):
        event_id = f"{a.chain_id}:{a.sequence}"
        end = ends.get(a.chain_id, -1)
        found = by_seq.get(a.chain_id, {}).get(a.sequence)
        if a.sequence > end or found is None:
            where = f"ends at #{end}" if end >= 0 else "has no events"
            problems.append(
                ChainProblem(
                    a.chain_id,
                    a.sequence,
                    event_id,
                    f"anchored at ts {a.ts_anchored} but the chain {where} (truncated)",
                )
            )
        elif found != a.hash:
            problems.append(
                ChainProblem(
                    a.chain_id,
                    a.sequence,
                    event_id,
                    f"hash differs from the anchor of ts {a.ts_anchored} (rewritten)",
                )
            )
    return problems


def verify_trail(
    events: Sequence[Mapping[str, Any]],
    *,
    public_keys: Mapping[str, Ed25519PublicKey] | None = None,
    anchors: Iterable[Anchor] = (),
) -> list[ChainProblem]:
    """Every problem of the trail: links, hashes and numbering (hive.audit.verify); with
    `public_keys`, each event's signature by its chain's key (a chain without a key is a
    problem); each anchor (truncated, rewritten). Anchor problems' position is the sequence."""
    problems = verify(events)
    if public_keys is not None:
        problems += _signature_problems(events, public_keys)
    problems += _anchor_problems(events, anchors)
    return problems
