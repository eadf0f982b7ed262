"""Signal-parser benchmark: messages/s in-process (one core) and through Kafka, beside a bare
bytes relay on the same broker in the same run.

    uv run python bench/parser/run.py [--messages 20000]

The messages are the labelled corpus (tests/data/parser/corpus.jsonl) repeated under fresh
message ids, so signals, updates, edits, commentary and garbage keep their real mix.
Results: bench/results/parser.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests/data/parser/corpus.jsonl"


def messages(n: int) -> list[dict[str, Any]]:
    from hive.intake.records import raw_record

    lines = [json.loads(x) for x in CORPUS.read_text().splitlines() if x.strip()]
    out = []
    for i in range(n):
        raw = lines[i % len(lines)]["raw"]
        lap = i // len(lines)
        reply = raw.get("reply_to_message_id")
        out.append(
            raw_record(
                source=f"{raw['source']}-{lap}",  # each lap is its own channel: links stay valid
                channel_kind="TEXT",
                message_id=str(raw["message_id"]),
                text=raw["text"],
                posted_at_ms=int(raw["posted_at"]),
                revision=int(raw.get("revision") or 0),
                edited_at_ms=raw.get("edited_at"),
                reply_to=str(reply) if reply is not None else None,
                content_type=raw.get("content_type", "TEXT"),
            )
        )
    return out


def in_process(msgs: list[dict[str, Any]]) -> dict[str, float]:
    from hive_signal_parser.parser import SignalParser

    parser = SignalParser()
    counts = {"signals": 0, "updates": 0, "rejected": 0}
    start = time.perf_counter()
    for m in msgs:
        r = parser.parse(m)
        counts["signals"] += len(r.signals)
        counts["updates"] += len(r.updates)
        counts["rejected"] += r.rejection is not None
    elapsed = time.perf_counter() - start
    return {"messages": len(msgs), "messages_per_s": round(len(msgs) / elapsed, 1), **counts}


def through_kafka(msgs: list[dict[str, Any]], env: dict[str, str]) -> dict[str, float]:
    """Publish, start the parser service with a new group, and read its own counter of
    consumed records from /metrics: rate from its first to its last consumed record. A new
    group reads the whole topic, so earlier runs' messages are counted too (they are work)."""
    import socket

    import httpx

    from hive_tools.publish import publish_records

    publish_records(
        msgs, "signals.raw.v1", lambda r: r["source"],
        env["HIVE_KAFKA_BOOTSTRAP"], env["HIVE_SCHEMA_REGISTRY_URL"],
    )  # fmt: skip
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "hive_signal_parser"],
        env={
            **env,
            "HIVE_GROUP_ID": f"bench-{uuid.uuid4().hex[:6]}",
            "HIVE_LOG_LEVEL": "ERROR",
            "HIVE_PARSER_RESTORE_STATE": "false",
            "HIVE_HTTP_PORT": str(port),
        },
    )
    marker = 'hive_records_consumed_total{service="signal-parser",topic="signals.raw.v1"} '

    def consumed() -> float:
        try:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
        except httpx.HTTPError:
            return 0.0
        line = next((x for x in text.splitlines() if x.startswith(marker)), None)
        return float(line.split()[-1]) if line else 0.0

    samples: list[tuple[float, float]] = []
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            now, count = time.perf_counter(), consumed()
            samples.append((now, count))
            reached = min(t for t, c in samples if c == count)
            if count > 0 and now - reached > 3:  # three quiet seconds: the backlog is done
                break
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(30)
    total = samples[-1][1]
    t0 = min(t for t, c in samples if c > 0)
    c0 = min(c for _, c in samples if c > 0)
    t1 = min(t for t, c in samples if c == total)
    return {"messages": int(total), "messages_per_s": round((total - c0) / max(t1 - t0, 1e-9), 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/parser.json")
    ap.add_argument("--no-kafka", action="store_true", help="in-process only")
    args = ap.parse_args()
    if args.messages < 1000:
        ap.error("--messages must be at least 1000")
    msgs = messages(args.messages)
    result: dict[str, Any] = {"in_process": in_process(msgs)}
    print(
        f"in-process: {result['in_process']['messages_per_s']:,.0f} messages/s (one core; target >= 20,000)"
    )
    if not args.no_kafka:
        from hive_tools import infra

        infra.up(["kafka", "registry"])
        env = {**os.environ, **infra.endpoints(infra.InfraSettings())}
        result["through_kafka"] = through_kafka(msgs, env)
        print(
            f"through Kafka: {result['through_kafka']['messages_per_s']:,.0f} messages/s (raw -> parsed/updates/dlq)"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
