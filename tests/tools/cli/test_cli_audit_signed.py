"""`hive audit verify` with signatures (HIVE_AUDIT_PUBLIC_KEYS) and an anchor file, and
`hive keys audit` (no servers needed: the chain is read from a JSON-lines file)."""

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from hive.audit import AuditChain, event_hash
from hive.audit_anchor import AnchorFile, chain_heads
from hive.audit_keys import AuditSigner, load_private_key, load_public_keys, public_key_text
from hive_tools.cli.main import app

pytestmark = pytest.mark.unit

runner = CliRunner()
SIGNER = AuditSigner(Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
PUBLIC = json.dumps({"governor": public_key_text(SIGNER.private_key.public_key())})


def _events(n: int = 4) -> list[dict]:
    chain = AuditChain("governor", SIGNER)
    return [
        chain.append(ts_event=1_000 + i, actor="governor", role="SYSTEM", action="BREAKER_OPENED",
                     scope_level="BOT", scope_id=f"bot-{i}", details={"i": i})
        for i in range(n)
    ]  # fmt: skip


def _write(tmp_path: Path, events: list[dict]) -> str:
    path = tmp_path / "audit.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return str(path)


def _verify(tmp_path: Path, events: list[dict], anchors: Path | None = None):  # type: ignore[no-untyped-def]
    args = ["audit", "verify", "--from-file", _write(tmp_path, events)]
    if anchors is not None:
        args += ["--anchors", str(anchors)]
    return runner.invoke(app, args, env={"HIVE_AUDIT_PUBLIC_KEYS": PUBLIC})


def test_signed_anchored_chain_passes_and_a_cut_tail_fails(tmp_path: Path):
    events = _events()
    anchors = tmp_path / "anchors.jsonl"
    AnchorFile(anchors).append(chain_heads(events, ts_anchored=5_000))
    ok = _verify(tmp_path, events, anchors)
    assert ok.exit_code == 0, ok.output
    assert ok.output.splitlines() == [
        "chain governor: 4 event(s), OK",
        f"anchors: 1 checked from {anchors}",
    ]
    cut = _verify(tmp_path, events[:2], anchors)
    assert cut.exit_code == 1
    assert cut.output.splitlines()[0] == (
        "BROKEN governor #3 (governor:3): anchored at ts 5000 but the chain ends at #1 (truncated)"
    )


def test_rewrite_with_recomputed_hashes_fails_on_signatures_and_anchor(tmp_path: Path):
    events = _events()
    anchors = tmp_path / "anchors.jsonl"
    AnchorFile(anchors).append(chain_heads(events, ts_anchored=5_000))
    forged = [dict(e) for e in events]
    forged[3]["details"] = '{"i":99}'
    forged[3]["hash"] = event_hash(forged[3])
    result = _verify(tmp_path, forged, anchors)
    assert result.exit_code == 1
    assert result.output.splitlines()[:2] == [
        "BROKEN governor #3 (governor:3): signature does not verify with the chain's key",
        "BROKEN governor #3 (governor:3): hash differs from the anchor of ts 5000 (rewritten)",
    ]


def test_without_public_keys_the_output_says_signatures_were_not_checked(tmp_path: Path):
    result = runner.invoke(
        app, ["audit", "verify", "--from-file", _write(tmp_path, _events())],
        env={"HIVE_AUDIT_PUBLIC_KEYS": ""},
    )  # fmt: skip
    assert result.exit_code == 0
    assert "signatures: not checked (HIVE_AUDIT_PUBLIC_KEYS is not set)" in result.output
    bad = runner.invoke(
        app, ["audit", "verify", "--from-file", _write(tmp_path, _events())],
        env={"HIVE_AUDIT_PUBLIC_KEYS": '{"governor": "nope"}'},
    )  # fmt: skip
    assert bad.exit_code == 2
    assert (
        "HIVE_AUDIT_PUBLIC_KEYS" in bad.output
        and "3 bytes where an Ed25519 key has 32" in bad.output
    )


def test_keys_audit_prints_a_working_key_pair():
    result = runner.invoke(app, ["keys", "audit", "--chain", "risk-gate"])
    assert result.exit_code == 0, result.output
    private_line, public_line = result.output.splitlines()
    private = load_private_key(private_line.removeprefix("HIVE_AUDIT_SIGNING_KEY="))
    public = load_public_keys(public_line.removeprefix("HIVE_AUDIT_PUBLIC_KEYS=").strip("'"))
    assert list(public) == ["risk-gate"]
    assert public["risk-gate"] == private.public_key()
    assert runner.invoke(app, ["keys", "audit", "--chain", "Bad Name"]).exit_code == 2
