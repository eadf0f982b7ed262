"""risk-gate on the real OPA server and broker: decisions with reasons for bots in two cells,
a card swapped while it runs (and audited), and OPA down = every decision denied."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

from hive.audit import event_hash, verify
from hive.contracts import CodecRegistry, load_catalogue
from hive.contracts.serde import make_registry_client
from hive.runtime.replay import end_offsets, read_until
from hive_tools.publish import publish_records

from support.kafka import consumer, skip_history

pytestmark = pytest.mark.integration

CATALOGUE = load_catalogue()
EXAMPLE = json.loads((CATALOGUE.root / "examples" / "signals_scored.json").read_text())


def _bots_file(tmp_path: Path, tag: str, source: str) -> Path:
    def bot(bot_id: str, cell: str, rule_set: str, card: str, params: dict) -> dict:
        return {
            "bot_id": f"{tag}-{bot_id}", "cell": f"{tag}-{cell}", "account_size": 100_000,
            "account_currency": "USD", "rule_set": rule_set, "sources": [{"source": source, "weight": 1.0}],
            "strategy_card": card, "strategy_parameters": params, "risk_per_trade": 1.0,
            "allowed_symbols": ["EURUSD", "XAUUSD"],
        }  # fmt: skip

    doc = {
        "bots": [
            bot("follow", "ftmo", "ftmo_2step", "follow", {}),
            bot("calm", "ftmo", "ftmo_2step", "regime_filtered", {"skip_regimes": ["CHAOS"]}),
            bot("strict", "strict", "strict", "follow", {}),
        ]
    }
    path = tmp_path / "bots.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _scored(source: str, n: int, regime: str, ts: int) -> dict:
    signal = {**EXAMPLE["signal"], "source": source, "message_id": str(n)}
    signal["signal_id"] = f"{source}:{n}:0"
    signal["event_id"] = f"{signal['signal_id']}:r0"
    signal["ts_event"] = signal["ts_init"] = signal["timestamp"] = ts
    return {
        **EXAMPLE,
        "event_id": signal["event_id"],
        "ts_event": ts,
        "ts_init": ts,
        "signal": signal,
        "market": {**EXAMPLE["market"]},
        "regime": regime,
    }


def _start(group: str, tmp_path: Path, **env: str) -> subprocess.Popen:
    log = (tmp_path / f"gate-{time.monotonic_ns()}.log").open("w")
    # No governor runs in these tests: its watch is off here and tested with a governor in
    # test_governor_service.py.
    full = {
        **os.environ,
        "HIVE_GROUP_ID": group,
        "HIVE_COMMIT_INTERVAL_MS": "200",
        "HIVE_GOVERNOR_TIMEOUT_S": "0",
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "hive_risk_gate"], env=full, stdout=log, stderr=log
    )


def _decisions(bootstrap: str, codecs: CodecRegistry, tag: str, want: int, timeout_s: float = 90):
    c = consumer(bootstrap, ["orders.decisions.v1", "orders.intents.v1", "audit.events.v1"])
    got: dict[str, list[dict]] = {
        "orders.decisions.v1": [],
        "orders.intents.v1": [],
        "audit.events.v1": [],
    }
    deadline = time.monotonic() + timeout_s
    try:
        while len(got["orders.decisions.v1"]) < want and time.monotonic() < deadline:
            for m in c.consume(500, 0.5):
                if m.error() is None:
                    v = codecs.codec(m.topic()).decode(m.value())
                    if tag in json.dumps(v):
                        got[m.topic()].append(v)
        # The last decisions' intents and audit records may trail by a moment.
        for m in c.consume(500, 2.0):
            if m.error() is None:
                v = codecs.codec(m.topic()).decode(m.value())
                if tag in json.dumps(v):
                    got[m.topic()].append(v)
    finally:
        c.close()
    return got


def test_decisions_for_two_cells_and_a_live_card_swap(hive_topics, tmp_path):
    bootstrap = hive_topics["HIVE_KAFKA_BOOTSTRAP"]
    registry = hive_topics["HIVE_SCHEMA_REGISTRY_URL"]
    codecs = CodecRegistry(make_registry_client(registry), CATALOGUE)
    tag = f"it{uuid.uuid4().hex[:6]}"
    source = f"{tag}-src"
    t0 = 1_497_427_511_000  # Wednesday 2017-06-14 08:05 UTC, no news window
    out = subprocess.run(
        ["hive", "bots", "apply", str(_bots_file(tmp_path, tag, source)), "--at", str(t0 - 60_000)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    skip_history(bootstrap, f"gate-{tag}", ["signals.scored.v1"])
    publish_records(
        [_scored(source, 1, "TREND", t0), _scored(source, 2, "CHAOS", t0 + 60_000)],
        "signals.scored.v1", lambda r: r["signal"]["symbol"], bootstrap, registry,
    )  # fmt: skip
    gate = _start(f"gate-{tag}", tmp_path)
    try:
        got = _decisions(bootstrap, codecs, tag, want=6)
        decisions = {(d["bot_id"], d["signal_id"]): d for d in got["orders.decisions.v1"]}
        assert len(decisions) == 6, f"decisions: {sorted(decisions)}; logs in {tmp_path}"
        trend, chaos = f"{source}:1:0", f"{source}:2:0"
        for bot in ("follow", "calm", "strict"):
            d = decisions[(f"{tag}-{bot}", trend)]
            assert d["allowed"], (bot, d["reasons"])
            assert d["policy_bundle_version"] and d["approved_size"] > 0
        assert decisions[(f"{tag}-calm", chaos)]["allowed"] is False
        assert any(r.startswith("card.") for r in decisions[(f"{tag}-calm", chaos)]["reasons"])
        assert decisions[(f"{tag}-follow", chaos)]["allowed"] is True
        real = [i for i in got["orders.intents.v1"] if i["shadow_reason"] != "COUNTERFACTUAL"]
        intents = {(i["bot_id"], i["signal_id"]): i for i in real}
        assert set(intents) == {k for k, d in decisions.items() if d["allowed"]}
        # The denied one is simulated for the learner, as a shadow order of its own.
        counterfactual = {
            (i["bot_id"], i["signal_id"])
            for i in got["orders.intents.v1"]
            if i["shadow_reason"] == "COUNTERFACTUAL"
        }
        assert counterfactual == {k for k, d in decisions.items() if not d["allowed"]}
        # Two cells, two profiles: the strict profile never risks more than the FTMO one.
        strict, ftmo = decisions[(f"{tag}-strict", trend)], decisions[(f"{tag}-follow", trend)]
        assert strict["risk_amount"] <= ftmo["risk_amount"]

        # Swap the calm bot's card to `follow` while the gate runs: the next CHAOS signal passes.
        out = subprocess.run(
            ["hive", "cards", "swap", f"{tag}-calm", "follow", "--actor", "it", "--reason", "test swap"],
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        time.sleep(2)
        publish_records(
            [_scored(source, 3, "CHAOS", t0 + 120_000)],
            "signals.scored.v1", lambda r: r["signal"]["symbol"], bootstrap, registry,
        )  # fmt: skip
        got = _decisions(bootstrap, codecs, tag, want=9)
    finally:
        gate.terminate()
        assert gate.wait(30) == 0
    decisions = {(d["bot_id"], d["signal_id"]): d for d in got["orders.decisions.v1"]}
    after = decisions[(f"{tag}-calm", f"{source}:3:0")]
    assert after["allowed"] and after["strategy_card"] == "follow", after["reasons"]
    swaps = [a for a in got["audit.events.v1"] if a["action"] == "CARD_SWAPPED"]
    assert len(swaps) == 1 and swaps[0]["scope_id"] == f"{tag}-calm" and swaps[0]["actor"] == "it"
    # The swap continues the gate's published chain: hashed as documented, linked to the
    # event before it (a restarted gate resumes after the last published event).
    chain: list[dict] = []
    ends = end_offsets(bootstrap, ["audit.events.v1"])
    read_until(bootstrap, ends, codecs, lambda r: chain.append(r.value))
    mine = [e for e in chain if e["chain_id"] == "risk-gate"]
    at = mine.index(swaps[0])
    if at == 0:
        assert verify(mine[:1]) == []
    else:
        assert swaps[0]["prev_hash"] == mine[at - 1]["hash"]
        assert swaps[0]["sequence"] == mine[at - 1]["sequence"] + 1
        assert event_hash(swaps[0]) == swaps[0]["hash"]


def test_opa_down_denies_every_decision_with_the_reason(hive_topics, tmp_path):
    bootstrap = hive_topics["HIVE_KAFKA_BOOTSTRAP"]
    registry = hive_topics["HIVE_SCHEMA_REGISTRY_URL"]
    codecs = CodecRegistry(make_registry_client(registry), CATALOGUE)
    tag = f"it{uuid.uuid4().hex[:6]}"
    source = f"{tag}-src"
    t0 = 1_497_427_511_000
    out = subprocess.run(
        ["hive", "bots", "apply", str(_bots_file(tmp_path, tag, source)), "--at", str(t0 - 60_000)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    skip_history(bootstrap, f"gate-{tag}", ["signals.scored.v1"])
    publish_records(
        [_scored(source, 1, "TREND", t0)], "signals.scored.v1",
        lambda r: r["signal"]["symbol"], bootstrap, registry,
    )  # fmt: skip
    # Nothing listens on this port: OPA is down.
    gate = _start(f"gate-{tag}", tmp_path, HIVE_OPA_URL="http://127.0.0.1:9")
    try:
        got = _decisions(bootstrap, codecs, tag, want=3)
    finally:
        gate.terminate()
        assert gate.wait(30) == 0
    assert len(got["orders.decisions.v1"]) == 3
    for d in got["orders.decisions.v1"]:
        assert d["allowed"] is False and "policy.unavailable" in d["reasons"]
    assert all(i["shadow_reason"] == "COUNTERFACTUAL" for i in got["orders.intents.v1"])
