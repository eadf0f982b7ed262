"""`/v1/audit/verify` on SQLite: the hub's copy of a signed chain is checked against the chain's
public key and the anchor file; a copy cut short of an anchor, and a rewrite, are named."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from hive.audit import AuditChain, event_hash
from hive.audit_anchor import AnchorFile, chain_heads
from hive.audit_keys import AuditSigner, public_key_text
from hive_hub.app import create_app
from hive_hub.auth import digest
from hive_hub.db import make_engine
from hive_hub.outbox import MemoryOutbox
from hive_hub.projections.mapping import Source, project
from hive_hub.projections.store import apply_batch
from hive_hub.settings import HubSettings

pytestmark = pytest.mark.unit

KEY = "v" * 40
SIGNER = AuditSigner(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))


def _events(chain_id: str, n: int) -> list[dict[str, Any]]:
    chain = AuditChain(chain_id, SIGNER)
    return [
        chain.append(ts_event=1_000 + i, actor="governor", role="SYSTEM", action="BREAKER_OPENED",
                     scope_level="BOT", scope_id=f"bot-{i}", details={"i": i})
        for i in range(n)
    ]  # fmt: skip


def _project(url: str, records: list[dict[str, Any]]) -> None:
    async def go() -> None:
        engine = make_engine(url)
        writes = [
            w
            for offset, r in enumerate(records)
            for w in project(r, Source("audit.events.v1", 0, offset))
        ]
        await apply_batch(engine, writes)
        await engine.dispose()

    asyncio.run(go())


def test_the_hubs_copy_is_checked_against_signatures_and_anchors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good, cut, forged = _events("good", 3), _events("cut", 4), _events("forged", 3)
    gone = _events("gone", 2)  # anchored, then deleted from the log altogether
    anchors = tmp_path / "audit-anchors.jsonl"
    AnchorFile(anchors).append(chain_heads([*good, *cut, *forged, *gone], ts_anchored=7_000))
    forged[2] = dict(forged[2], actor="mallory")
    forged[2]["hash"] = event_hash(forged[2])
    public = public_key_text(SIGNER.private_key.public_key())
    monkeypatch.setenv(
        "HIVE_AUDIT_PUBLIC_KEYS",
        json.dumps({c: public for c in ("good", "cut", "forged", "gone")}),
    )
    monkeypatch.setenv("HIVE_AUDIT_ANCHOR_FILE", str(anchors))
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    settings = HubSettings(
        database_url=url, hub_api_keys={"v": {"role": "viewer", "sha256": digest(KEY)}}
    )
    with TestClient(create_app(settings, outbox=MemoryOutbox(), projections=False)) as c:
        _project(url, [*good, *cut[:2], *forged])
        got = c.get("/v1/audit/verify", headers={"Authorization": f"Bearer {KEY}"}).json()
    assert (got["ok"], got["source"], got["signatures_checked"]) == (
        False, "read-model copy of audit.events", True,
    )  # fmt: skip
    assert {c["chain_id"]: c["problems"] for c in got["chains"]} == {
        "cut": [
            {"position": 3, "event_id": "cut:3",
             "problem": "anchored at ts 7000 but the chain ends at #1 (truncated)"},
        ],
        "forged": [
            {"position": 2, "event_id": "forged:2",
             "problem": "signature does not verify with the chain's key"},
            {"position": 2, "event_id": "forged:2",
             "problem": "hash differs from the anchor of ts 7000 (rewritten)"},
        ],
        "gone": [
            {"position": 1, "event_id": "gone:1",
             "problem": "anchored at ts 7000 but the chain has no events (truncated)"},
        ],
        "good": [],
    }  # fmt: skip
    assert [(c["events"], c["anchors"]) for c in got["chains"]] == [(2, 1), (3, 1), (0, 1), (3, 1)]
