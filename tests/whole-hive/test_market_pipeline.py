"""The EURUSD 2017 year through feed, enricher and regime detector on the real broker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from hive.contracts import CodecRegistry, load_catalogue
from hive.contracts.serde import make_registry_client
from hive.market import read_bundled_eurusd
from hive_tools.publish import publish_records

from support.kafka import consumer

pytestmark = pytest.mark.integration

CATALOGUE = load_catalogue()
HOUR = 3_600_000


def _signal(source: str, n: int, ts: int, direction: str, entry: float, sl: float, tp: float):
    example = json.loads((CATALOGUE.root / "examples" / "signals_parsed.json").read_text())
    signal_id = f"{source}:{n}:0"
    return {
        **example,
        "event_id": f"{signal_id}:r0",
        "signal_id": signal_id,
        "ts_event": ts,
        "ts_init": ts,
        "timestamp": ts,
        "source": source,
        "message_id": str(n),
        "direction": direction,
        "entry": entry,
        "entry_low": entry,
        "entry_high": entry,
        "stop_loss": sl,
        "take_profit": tp,
        "take_profits": [tp],
    }


def _service(module: str, group: str, tmp_path: Path) -> subprocess.Popen:
    env = {**os.environ, "HIVE_GROUP_ID": group, "HIVE_LOG_LEVEL": "WARNING"}
    log = (tmp_path / f"{module}.log").open("w")
    return subprocess.Popen([sys.executable, "-m", module], env=env, stdout=log, stderr=log)


def _collect(bootstrap: str, codecs, topic: str, want: set[str], copies: int, timeout_s: float):
    """Every copy of the wanted records, until each has `copies` of them (or time is up)."""
    c = consumer(bootstrap, [topic])
    found: dict[str, list[dict]] = {}
    deadline = time.monotonic() + timeout_s

    def done() -> bool:
        return all(len(found.get(w, [])) >= copies for w in want)

    try:
        while not done() and time.monotonic() < deadline:
            for m in c.consume(500, 0.5):
                if m.error() is None:
                    value = codecs.codec(topic).decode(m.value())
                    if value["event_id"] in want:
                        found.setdefault(value["event_id"], []).append(value)
    finally:
        c.close()
    return found


def test_year_of_bars_and_signals_become_scored_signals(hive_topics, tmp_path):
    bootstrap = hive_topics["HIVE_KAFKA_BOOTSTRAP"]
    registry = hive_topics["HIVE_SCHEMA_REGISTRY_URL"]
    codecs = CodecRegistry(make_registry_client(registry), CATALOGUE)
    bars = list(read_bundled_eurusd())
    assert len(bars) == 6225
    publish_records(bars, "market.bars.v1", lambda b: b["symbol"], bootstrap, registry)

    # Signals at bar closes mid-year (after the HMM's warm-up) and one in January (warm-up).
    by_close = {b["ts_event"]: b for b in bars}
    source = f"it-{uuid.uuid4().hex[:6]}"
    picks = [bars[3000], bars[4500], bars[6000], bars[20]]
    signals = []
    for n, bar in enumerate(picks):
        price = bar["close"]
        signals.append(
            _signal(
                source, n, bar["ts_event"] + 60_000, "BUY", price, price - 0.0030, price + 0.0060
            )
        )
    # A stop on the wrong side of the market: flagged, still scored (the gate decides).
    price = picks[0]["close"]
    signals.append(
        _signal(
            source, 9, picks[0]["ts_event"] + 120_000, "BUY", price, price + 0.0020, price + 0.0060
        )
    )
    publish_records(signals, "signals.parsed.v1", lambda s: s["symbol"], bootstrap, registry)
    want = {s["event_id"] for s in signals}

    group = f"it-{uuid.uuid4().hex[:6]}"
    procs = [
        _service("hive_enricher", f"{group}-enricher", tmp_path),
        _service("hive_regime", f"{group}-regime", tmp_path),
    ]
    try:
        copies = _collect(bootstrap, codecs, "signals.scored.v1", want, 1, timeout_s=180)
    finally:
        for p in procs:
            p.terminate()
        assert [p.wait(30) for p in procs] == [0, 0], "services stop cleanly on SIGTERM"
    assert set(copies) == want, f"missing {want - set(copies)}; logs in {tmp_path}"
    scored = {event_id: recs[0] for event_id, recs in copies.items()}

    for s in signals[:3]:
        rec = scored[s["event_id"]]
        market = rec["market"]
        bar = by_close[market["bar_close_time"]]
        assert market["price"] == pytest.approx(bar["close"])  # priced on its bar, no look-ahead
        assert market["atr14"] > 0 and not market["stale"] and not market["wrong_side_stop"]
        assert rec["regime"] in {"CALM", "TREND", "CHAOS"}
        assert sum(rec["regime_probabilities"].values()) == pytest.approx(1.0)
        assert rec["regime_model_sha256"] and len(rec["regime_model_sha256"]) == 64
    assert scored[signals[3]["event_id"]]["regime"] == "UNKNOWN"  # before the first fit
    assert scored[signals[4]["event_id"]]["market"]["wrong_side_stop"] is True

    # The same input, a fresh detector in a new process: the same regimes, bit for bit.
    again = _service("hive_regime", f"{group}-regime-again", tmp_path)
    try:
        rescored = _collect(bootstrap, codecs, "signals.scored.v1", want, 2, timeout_s=180)
    finally:
        again.terminate()
        again.wait(30)
    for event_id, recs in rescored.items():
        assert len(recs) >= 2, f"{event_id} was not scored again"
        assert all(r == recs[0] for r in recs), f"{event_id} scored differently on a rerun"


def test_regime_plot_from_the_topics(hive_topics, tmp_path):
    """After the replay above, the plot command reads bars and regimes back from Kafka."""
    out = tmp_path / "regimes.png"
    done = subprocess.run(
        ["hive", "regimes", "plot", "--out", str(out)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "6225 bars" in done.stdout
