"""`hive audit anchor` and `hive audit verify` on the real Kafka and schema registry: a signed
chain is anchored, then a copy of it with its tail cut off and a wholesale rewrite (every hash
recomputed, every event re-signed with another key) each fail verification, naming the break."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hive.audit import AuditChain, event_hash
from hive.audit_anchor import AnchorFile
from hive.audit_keys import AuditSigner, public_key_text
from hive.contracts import load_catalogue

from support.kafka import create_topics, producer, register

pytestmark = pytest.mark.integration

SIGNER = AuditSigner(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
FORGER = AuditSigner(Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))))


def _chain(n: int) -> list[dict[str, Any]]:
    chain = AuditChain("governor", SIGNER)
    return [
        chain.append(ts_event=1_497_427_200_000 + i, actor="governor", role="SYSTEM",
                     action="BREAKER_OPENED", scope_level="BOT", scope_id=f"bot-{i}",
                     details={"i": i})
        for i in range(n)
    ]  # fmt: skip


def _publish(endpoints: dict[str, str], name: str, events: list[dict[str, Any]]) -> str:
    topic = f"audit.{name}.{uuid.uuid4().hex[:10]}.v1"
    bootstrap = endpoints["HIVE_KAFKA_BOOTSTRAP"]
    create_topics(bootstrap, [topic], partitions=1)
    schema = load_catalogue()["audit.events.v1"].schema_str()
    codec = register(endpoints["HIVE_SCHEMA_REGISTRY_URL"], topic, schema)
    p = producer(bootstrap)
    for e in events:
        p.produce(topic, codec.encode(e), e["chain_id"].encode())
    assert p.flush(30) == 0
    return topic


def _hive(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HIVE_AUDIT_PUBLIC_KEYS": json.dumps(
            {"governor": public_key_text(SIGNER.private_key.public_key())}
        ),
    }
    return subprocess.run(
        ["hive", "audit", *args], capture_output=True, text=True, check=False, timeout=120, env=env
    )


def test_truncated_and_rewritten_chains_fail_against_the_anchor(
    endpoints: dict[str, str], tmp_path: Path
) -> None:
    events = _chain(6)
    full = _publish(endpoints, "full", events)
    anchors = tmp_path / "audit-anchors.jsonl"

    out = _hive("anchor", "--topic", full, "--anchors", str(anchors))
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout == f"anchored governor#5 {events[5]['hash']} -> {anchors}\n"
    [anchor] = AnchorFile(anchors).read()
    ts = anchor.ts_anchored

    # The signatures travel through Kafka and the registry: the whole chain verifies.
    out = _hive("verify", "--topic", full, "--anchors", str(anchors))
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines() == [
        "chain governor: 6 event(s), OK",
        f"anchors: 1 checked from {anchors}",
    ]

    # A copy with its tail cut off is a valid chain on its own, but not against the anchor.
    cut = _publish(endpoints, "cut", events[:3])
    out = _hive("verify", "--topic", cut, "--anchors", str(anchors))
    assert out.returncode == 1, out.stdout + out.stderr
    assert out.stdout.splitlines()[:2] == [
        f"BROKEN governor #5 (governor:5): anchored at ts {ts} but the chain ends at #2 "
        "(truncated)",
        "chain governor: 3 event(s), 1 problem(s)",
    ]

    # A wholesale rewrite: event 4 edited, every hash recomputed, every event re-signed.
    forged = [dict(e) for e in events]
    forged[4]["actor"] = "mallory"
    for i in range(4, 6):
        forged[i]["prev_hash"] = forged[i - 1]["hash"]
        forged[i]["hash"] = event_hash(forged[i])
    for e in forged:
        e["signature"], e["key_id"] = FORGER.sign(e["hash"]), FORGER.key_id
    rewritten = _publish(endpoints, "rewritten", forged)
    out = _hive("verify", "--topic", rewritten, "--anchors", str(anchors))
    assert out.returncode == 1, out.stdout + out.stderr
    assert out.stdout.splitlines()[:7] == [
        *(
            f"BROKEN governor #{i} (governor:{i}): signature does not verify with the chain's key"
            for i in range(6)
        ),
        f"BROKEN governor #5 (governor:5): hash differs from the anchor of ts {ts} (rewritten)",
    ]
