"""The risk gate's wiring without Kafka or OPA: the parts its settings build, the model loader,
and what the gate published read back after the tables (`restart_store`): its audit chain and
the orders it holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hive.audit import GENESIS, AuditChain
from hive.config import load_settings
from hive.liveness import GovernorWatch
from hive.runtime import InboundRecord
from hive.topics import AUDIT_EVENTS, ORDERS_DECISIONS, ORDERS_INTENTS
from hive.winprob import Prior, dump_artifact, prior_model, sha256_hex
from hive_risk_gate.control import ModelRelease
from hive_risk_gate.gate import RiskGate
from hive_risk_gate.model_loader import ReleaseLoader
from hive_risk_gate.service import CHAIN_ID, restart_store
from hive_risk_gate.settings import RiskGateSettings

pytestmark = pytest.mark.unit

TOKEN = "a-token-for-opa-of-forty-three-characters00"


def test_settings_build_the_opa_client_and_the_governor_watch() -> None:
    settings = RiskGateSettings(
        opa_url="https://opa.example:8443",
        opa_timeout_s=0.25,
        governor_timeout_s=2.5,
        opa_token=TOKEN,
    )
    client = vars(settings.opa_policy()._client)
    assert (
        client["host"],
        client["port"],
        client["ssl"],
        client["timeout"],
        client["retries"],
    ) == (
        "opa.example",
        8443,
        True,
        0.25,
        0,
    )
    modifications = settings.opa_modification_policy()
    assert (vars(modifications._client)["host"], modifications._package) == (
        "opa.example",
        "hive.modification",
    )
    # Both clients send the token as a bearer token with every query.
    for policy in (settings.opa_policy(), modifications):
        assert policy._client._session.headers["Authorization"] == f"Bearer {TOKEN}"
    assert settings.opa_policy()._package == "hive.risk"
    assert settings.governor_watch() == GovernorWatch(timeout_ms=2_500)
    assert RiskGateSettings(opa_token=TOKEN).governor_watch() == GovernorWatch(timeout_ms=15_000)
    assert (
        RiskGateSettings(opa_token=TOKEN, governor_timeout_s=0).governor_watch().required is False
    )


def test_an_opa_url_the_client_cannot_use_stops_the_start_with_one_line() -> None:
    with pytest.raises(SystemExit) as stop:
        RiskGateSettings(opa_url="opa:8181", opa_token=TOKEN).opa_policy()
    assert (
        str(stop.value) == "HIVE_OPA_URL: OPA URL must look like http://host:port, got 'opa:8181'"
    )


@pytest.mark.parametrize(
    ("value", "line"),
    [
        (None, "  HIVE_OPA_TOKEN: Field required"),
        (
            "short-token",
            "  HIVE_OPA_TOKEN: Value error, must be at least 32 characters; make one with: "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))' "
            "(value not shown: a secret)",
        ),
        (
            "CHANGE-ME-opa-token-but-long-enough-to-pass",
            "  HIVE_OPA_TOKEN: Value error, is the example's placeholder; make one with: "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))' "
            "(value not shown: a secret)",
        ),
    ],
)
def test_a_missing_short_or_placeholder_opa_token_stops_the_start_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    value: str | None,
    line: str,
) -> None:
    if value is None:
        monkeypatch.delenv("HIVE_OPA_TOKEN", raising=False)
    else:
        monkeypatch.setenv("HIVE_OPA_TOKEN", value)
    with pytest.raises(SystemExit) as stop:
        load_settings(RiskGateSettings)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines() == ["invalid configuration for RiskGateSettings:", line]
    if value is not None:
        assert value not in err  # a refused token is not written to the log either


def test_the_release_loader_reads_the_artifact_from_the_model_store(tmp_path: Path) -> None:
    model = prior_model(Prior(0.6, 1.5, -1.0, 20.0), model_name="win-prob", version="0007")
    data = dump_artifact(model.to_document())
    (tmp_path / "win-prob").mkdir()
    (tmp_path / "win-prob" / "0007.json").write_bytes(data)
    # The learner's URI is not valid here (another container): the store is looked in.
    release = ModelRelease(
        "win-prob", "0007", "PROMOTED", 1, sha256_hex(data), "file:///elsewhere/win-prob/0007.json"
    )
    predict = ReleaseLoader(tmp_path)(release)
    assert predict({}) == model.predict({}) == pytest.approx(0.6)
    with pytest.raises(ValueError, match="cannot read"):
        ReleaseLoader(None)(release)


def _no_policy(doc: dict[str, Any]) -> dict[str, Any]:
    raise AssertionError("not asked")


def _event(chain: AuditChain, n: int) -> dict[str, object]:
    return chain.append(
        ts_event=1_000 + n,
        actor="op",
        role="OPERATOR",
        action="CARD_SWAPPED",
        scope_level="BOT",
        scope_id="b1",
        details={"n": n},
    )


def test_the_audit_chain_continues_after_its_last_published_event() -> None:
    published = AuditChain(CHAIN_ID)
    events = [_event(published, n) for n in range(3)]
    other = {**_event(AuditChain("governor"), 9), "sequence": 99}

    chain = AuditChain(CHAIN_ID)
    for n in range(5):  # replayed commands appended again, in memory only
        _event(chain, n)
    store = restart_store(RiskGate(_no_policy), chain)
    assert (tuple(store.topics), store.after_replay) == (
        (AUDIT_EVENTS, ORDERS_INTENTS, ORDERS_DECISIONS),
        True,
    )
    for offset, value in enumerate([events[0], events[1], other, events[2]]):
        store.keep(InboundRecord(AUDIT_EVENTS, 0, offset, CHAIN_ID, value))
    assert chain.sequence == 5  # nothing changes before the whole topic is read
    store.restored()
    assert (chain.sequence, chain.prev_hash) == (3, events[2]["hash"])
    assert _event(chain, 3) == _event(published, 3)


def test_with_nothing_published_the_chain_starts_again_at_its_genesis() -> None:
    chain = AuditChain(CHAIN_ID)
    _event(chain, 0)
    store = restart_store(RiskGate(_no_policy), chain)
    store.keep(InboundRecord(AUDIT_EVENTS, 0, 0, "governor", _event(AuditChain("governor"), 0)))
    store.restored()
    assert (chain.sequence, chain.prev_hash) == (0, GENESIS)
