"""collect_run on the real broker: from recorded start offsets it sees exactly the records a run
published after them (and the whole bot registry), never older ones, never aborted ones."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer

from hive.contracts import CodecRegistry, load_catalogue
from hive.contracts.serde import make_registry_client
from hive_tools.report import ReportError, RunData, collect_run, start_offsets, summarize

from support.changes import audit_event, chained, in_force, proposal, rule
from support.kafka import producer

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[3] / "schemas" / "examples"
T0 = 1_497_427_200_000  # 2017-06-14 08:00 UTC


def example(stem: str, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((EXAMPLES / f"{stem}.json").read_text())
    record.update(copy.deepcopy(changes))
    return record


class Publisher:
    """Encodes with the catalogue's codecs and produces, keyed as the catalogue says enough
    for a test (the tag keeps the run's records apart from everything else on the broker)."""

    def __init__(self, endpoints: dict[str, str]) -> None:
        self.codecs = CodecRegistry(
            make_registry_client(endpoints["HIVE_SCHEMA_REGISTRY_URL"]), load_catalogue()
        )
        self.producer: Producer = producer(endpoints["HIVE_KAFKA_BOOTSTRAP"])

    def send(self, topic: str, key: str, value: dict[str, Any]) -> None:
        self.producer.produce(topic, self.codecs.codec(topic).encode(value), key.encode())

    def dead_letter(self, key: str, data: bytes, reason: str) -> None:
        headers = {
            "hive.dlq.reason": reason,
            "hive.dlq.error": f"{reason}: test",
            "hive.dlq.source.topic": "signals.raw.v1",
            "hive.dlq.source.partition": "0",
            "hive.dlq.source.offset": "0",
            "hive.dlq.service": "signal-parser",
        }
        self.producer.produce("signals.raw.v1.dlq", data, key.encode(), headers=headers)

    def flush(self) -> None:
        assert self.producer.flush(30) == 0


def raw(tag: str, message_id: str, ts: int) -> dict[str, Any]:
    return example(
        "signals_raw",
        event_id=f"{tag}:raw:{message_id}",
        ts_event=ts,
        source=tag,
        message_id=message_id,
        revision=0,
        posted_at=ts,
    )


def mine(data: RunData, tag: str) -> RunData:
    """The run's records that carry the tag (other tests may publish at the same time)."""
    out = RunData(bots={k: v for k, v in data.bots.items() if tag in k})
    for name in (
        "raw",
        "parsed",
        "updates",
        "scored",
        "decisions",
        "intents",
        "executions",
        "trades",
        "snapshots",
        "breakers",
        "change_verdicts",
        "parameters",
        "models",
    ):
        setattr(out, name, [r for r in getattr(data, name) if tag in str(r.get("event_id"))])
    out.dead_letters = [d for d in data.dead_letters if d["key"] == tag]
    return out


def test_collect_run_reads_exactly_the_run_from_its_start_offsets(hive_topics):
    bootstrap = hive_topics["HIVE_KAFKA_BOOTSTRAP"]
    registry_url = hive_topics["HIVE_SCHEMA_REGISTRY_URL"]
    tag = f"report-{uuid.uuid4().hex[:10]}"
    bot_id = f"{tag}-bot"
    pub = Publisher(hive_topics)

    # Before the run: the bot is registered (a table: read whole) and an old message sits on
    # signals.raw (not part of the run).
    pub.send(
        "registry.bots.v1",
        bot_id,
        example(
            "registry_bots",
            event_id=f"{tag}:bot",
            bot_id=bot_id,
            rule_set="strict",
            account_size=50_000.0,
        ),
    )
    pub.send("signals.raw.v1", tag, raw(tag, "old", T0 - 60_000))
    pub.flush()

    start = start_offsets(bootstrap)

    # The run.
    m1, m2, m3 = (raw(tag, str(i), T0 + i * 60_000) for i in (1, 2, 3))
    for m in (m1, m2, m3):
        pub.send("signals.raw.v1", tag, m)
    signal_id = f"{tag}:1:0"
    pub.send(
        "signals.parsed.v1",
        "EURUSD",
        example(
            "signals_parsed",
            event_id=f"{tag}:parsed",
            ts_event=m1["ts_event"],
            signal_id=signal_id,
            source=tag,
            message_id="1",
            revision=0,
        ),
    )
    pub.dead_letter(tag, pub.codecs.codec("signals.raw.v1").encode(m2), "wrong_side_stop")
    pub.dead_letter(tag, b"not avro", "deserialization_error")
    for other, allowed, reasons in ((bot_id, True, []), (f"{tag}-b2", False, ["allowlist.symbol"])):
        pub.send(
            "orders.decisions.v1",
            other,
            example(
                "orders_decisions",
                event_id=f"{tag}:dec:{other}",
                ts_event=T0 + 60_000,
                signal_id=signal_id,
                bot_id=other,
                source=tag,
                allowed=allowed,
                reasons=reasons,
                regime="TREND",
            ),
        )
    trade = example(
        "trades_closed",
        event_id=f"{tag}:trade",
        ts_event=T0 + 7_200_000,
        signal_id=signal_id,
        bot_id=bot_id,
        pnl=-400.0,
        r_multiple=-1.0,
    )
    trade["features"].update(source=tag, regime="TREND")
    pub.send("trades.closed.v1", bot_id, trade)
    for seq, equity in ((1, 50_000.0), (2, 49_600.0)):
        pub.send(
            "accounts.snapshots.v1",
            bot_id,
            example(
                "accounts_snapshots",
                event_id=f"{tag}:snap:{seq}",
                bot_id=bot_id,
                ts_event=T0 + seq * 3_600_000,
                sequence=seq,
                balance=equity,
                equity=equity,
                initial_balance=50_000.0,
                day_start_balance=50_000.0,
                peak_equity=50_000.0,
                trading_day="2017-06-14",
            ),
        )
    pub.send(
        "control.breakers.v1",
        f"BOT:{bot_id}",
        example(
            "control_breakers",
            event_id=f"{tag}:brk",
            scope_id=bot_id,
            ts_event=T0 + 7_200_000,
            state="OPEN",
            fallback_mode="SHADOW_MODE",
            cause="LOSING_TRADE",
        ),
    )
    # What the hive taught itself: a rule deployed (its audit event, on a chain of this test),
    # an audit event that is no verdict (not kept), the rule in force, a model promoted.
    scope = ("BOT", bot_id)
    value = json.dumps(rule(f"{tag}-skip", source=tag), sort_keys=True)
    deploy = proposal(0, T0 + 60_000, f"{tag}-r1", f"rule.{tag}-skip", value, applied=True,
                      scope=scope)  # fmt: skip
    other = audit_event(1, T0 + 60_000, "BREAKER_OPENED", {"failure_count": 5}, scope=scope)
    for event in chained([deploy, other], f"{tag}-governor"):
        pub.send("audit.events.v1", event["chain_id"], event)
    pub.send(
        "control.parameters.v1",
        f"BOT:{bot_id}:rule.{tag}-skip",
        in_force(T0 + 60_000, f"{tag}-r1", f"rule.{tag}-skip", value, change_id=f"{tag}-r1",
                 scope=scope),
    )  # fmt: skip
    pub.send(
        "learner.models.v1",
        f"{tag}-win:0001",
        example("learner_models", event_id=f"{tag}-win:0001:PROMOTED", model_name=f"{tag}-win",
                version="0001", ts_event=T0 + 120_000),
    )  # fmt: skip
    pub.flush()

    # An aborted transaction is never part of a run (read_committed).
    tx = producer(bootstrap, **{"transactional.id": f"{tag}-tx"})
    tx.init_transactions(30)
    tx.begin_transaction()
    tx.produce(
        "signals.raw.v1",
        pub.codecs.codec("signals.raw.v1").encode(raw(tag, "aborted", T0)),
        tag.encode(),
    )
    tx.flush(30)
    tx.abort_transaction(30)

    data = collect_run(bootstrap, registry_url, start)
    run = mine(data, tag)

    assert [r["message_id"] for r in run.raw] == ["1", "2", "3"]  # not "old", not "aborted"
    assert [r["signal_id"] for r in run.parsed] == [signal_id]
    assert sorted(d["reason"] for d in run.dead_letters) == [
        "deserialization_error",
        "wrong_side_stop",
    ]
    dead = {d["reason"]: d for d in run.dead_letters}
    assert dead["wrong_side_stop"]["value"]["message_id"] == "2"
    assert dead["deserialization_error"]["value"] is None
    assert dead["wrong_side_stop"]["service"] == "signal-parser"
    assert len(run.decisions) == 2 and len(run.trades) == 1 and len(run.snapshots) == 2
    assert len(run.breakers) == 1
    assert run.bots[bot_id]["rule_set"] == "strict"  # registered before the run: still read
    assert all(start.get(tp, 0) <= data.start[tp] for tp in data.start)

    s = summarize(run)
    assert s.raw_messages == 4  # three decoded + one whose bytes no schema reads
    assert s.signals_by_outcome == {
        "dead-letter: deserialization_error": 1,
        "dead-letter: wrong_side_stop": 1,
        "no output": 1,
        "parsed": 1,
    }
    assert (s.decisions, s.allowed, s.denied_reasons) == (2, 1, {"allowlist.symbol": 1})
    (bot,) = [b for b in s.bots if b.bot_id == bot_id]
    assert (bot.rule_set, bot.trades, bot.losses, bot.net_pnl) == ("strict", 1, 1, -400.0)
    assert (bot.max_daily_loss, bot.daily_loss_limit) == (400.0, 750.0)  # strict: 1.5 % of 50k
    assert [(t.scope, t.cause) for t in s.breakers] == [(f"BOT:{bot_id}", "LOSING_TRADE")]
    assert [e["action"] for e in run.change_verdicts] == ["CHANGE_APPLIED"]
    assert len(run.parameters) == 1 and len(run.models) == 1
    learned = s.learning
    assert [(r.rule_id, r.status, r.when) for r in learned.rules] == [
        (f"{tag}-skip", "active", f"source={tag}")
    ]
    assert [(p.model_name, p.version) for p in learned.promotions] == [(f"{tag}-win", "0001")]
    assert [p.name for p in learned.in_force] == [f"rule.{tag}-skip"]


def test_an_unreachable_broker_is_one_clear_error(hive_topics):
    with pytest.raises(ReportError, match=r"^cannot reach Kafka at 127\.0\.0\.1:9: "):
        collect_run("127.0.0.1:9", hive_topics["HIVE_SCHEMA_REGISTRY_URL"], timeout_s=3)
