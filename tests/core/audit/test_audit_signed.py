"""Signed, anchored audit chains (hive.audit_keys, hive.audit_anchor): a rewrite that recomputes
every hash, a re-signature with another key, a cut tail, a deletion and a reorder are each named."""

import base64
import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hive.audit import event_hash
from hive.audit_anchor import Anchor, AnchorFile, chain_heads, verify_trail
from hive.audit_keys import (
    AuditKeyError,
    AuditSigner,
    key_id,
    load_private_key,
    load_public_keys,
    public_key_text,
)

from support.audit import card_swap_chain

pytestmark = pytest.mark.unit

SEED = bytes(range(32))  # a fixed test key: signatures are deterministic
OTHER = bytes(range(1, 33))


def _signer(seed: bytes = SEED) -> AuditSigner:
    return AuditSigner(Ed25519PrivateKey.from_private_bytes(seed))


def _keys(seed: bytes = SEED) -> dict:
    return {"risk-gate": _signer(seed).private_key.public_key()}


def _chain(n: int = 5, seed: bytes = SEED) -> list[dict]:
    return card_swap_chain(n, _signer(seed))


def _rewrite_from(events: list[dict], index: int, signer: AuditSigner | None) -> list[dict]:
    """Edit event `index` and recompute every later hash; with `signer`, re-sign the whole chain
    (a wholesale rewrite)."""
    out = [dict(e) for e in events]
    out[index]["details"] = out[index]["details"].replace("follow", "yolo")
    for i in range(len(out)):
        if i >= index:
            out[i]["prev_hash"] = out[i - 1]["hash"] if i > 0 else out[i]["prev_hash"]
            out[i]["hash"] = event_hash(out[i])
        if signer is not None:
            out[i]["signature"] = signer.sign(out[i]["hash"])
            out[i]["key_id"] = signer.key_id
    return out


def _texts(events: list[dict], **kw) -> list[str]:
    return [str(p) for p in verify_trail(events, **kw)]


def test_signed_chain_verifies_and_signatures_are_deterministic():
    events = _chain()
    assert events[0]["key_id"] == key_id(_signer().private_key.public_key())
    assert len(base64.b64decode(events[0]["signature"])) == 64
    assert _chain() == events  # a replay writes the same signed chain
    anchors = chain_heads(events[:3], ts_anchored=1_000)
    assert anchors == [Anchor("risk-gate", 2, events[2]["hash"], 1_000)]
    assert verify_trail(events, public_keys=_keys(), anchors=anchors) == []


def test_rewrite_with_recomputed_hashes_is_caught_by_the_signature():
    forged = _rewrite_from(_chain(), 2, signer=None)
    assert _texts(forged) == []  # plain hashes alone do not see it
    assert _texts(forged, public_keys=_keys()) == [
        "risk-gate #2 (risk-gate:2): signature does not verify with the chain's key",
        "risk-gate #3 (risk-gate:3): signature does not verify with the chain's key",
        "risk-gate #4 (risk-gate:4): signature does not verify with the chain's key",
    ]


def test_rewrite_re_signed_with_another_key_is_caught_by_the_key_and_the_anchor():
    events = _chain()
    anchors = chain_heads(events, ts_anchored=1_000)
    forged = _rewrite_from(events, 1, signer=_signer(OTHER))
    assert _texts(forged, public_keys=_keys(OTHER)) == []  # consistent with the forger's key
    assert _texts(forged, public_keys=_keys(), anchors=anchors) == [
        f"risk-gate #{i} (risk-gate:{i}): signature does not verify with the chain's key"
        for i in range(5)
    ] + ["risk-gate #4 (risk-gate:4): hash differs from the anchor of ts 1000 (rewritten)"]
    # Even with the forger's key accepted, the anchor outside Kafka names the rewrite.
    assert _texts(forged, public_keys=_keys(OTHER), anchors=anchors) == [
        "risk-gate #4 (risk-gate:4): hash differs from the anchor of ts 1000 (rewritten)"
    ]


def test_truncated_chain_is_caught_by_an_anchor_beyond_its_end():
    events = _chain(6)
    anchors = chain_heads(events[:5], ts_anchored=2_000)
    assert _texts(events[:3], public_keys=_keys()) == []  # a cut tail verifies on its own
    assert _texts(events[:3], public_keys=_keys(), anchors=anchors) == [
        "risk-gate #4 (risk-gate:4): anchored at ts 2000 but the chain ends at #2 (truncated)"
    ]
    assert _texts([], anchors=anchors) == [
        "risk-gate #4 (risk-gate:4): anchored at ts 2000 but the chain has no events (truncated)"
    ]


def test_deletion_reorder_and_unsigned_events_are_named():
    events = _chain()
    deleted = events[:2] + events[3:]
    assert _texts(deleted, public_keys=_keys())[:2] == [
        "risk-gate #2 (risk-gate:3): sequence 3 where 2 was expected (deleted or reordered)",
        "risk-gate #2 (risk-gate:3): prev_hash does not match the previous event's hash "
        "(deleted or reordered)",
    ]
    reordered = [events[0], events[2], events[1], *events[3:]]
    assert _texts(reordered, public_keys=_keys())[0] == (
        "risk-gate #1 (risk-gate:2): sequence 2 where 1 was expected (deleted or reordered)"
    )
    unsigned = [dict(e) for e in events]
    del unsigned[3]["signature"]
    assert _texts(unsigned, public_keys=_keys()) == ["risk-gate #3 (risk-gate:3): not signed"]
    assert _texts(events, public_keys={}) == [
        "risk-gate #0 (risk-gate:0): no public key for this chain (unverifiable)"
    ]
    # A redelivered copy is neither a chain nor a signature problem.
    assert _texts([*events[:2], events[1], *events[2:]], public_keys=_keys()) == []


def test_anchor_file_appends_and_reads(tmp_path: Path):
    f = AnchorFile(tmp_path / "state" / "audit-anchors.jsonl")
    assert f.read() == []
    first = chain_heads(_chain(2), ts_anchored=1)
    second = chain_heads(_chain(4), ts_anchored=2)
    assert f.append(first) == 1 and f.append(second) == 1 and f.append([]) == 0
    assert f.read() == first + second
    assert json.loads(f.path.read_text().splitlines()[0]) == {
        "chain_id": "risk-gate", "sequence": 1, "hash": _chain(2)[1]["hash"], "ts_anchored": 1,
    }  # fmt: skip
    f.path.write_text(f.path.read_text() + "{oops\n")
    with pytest.raises(ValueError, match=r"audit-anchors.jsonl:3: not an anchor"):
        f.read()


def test_keys_read_from_base64_and_pem_and_refuse_garbage():
    private = Ed25519PrivateKey.from_private_bytes(SEED)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    assert load_private_key(base64.b64encode(SEED).decode()).public_key() == private.public_key()
    assert load_private_key(pem).public_key() == private.public_key()
    public = public_key_text(private.public_key())
    assert load_public_keys(json.dumps({"governor": public})) == {"governor": private.public_key()}
    for bad, message in [
        ("", "audit signing key: empty"),
        ("not base64!", "audit signing key: neither PEM nor base64"),
        (base64.b64encode(os.urandom(16)).decode(), "16 bytes where an Ed25519 key has 32"),
    ]:
        with pytest.raises(AuditKeyError, match=message):
            load_private_key(bad)
    with pytest.raises(AuditKeyError, match=r"a JSON object \{chain_id: public key\}"):
        load_public_keys('["x"]')
    with pytest.raises(AuditKeyError, match="audit public key of hub-api: neither PEM nor base64"):
        load_public_keys('{"hub-api": "??"}')


def test_signing_key_from_the_environment_or_one_clear_line(monkeypatch, capsys):
    from hive.audit_keys import audit_signer

    monkeypatch.delenv("HIVE_AUDIT_SIGNING_KEY", raising=False)
    assert audit_signer() is None  # unset: the chain is written unsigned
    monkeypatch.setenv("HIVE_AUDIT_SIGNING_KEY", "")
    assert audit_signer() is None  # empty (compose's ${VAR:-}): the same
    monkeypatch.setenv("HIVE_AUDIT_SIGNING_KEY", base64.b64encode(SEED).decode())
    signer = audit_signer()
    assert signer is not None and signer.key_id == _signer().key_id
    secret = base64.b64encode(os.urandom(16)).decode()
    monkeypatch.setenv("HIVE_AUDIT_SIGNING_KEY", secret)
    with pytest.raises(SystemExit) as exit_:
        audit_signer()
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and secret not in err
    assert err.splitlines() == [
        "invalid configuration for AuditSigningSettings:",
        "  HIVE_AUDIT_SIGNING_KEY: Value error, audit signing key: 16 bytes where an Ed25519 key "
        "has 32 (value not shown: a secret)",
    ]


def test_the_schema_example_is_signed_by_the_test_key():
    from hive.audit_keys import signature_ok

    example = json.loads(Path("schemas/examples/audit_events.json").read_text())
    public = _signer().private_key.public_key()
    assert event_hash(example) == example["hash"] and example["key_id"] == key_id(public)
    assert signature_ok(public, example["hash"], example["signature"])
    assert not signature_ok(_keys(OTHER)["risk-gate"], example["hash"], example["signature"])
