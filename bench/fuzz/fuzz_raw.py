"""Fuzzing the signal parser through Kafka: random and malformed `signals.raw.v1` records, and
the accounting of every one of them.

A run has one source name (`fuzz-<hex>`); every record it publishes is keyed by it. Cases,
deterministic by seed:

- records (valid Avro of the registered schema): corpus messages as they are, and mutated:
  truncated, digits swapped, random unicode, emojis, control characters, huge texts, empty and
  blank texts, JSON bodies with wrong types, deeply nested JSON, absurd timestamps, replies to
  unknown ids, edits (revisions > 0), odd content types, odd or empty message ids and sources;
- malformed Kafka records: bytes that are not Avro, the magic byte with an unknown schema id or
  with another topic's schema id, truncated Avro, Avro with trailing bytes, empty bytes, a null
  value, a null key.

Accounting (`Ledger`): each published record (known by its partition and offset) must show up
as at least one `signals.parsed.v1` or `signals.updates.v1` record (matched on source,
message_id and revision; records carry a unique (message_id, revision) within the run) or as
exactly one dead letter on `signals.raw.v1.dlq` (matched on the headers
hive.dlq.source.partition and hive.dlq.source.offset).
"""

from __future__ import annotations

import json
import os
import random
import signal
import struct
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests/data/parser/corpus.jsonl"
RAW = "signals.raw.v1"
PARSED = "signals.parsed.v1"
UPDATES = "signals.updates.v1"
DLQ = "signals.raw.v1.dlq"
OUTPUTS = (PARSED, UPDATES, DLQ)

LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
INT_MAX = 2**31 - 1
T0 = 1_497_427_200_000  # 2017-06-14 08:00 UTC
EMOJIS = "🔥🚀📈📉✅❌⚠️💰🎯🟢🔴⬆️⬇️➡️👉💎🤑😱🙏1️⃣2️⃣3️⃣"
CONTROL = "".join(chr(c) for c in [*range(0, 32), 127, *range(0x80, 0xA0)])
UNICODE_RANGES = [
    (0x20, 0x7E),
    (0xA0, 0x24F),
    (0x370, 0x3FF),
    (0x400, 0x4FF),
    (0x590, 0x6FF),  # hebrew, arabic (right to left)
    (0x2000, 0x206F),  # punctuation, zero-width and direction marks
    (0x2190, 0x2BFF),
    (0x3040, 0x30FF),
    (0x4E00, 0x4FFF),
    (0xFE00, 0xFE0F),
    (0xFF00, 0xFFEF),
    (0x1F300, 0x1FAFF),
    (0xE0000, 0xE007F),  # tags
]
WORDS = ["BUY", "SELL", "LONG", "SHORT", "LIMIT", "STOP", "NOW", "SL", "TP", "TP1", "TP2", "TP3", "entry", "close", "half", "breakeven", "BE", "move", "cancel", "hit", "@", "-", "->", "::", "EURUSD", "XAUUSD", "Gold", "GBPJPY", "BTC/USDT", "US30", "NAS100", "pips", "open", "market", "sl", "tp1", "be", "canceled", "closed", "partial", "runner", "zone"]  # fmt: skip

# What the parser dead-letters, and the runtime for records it cannot read.
OUTCOMES = ("parsed", "update", "dead_letter")


@dataclass
class Item:
    """One Kafka record to publish. `ident` is (message_id, revision) for Avro records that carry
    our source, None otherwise (those can only be accounted by offset)."""

    case: str
    key: bytes | None
    value: bytes | None
    ident: tuple[str, str, int] | None = None  # (source, message_id, revision)


def _corpus() -> list[dict[str, Any]]:
    return [json.loads(x)["raw"] for x in CORPUS.read_text().splitlines() if x.strip()]


class RawFuzzer:
    """Deterministic (by seed) stream of fuzz cases for one source."""

    def __init__(self, seed: int, source: str, codec: Any, other_schema_id: int | None) -> None:
        self.rng = random.Random(seed)
        self.source = source
        self.codec = codec  # hive AvroCodec for signals.raw.v1 (the registered schema)
        self.other_schema_id = other_schema_id  # a registered id of another topic's schema
        self.corpus = _corpus()
        self.n = 0
        self.issued: list[str] = []  # message ids already used (for replies and edits)
        self.cases: list[tuple[str, float]] = [
            ("corpus", 14),
            ("valid_signal", 10),
            ("truncated", 6),
            ("swapped_digits", 6),
            ("random_unicode", 6),
            ("emojis", 4),
            ("control_chars", 4),
            ("huge_text", 0.3),
            ("word_salad", 6),
            ("json_wrong_types", 5),
            ("json_nested", 2),
            ("json_random", 3),
            ("empty_text", 2),
            ("absurd_timestamps", 4),
            ("reply_unknown", 4),
            ("reply_known", 3),
            ("edit", 5),
            ("odd_fields", 3),
            ("bad_source", 2),
            ("not_avro", 2),
            ("unknown_schema_id", 1),
            ("other_schema_id", 1),
            ("truncated_avro", 2),
            ("trailing_bytes", 1),
            ("empty_bytes", 1),
            ("null_value", 1),
            ("null_key", 1),
        ]
        self._names = [c for c, _ in self.cases]
        self._weights = [w for _, w in self.cases]

    # -- helpers ------------------------------------------------------------------------------

    def _mid(self) -> str:
        self.n += 1
        mid = str(self.n)
        self.issued.append(mid)
        return mid

    def _record(self, text: str, **over: Any) -> dict[str, Any]:
        r = self.rng
        posted = over.pop("posted_at", T0 + self.n * 60_000)
        rec = {
            "event_id": "",
            "ts_event": posted,
            "ts_init": posted,
            "source": self.source,
            "channel_kind": r.choice(["TEXT", "TELEGRAM", "WEBHOOK", "REPLAY", "UNKNOWN"]),
            "message_id": self._mid(),
            "revision": 0,
            "posted_at": posted,
            "edited_at": None,
            "reply_to_message_id": None,
            "author": r.choice([None, "bot", "", "🤖" * 3]),
            "content_type": "TEXT" if r.random() < 0.95 else r.choice(["UNKNOWN", "JSON"]),
            "text": text,
            "attributes": {},
        }
        rec.update(over)
        rec["event_id"] = f"{rec['source']}:{rec['message_id']}:r{rec['revision']}"
        return rec

    def _avro(self, case: str, rec: dict[str, Any], key: bytes | None = None) -> Item:
        data = self.codec.encode(rec)
        ident = (rec["source"], rec["message_id"], rec["revision"])
        return Item(case, self.source.encode() if key is None else key, data, ident)

    def _unicode(self, n: int) -> str:
        r = self.rng
        out = []
        for _ in range(n):
            lo, hi = r.choice(UNICODE_RANGES)
            cp = r.randint(lo, hi)
            if 0xD800 <= cp <= 0xDFFF:
                cp = 0xFFFD
            out.append(chr(cp))
        return "".join(out)

    def _text(self) -> str:
        return str(self.rng.choice(self.corpus)["text"])

    def _signal_text(self) -> str:
        r = self.rng
        sym, price, pip = r.choice(
            [("EURUSD", 1.0850, 0.0001), ("XAUUSD", 2350.0, 0.1), ("GBPJPY", 190.0, 0.01),
             ("BTCUSDT", 64000.0, 1.0), ("US30", 38000.0, 1.0)]
        )  # fmt: skip
        side = r.choice(["BUY", "SELL", "LONG", "SHORT", "Buy", "sell"])
        up = 1 if side.upper() in ("BUY", "LONG") else -1
        entry = price * (1 + r.uniform(-0.02, 0.02))
        sl = entry - up * pip * r.randint(10, 200)
        tps = [entry + up * pip * r.randint(10, 400) * k for k in range(1, r.randint(1, 4) + 1)]
        lines = [f"{sym} {side} {r.choice(['', 'NOW ', '@ ', 'limit '])}{entry:.5g}",
                 f"SL {sl:.5g}"] + [f"TP{i + 1} {t:.5g}" for i, t in enumerate(tps)]  # fmt: skip
        if r.random() < 0.3:
            r.shuffle(lines)
        return r.choice(["\n", " ", " | "]).join(lines)

    def _json_value(self, depth: int = 0) -> Any:
        r = self.rng
        k = r.randint(0, 8 if depth < 3 else 5)
        if k == 0:
            return None
        if k == 1:
            return r.choice([True, False])
        if k == 2:
            return r.choice([0, -1, 2**70, 1e308, -1e-308, r.randint(-(10**9), 10**9)])
        if k == 3:
            return r.uniform(-1e6, 1e6)
        if k == 4:
            return self._unicode(r.randint(0, 20))
        if k == 5:
            return r.choice(WORDS)
        if k == 6:
            return [self._json_value(depth + 1) for _ in range(r.randint(0, 4))]
        return {
            r.choice(["symbol", "ticker", "action", "side", "price", "sl", "tp", "x", ""]): (
                self._json_value(depth + 1)
            )
            for _ in range(r.randint(0, 5))
        }

    # -- cases --------------------------------------------------------------------------------

    def item(self) -> Item:
        r = self.rng
        case = r.choices(self._names, self._weights)[0]
        if case == "corpus":
            base = r.choice(self.corpus)
            return self._avro(case, self._record(base["text"], content_type=base["content_type"]))
        if case == "valid_signal":
            return self._avro(case, self._record(self._signal_text(), content_type="TEXT"))
        if case == "truncated":
            t = self._text()
            return self._avro(case, self._record(t[: r.randint(0, max(0, len(t) - 1))]))
        if case == "swapped_digits":
            t = list(self._text())
            digits = [i for i, c in enumerate(t) if c.isdigit()]
            for _ in range(r.randint(1, 4)):
                if len(digits) >= 2:
                    i, j = r.sample(digits, 2)
                    t[i], t[j] = t[j], t[i]
                if digits:
                    t[r.choice(digits)] = r.choice("0123456789.,-")
            return self._avro(case, self._record("".join(t)))
        if case == "random_unicode":
            t = self._text() if r.random() < 0.5 else ""
            pos = r.randint(0, len(t))
            return self._avro(
                case, self._record(t[:pos] + self._unicode(r.randint(1, 200)) + t[pos:])
            )
        if case == "emojis":
            t = self._text() if r.random() < 0.7 else self._signal_text()
            out = []
            for ch in t:
                out.append(ch)
                if r.random() < 0.2:
                    out.append(r.choice(EMOJIS) * r.randint(1, 3))
            return self._avro(case, self._record("".join(out)))
        if case == "control_chars":
            t = self._text()
            out = [c if r.random() > 0.15 else r.choice(CONTROL) for c in t]
            return self._avro(case, self._record("".join(out)))
        if case == "huge_text":
            unit = self._signal_text() if r.random() < 0.5 else self._unicode(50)
            size = r.choice([15_999, 16_001, 16_001, 50_000, 50_000, 200_000, 1_000_000])
            if size > 100_000:  # close to the broker's 1 MiB record limit: ASCII only
                unit = "EURUSD BUY 1.0850 SL 1.0800 TP 1.0900 " + "x" * r.randint(0, 9)
                size -= r.randint(0, 40_000)
            t = (unit + "\n") * (size // (len(unit) + 1) + 1)
            return self._avro(case, self._record(t[:size]))
        if case == "word_salad":
            t = " ".join(
                r.choice(WORDS)
                if r.random() < 0.6
                else f"{r.uniform(0, 70000):.{r.randint(0, 5)}f}"
                for _ in range(r.randint(1, 40))
            )
            return self._avro(case, self._record(t))
        if case == "json_wrong_types":
            body = {
                "symbol": r.choice(["EURUSD", 42, None, ["XAUUSD"], {"a": 1}, "", "🔥"]),
                "action": r.choice(["buy", "sell", 1, None, True, "hold", ""]),
                "price": r.choice([1.085, "1.085", None, "abc", -1, 1e308, [1], {}]),
                "sl": r.choice([1.08, "x", None, 0, -5, "1,08"]),
                "tp": r.choice([1.09, [1.09, "a"], None, {"1": 2}, "1.09,1.1"]),
            }
            for k in list(body):
                if r.random() < 0.2:
                    del body[k]
            return self._avro(case, self._record(json.dumps(body), content_type="JSON"))
        if case == "json_nested":
            depth = r.choice([50, 500, 5000, 100_000])
            t = (
                "[" * depth + "1" + "]" * depth
                if r.random() < 0.5
                else '{"a":' * depth + "1" + "}" * depth
            )
            return self._avro(case, self._record(t, content_type=r.choice(["JSON", "TEXT"])))
        if case == "json_random":
            t = json.dumps(self._json_value())
            if r.random() < 0.3:
                t = t[: r.randint(0, len(t))]  # broken JSON
            return self._avro(case, self._record(t, content_type=r.choice(["JSON", "TEXT"])))
        if case == "empty_text":
            t = r.choice(["", " ", "\n\n", "\t", "\u200b", "\ufeff", "🔥", "...", "\x00"])
            return self._avro(case, self._record(t))
        if case == "absurd_timestamps":
            ts = r.choice([0, -1, 1, LONG_MIN, LONG_MAX, 253_402_300_800_000, -62_135_596_800_001,
                           T0 * 1000, 10**17, -(10**15)])  # fmt: skip
            over: dict[str, Any] = {"posted_at": ts}
            if r.random() < 0.5:
                over["edited_at"] = r.choice([LONG_MIN, LONG_MAX, 0, ts])
                over["revision"] = r.randint(0, 3)
            rec = self._record(self._text() if r.random() < 0.5 else self._signal_text(), **over)
            rec["ts_init"] = r.choice([ts, LONG_MAX, LONG_MIN])
            return self._avro(case, rec)
        if case == "reply_unknown":
            reply = r.choice(["999999999", "", "-1", "abc", "🔥", "0", self.source, "1" * 500])
            text = r.choice(["close half", "move SL to BE", "TP1 hit", "cancel", "close all",
                             "SL hit", "breakeven", self._text()])  # fmt: skip
            return self._avro(case, self._record(text, reply_to_message_id=reply))
        if case == "reply_known":
            reply = r.choice(self.issued) if self.issued else "1"
            text = r.choice(["close half", "move SL to BE", "TP1 hit ✅", "cancel", "close all",
                             "SL hit", "move sl to 1.0800", "close 30%", self._text()])  # fmt: skip
            return self._avro(case, self._record(text, reply_to_message_id=reply))
        if case == "edit":
            # a revision of an earlier message (or of one never seen): new text, later time
            mid = r.choice(self.issued) if self.issued and r.random() < 0.8 else f"x{self.n}"
            self.n += 1
            rev = self.n  # unique per record: (message_id, revision) stays a unique identity
            rec = self._record(
                self._signal_text() if r.random() < 0.6 else self._text(),
                message_id=mid,
                revision=r.choice([rev, rev, INT_MAX - self.n]),
                edited_at=T0 + self.n * 60_000 + 1,
            )
            return self._avro(case, rec)
        if case == "odd_fields":
            rec = self._record(
                self._text(),
                content_type=r.choice(["UNKNOWN", "JSON", "TEXT"]),
                channel_kind="UNKNOWN",
                attributes={self._unicode(5): self._unicode(20) for _ in range(r.randint(0, 5))},
                author=self._unicode(r.randint(0, 300)),
            )
            if r.random() < 0.5:
                rec["message_id"] = (
                    r.choice(["", " ", "🔥", "a:b:c", "-0", "1" * 300]) + f"#{self.n}"
                )
                rec["event_id"] = f"{rec['source']}:{rec['message_id']}:r0"
            return self._avro(case, rec)
        if case == "bad_source":
            # the key is ours, the value's source is not (empty, decorated, other case)
            src = r.choice(
                ["", " ", self.source.upper(), f"{self.source}:x", "🔥", self.source + " "]
            )
            mid = self._mid()
            rec = self._record(self._text(), source=src, message_id=mid)
            return self._avro(case, rec)
        key = self.source.encode()
        if case == "not_avro":
            data = r.choice([
                bytes(r.getrandbits(8) for _ in range(r.randint(1, 300))),
                self._unicode(40).encode(),
                json.dumps({"text": "EURUSD BUY 1.1 SL 1.0"}).encode(),
                b"\x01" + bytes(r.getrandbits(8) for _ in range(20)),
            ])  # fmt: skip
            if data[:1] == b"\x00":
                data = b"\x07" + data[1:]
            return Item(case, key, data)
        good = self.codec.encode(self._record(self._signal_text()))
        self.issued.pop()  # that record is not published as such
        if case == "unknown_schema_id":
            wrong = struct.pack(">bI", 0, r.randint(10_000_000, 2**32 - 1))
            return Item(case, key, wrong + good[5:])
        if case == "other_schema_id":
            sid = self.other_schema_id if self.other_schema_id is not None else 999_999
            return Item(case, key, struct.pack(">bI", 0, sid) + good[5:])
        if case == "truncated_avro":
            return Item(case, key, good[: r.randint(1, len(good) - 1)])
        if case == "trailing_bytes":
            return Item(case, key, good + bytes(r.getrandbits(8) for _ in range(r.randint(1, 9))))
        if case == "empty_bytes":
            return Item(case, key, b"")
        if case == "null_value":
            return Item(case, key, None)
        if case == "null_key":
            rec = self._record(self._signal_text())
            return self._avro(case, rec, key=b"")  # replaced by None below
        raise AssertionError(case)

    def items(self, count: int) -> Iterator[Item]:
        for _ in range(count):
            it = self.item()
            if it.case == "null_key":
                it.key = None
            yield it


# -- publishing and accounting ----------------------------------------------------------------


@dataclass
class Ledger:
    """What was published (by partition/offset) and what came out for it."""

    source: str
    sent: dict[tuple[int, int], str] = field(default_factory=dict)  # position -> case
    by_ident: dict[tuple[str, str, int], tuple[int, int]] = field(default_factory=dict)
    sources: set[str] = field(default_factory=set)
    parsed: Counter[tuple[int, int]] = field(default_factory=Counter)
    updates: Counter[tuple[int, int]] = field(default_factory=Counter)
    dead: Counter[tuple[int, int]] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    reasons_by_case: dict[str, Counter[str]] = field(default_factory=dict)
    unmatched_outputs: int = 0

    def add_sent(self, partition: int, offset: int, item: Item) -> None:
        self.sent[(partition, offset)] = item.case
        if item.ident is not None:
            self.by_ident[item.ident] = (partition, offset)
            self.sources.add(item.ident[0])

    def see(self, topic: str, msg: Any, codecs: Any) -> None:
        if topic == DLQ:
            h = {k: v for k, v in (msg.headers() or [])}
            if h.get("hive.dlq.source.topic") != RAW.encode():
                return
            pos = (int(h["hive.dlq.source.partition"]), int(h["hive.dlq.source.offset"]))
            if pos in self.sent:
                self.dead[pos] += 1
                reason = h.get("hive.dlq.reason", b"?").decode()
                self.reasons[reason] += 1
                case = self.sent[pos]
                self.reasons_by_case.setdefault(case, Counter())[reason] += 1
            return
        value = codecs.codec(topic).decode(msg.value())
        src = value.get("source")
        if src not in self.sources:
            return
        pos = self.by_ident.get((src, value["message_id"], value["revision"]))
        if pos is None:
            self.unmatched_outputs += 1
            return
        (self.parsed if topic == PARSED else self.updates)[pos] += 1

    def outcome(self, pos: tuple[int, int]) -> str | None:
        if self.dead[pos] and not (self.parsed[pos] or self.updates[pos]):
            return "dead_letter" if self.dead[pos] == 1 else "duplicate_dead_letter"
        if self.dead[pos]:
            return "dead_letter_and_output"
        if self.parsed[pos]:
            return "parsed"
        if self.updates[pos]:
            return "update"
        return None

    def missing(self) -> list[tuple[int, int]]:
        return [p for p in self.sent if self.outcome(p) is None]

    def summary(self) -> dict[str, Any]:
        outcomes = Counter(self.outcome(p) or "missing" for p in self.sent)
        cases = Counter(self.sent.values())
        return {
            "published": len(self.sent),
            "outcomes": dict(sorted(outcomes.items())),
            "dead_letter_reasons": dict(self.reasons.most_common()),
            "cases": dict(sorted(cases.items())),
            "reasons_by_case": {
                c: dict(v.most_common()) for c, v in sorted(self.reasons_by_case.items())
            },
            "parsed_records": sum(self.parsed.values()),
            "update_records": sum(self.updates.values()),
            "unmatched_outputs": self.unmatched_outputs,
        }


def publish(items: list[Item], bootstrap: str, ledger: Ledger) -> None:
    """Publish in order (idempotent producer, one partition per key); note each offset."""
    from confluent_kafka import Producer

    p = Producer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "linger.ms": 20,
            "message.max.bytes": 2_000_000,
        }
    )
    errors: list[str] = []

    def done(item: Item) -> Any:
        def cb(err: Any, msg: Any) -> None:
            if err is not None:
                errors.append(f"{item.case}: {err}")
            else:
                ledger.add_sent(int(msg.partition()), int(msg.offset()), item)

        return cb

    for it in items:
        while True:
            try:
                p.produce(RAW, it.value, it.key, on_delivery=done(it))
                it.value = None  # the producer has its copy; huge texts need not stay around
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    assert p.flush(120) == 0, "the broker did not acknowledge every record"
    assert not errors, errors[:5]


def start_parser(env: dict[str, str], group: str, log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "hive_signal_parser"],
        env={
            **os.environ,
            **env,
            "HIVE_GROUP_ID": group,
            "HIVE_INSTANCE_ID": group,
            "HIVE_HTTP_PORT": env.get("HIVE_HTTP_PORT", "0"),
            "HIVE_PARSER_RESTORE_STATE": "false",  # a fresh group: nothing to restore
            "HIVE_COMMIT_INTERVAL_MS": "200",
            "HIVE_LOG_LEVEL": "ERROR",
        },
        stdout=out,
        stderr=out,
    )


def _partitions(bootstrap: str, topic: str) -> int:
    from confluent_kafka.admin import AdminClient

    md = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic, timeout=30)
    return len(md.topics[topic].partitions)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def other_schema_id(registry_url: str) -> int | None:
    """The registered id of another topic's schema (market.bars), for the wrong-schema case."""
    from hive.contracts.serde import make_registry_client

    try:
        return int(
            make_registry_client(registry_url).get_latest_version("market.bars.v1-value").schema_id
        )
    except Exception:
        return None


def run(
    env: dict[str, str], count: int, seed: int, log_dir: Path, timeout_s: float = 600
) -> dict[str, Any]:
    """Generate, publish, run the parser service on them, account for every record."""
    import httpx
    from confluent_kafka import Consumer, TopicPartition

    from hive.contracts import CodecRegistry, load_catalogue
    from hive.contracts.serde import make_registry_client
    from hive.runtime.replay import end_offsets

    bootstrap, registry = env["HIVE_KAFKA_BOOTSTRAP"], env["HIVE_SCHEMA_REGISTRY_URL"]
    codecs = CodecRegistry(make_registry_client(registry), load_catalogue())
    source = f"fuzz-{uuid.uuid4().hex[:12]}"
    group = f"fuzz-parser-{source}"
    fuzzer = RawFuzzer(seed, source, codecs.codec(RAW), other_schema_id(registry))
    t_gen = time.perf_counter()
    items = list(fuzzer.items(count))
    gen_s = time.perf_counter() - t_gen

    # The parser's group starts at the end of the raw topic (earlier runs' records are not
    # this run's); the reader of its outputs starts at their current ends.
    ends = end_offsets(bootstrap, [RAW, *OUTPUTS])
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        starts = [TopicPartition(t, p, o) for (t, p), o in ends.items() if t == RAW and o > 0]
        if starts:
            c.commit(offsets=starts, asynchronous=False)
    finally:
        c.close()
    reader = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"fuzz-reader-{source}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "fetch.max.bytes": 60_000_000,
        }
    )
    reader.assign(
        [
            TopicPartition(t, p, ends.get((t, p), 0))
            for t in OUTPUTS
            for p in range(_partitions(bootstrap, t))
        ]
    )

    ledger = Ledger(source)
    port = free_port()
    log = log_dir / f"parser-{source}.log"
    parser = start_parser({**env, "HIVE_HTTP_PORT": str(port)}, group, log)
    t_pub = time.perf_counter()
    publish(items, bootstrap, ledger)
    pub_s = time.perf_counter() - t_pub
    started = time.perf_counter()
    last_check = time.monotonic()
    health: dict[str, Any] = {}
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and parser.poll() is None:
            msgs = reader.consume(2000, 0.5)
            for m in msgs:
                if m.error() is None:
                    ledger.see(str(m.topic()), m, codecs)
            if time.monotonic() - last_check > 1 or not msgs:
                last_check = time.monotonic()
                if not ledger.missing():
                    break
        duration = time.perf_counter() - started
        # a few more seconds: a late duplicate (a dead letter twice, an output after a dead
        # letter) would show up here
        end = time.monotonic() + 2
        while time.monotonic() < end:
            for m in reader.consume(2000, 0.3):
                if m.error() is None:
                    ledger.see(str(m.topic()), m, codecs)
        alive = parser.poll() is None
        if alive:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                health = {"status_code": r.status_code, "body": r.text[:200]}
            except httpx.HTTPError as exc:
                health = {"error": repr(exc)}
    finally:
        reader.close()
        exit_code = None
        if parser.poll() is None:
            parser.send_signal(signal.SIGTERM)
            try:
                exit_code = parser.wait(60)
            except subprocess.TimeoutExpired:
                parser.kill()
                exit_code = parser.wait()
        else:
            exit_code = parser.returncode
            alive = False
    summary = ledger.summary()
    missing_list = ledger.missing()
    return {
        "seed": seed,
        "source": source,
        "messages": count,
        "generate_s": round(gen_s, 2),
        "publish_s": round(pub_s, 2),
        "account_s": round(duration, 2),
        "messages_per_s": round(len(ledger.sent) / max(duration, 1e-9), 1),
        **summary,
        "missing": len(missing_list),
        "missing_examples": [
            {"partition": p, "offset": o, "case": ledger.sent[(p, o)]} for p, o in missing_list[:10]
        ],
        "parser_alive_at_end": alive,
        "parser_exit_code": exit_code,
        "parser_healthz": health,
        "crashes": 0 if alive else 1,
        "parser_log": str(log),
    }
