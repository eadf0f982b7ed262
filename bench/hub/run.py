"""Hub-api benchmark: requests/s and latency (p50, p99) of the read API's list endpoints with
100,000 signals in PostgreSQL, beside two baselines measured in the same run.

    uv run python bench/hub/run.py [--signals 100000] [--seconds 3] [--concurrency 1 8]

A fresh PostgreSQL schema (the project's server, `hive infra up`) is migrated and loaded
directly through the hub's projection mapping and its upserts (no Kafka): the signals (scored, so
with market and regime), one risk-gate decision per signal, a fifth as many closed trades,
24 bots in 4 cells with their account snapshots and a few open breakers. The hub's app then
runs under uvicorn in a subprocess (bench/hub/serve.py: no projections, memory outbox) and
httpx on this machine calls each endpoint for --seconds at each concurrency (asyncio tasks,
one keep-alive connection each).

Baselines, for reading the numbers on a noisy machine: the hub's own /healthz (routing and
middleware, no key, no database), and a bare FastAPI app in another uvicorn process answering
each endpoint with the very JSON the hub gave (serialisation and HTTP, no database, no auth).
Results: bench/results/hub.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
EX = {p.stem: json.loads(p.read_text()) for p in (ROOT / "schemas/examples").glob("*.json")}
SERVE = Path(__file__).resolve().parent / "serve.py"
T0 = 1_700_000_000_000
SOURCES = ["fx-vip", "eurusd-alerts", "gold-room", "swing", "scalps"]
SYMBOLS = ["EURUSD", "GBPUSD", "XAUUSD", "USDJPY"]
CELLS = ["ftmo", "strict", "swing", "gold"]
BOTS = [f"bench-{c}-{i}" for c in CELLS for i in range(6)]
KEY = "bench-admin-" + uuid.uuid4().hex


# ---- data ------------------------------------------------------------------------------------
def _records(n_signals: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """(topic, record) in the order the hive would produce them."""
    for b, bot_id in enumerate(BOTS):
        yield "registry.bots.v1", {**copy.deepcopy(EX["registry_bots"]), "bot_id": bot_id,
               "event_id": f"{bot_id}:1", "cell_id": CELLS[b // 6], "config_version": 1,
               "display_name": f"bench bot {b}", "status": "ACTIVE",
               "rule_set": "ftmo_2step" if b % 2 else "strict", "ts_event": T0 - 60_000}  # fmt: skip
    for bot_id in BOTS[::5]:
        yield "control.breakers.v1", {**copy.deepcopy(EX["control_breakers"]),
               "scope_level": "BOT", "scope_id": bot_id, "event_id": f"BOT:{bot_id}:1",
               "transition_seq": 1, "ts_event": T0 - 30_000}  # fmt: skip
    for n in range(n_signals):
        ts = T0 + n * 1_000
        source, symbol = SOURCES[n % len(SOURCES)], SYMBOLS[n % len(SYMBOLS)]
        sid = f"{source}:{n}:0"
        scored = copy.deepcopy(EX["signals_scored"])
        sig = scored["signal"]
        sig.update(signal_id=sid, event_id=f"{sid}:r0", source=source, symbol=symbol,
                   message_id=str(n), timestamp=ts, ts_event=ts, ts_init=ts, revision=0)  # fmt: skip
        scored.update(event_id=f"{sid}:r0", ts_event=ts, ts_init=ts)
        yield "signals.scored.v1", scored
        bot_id = BOTS[n % len(BOTS)]
        yield "orders.decisions.v1", {**copy.deepcopy(EX["orders_decisions"]),
               "event_id": f"{sid}:r0:{bot_id}", "signal_id": sid, "signal_revision": 0,
               "bot_id": bot_id, "cell_id": CELLS[BOTS.index(bot_id) // 6], "source": source,
               "symbol": symbol, "allowed": n % 3 != 0,
               "reasons": ["ALLOWED"] if n % 3 else ["MAX_OPEN_POSITIONS"],
               "ts_event": ts + 5, "ts_init": ts + 5}  # fmt: skip
        if n % 5 == 0:
            oid = f"o-{n}"
            yield "trades.closed.v1", {**copy.deepcopy(EX["trades_closed"]),
                   "event_id": f"{oid}:1", "trade_id": f"{oid}:1", "order_id": oid,
                   "signal_id": sid, "bot_id": bot_id, "cell_id": CELLS[BOTS.index(bot_id) // 6],
                   "symbol": symbol, "entry_time": ts + 10, "exit_time": ts + 600_000,
                   "ts_event": ts + 600_000, "ts_init": ts + 600_000}  # fmt: skip
        if n % 400 == 0:
            for b, snap_bot in enumerate(BOTS):
                seq = n // 400
                equity = 100_000.0 + ((seq * 37 + b * 11) % 400) - 200
                yield "accounts.snapshots.v1", {**copy.deepcopy(EX["accounts_snapshots"]),
                       "event_id": f"{snap_bot}:{seq}", "bot_id": snap_bot,
                       "cell_id": CELLS[b // 6], "sequence": seq, "ts_event": ts, "ts_init": ts,
                       "balance": equity, "equity": equity, "initial_balance": 100_000.0,
                       "day_start_balance": 100_000.0, "peak_equity": 100_200.0}  # fmt: skip


async def _apply(conn: Any, writes: list[Any]) -> None:
    """The hub's upserts (hive_hub.projections.store: same tables, keys and ON CONFLICT rules)
    sent as one executemany per kind: store.apply compiles a 200-row VALUES statement per chunk,
    which at 100,000 rows costs minutes of CPU in the loader alone."""
    from sqlalchemy import or_
    from sqlalchemy.dialects.postgresql import insert

    from hive_hub.projections.mapping import Upsert, coalesce
    from hive_hub.projections.store import KEYS, TABLES

    groups: dict[Any, list[Any]] = {}
    for w in coalesce(writes, KEYS):
        assert isinstance(w, Upsert), w  # the bench data has no deletes
        groups.setdefault(w.kind, []).append(w)
    for (name, update, when), ups in groups.items():
        table = TABLES[name]
        stmt = insert(table)
        if not update:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(KEYS[name]))
        else:
            new = stmt.excluded
            where = None
            if when is not None:
                where = or_(table.c[when].is_(None), table.c[when] <= new[when])
            stmt = stmt.on_conflict_do_update(
                index_elements=list(KEYS[name]), set_={c: new[c] for c in update}, where=where
            )
        # Every row of a kind carries the same columns (the mapping writes them all).
        await conn.execute(stmt, [dict(u.values) for u in ups])


async def _load(url: str, schema: str, n_signals: int) -> dict[str, Any]:
    from sqlalchemy import text

    from hive_hub.db import make_engine
    from hive_hub.projections.mapping import Source, project

    engine = make_engine(url, schema)
    counts: dict[str, int] = {}
    batch: list[Any] = []
    start = time.perf_counter()
    try:
        for topic, record in _records(n_signals):
            counts[topic] = counts.get(topic, 0) + 1
            batch += project(record, Source(topic))
            if len(batch) >= 10_000:
                async with engine.begin() as conn:
                    await _apply(conn, batch)
                batch = []
        async with engine.begin() as conn:
            await _apply(conn, batch)
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return {"records": counts, "load_s": round(time.perf_counter() - start, 1)}


# ---- servers ---------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _server(args: list[str], env: dict[str, str], log: Path) -> Iterator[str]:
    port = _free_port()
    out = log.open("w")
    proc = subprocess.Popen(
        [sys.executable, str(SERVE), args[0], str(port), *args[1:]], env=env, stdout=out, stderr=out
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{args[0]} server exited: {log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{args[0]} server not up: {log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            time.sleep(0.2)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        out.close()


# ---- measuring -------------------------------------------------------------------------------
async def _measure(url: str, path: str, concurrency: int, seconds: float) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {KEY}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits) as client:

        async def worker(until: float, keep: bool) -> None:
            while time.perf_counter() < until:
                t = time.perf_counter()
                r = await client.get(path)
                dt = time.perf_counter() - t
                if r.status_code != 200:
                    raise RuntimeError(f"{path}: {r.status_code} {r.text[:300]}")
                if keep:
                    latencies.append(dt * 1000)

        warm = time.perf_counter() + min(0.5, seconds / 4)
        await asyncio.gather(*(worker(warm, False) for _ in range(concurrency)))
        start = time.perf_counter()
        await asyncio.gather(*(worker(start + seconds, True) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    q = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(q[49], 2),
        "p99_ms": round(q[98], 2),
    }


def _endpoints(n_signals: int) -> dict[str, str]:
    deep = n_signals // 2  # a keyset page halfway down the history
    cursor = f"{T0 + deep * 1_000}~{SOURCES[deep % len(SOURCES)]}:{deep}:0"
    return {
        "bots": "/v1/bots",
        "accounts": "/v1/accounts",
        "breakers": "/v1/breakers",
        "signals": "/v1/signals?limit=50",
        "signals_by_symbol": "/v1/signals?limit=50&symbol=XAUUSD",
        "signals_deep_page": f"/v1/signals?limit=50&cursor={cursor}",
        "signals_500": "/v1/signals?limit=500",
        "decisions": "/v1/decisions?limit=50",
        "decisions_by_bot": f"/v1/decisions?limit=50&bot_id={BOTS[7]}",
        "trades": "/v1/trades?limit=50",
        "trades_by_bot": f"/v1/trades?limit=50&bot_id={BOTS[7]}",
    }


def _print(name: str, per: dict[str, dict[str, float]]) -> None:
    cells = "  ".join(
        f"c={c[1:]:<2} {r['requests_per_s']:>7,.0f}/s p50 {r['p50_ms']:6.2f} p99 {r['p99_ms']:6.2f} ms"
        for c, r in per.items()
    )
    print(f"  {name:20} {cells}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--signals", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=3.0, help="per endpoint and concurrency")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--out", type=Path, default=ROOT / "bench/results/hub.json")
    args = ap.parse_args()
    if args.signals < 1_000:
        ap.error("--signals must be at least 1000")

    import asyncpg

    from hive_hub.db import upgrade
    from hive_tools import infra

    infra.up(["postgres"])
    url = infra.endpoints(infra.InfraSettings())["HIVE_DATABASE_URL"]
    schema = f"hub_bench_{uuid.uuid4().hex[:10]}"
    plain = url.replace("postgresql+asyncpg://", "postgresql://")

    async def sql(statement: str) -> None:
        conn = await asyncpg.connect(plain)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    result: dict[str, Any] = {"signals": args.signals, "seconds": args.seconds}
    endpoints = _endpoints(args.signals)
    try:
        upgrade(url, schema=schema)
        print(f"loading {args.signals:,} signals into schema {schema} …", flush=True)
        result["load"] = asyncio.run(_load(url, schema, args.signals))
        print(f"  loaded in {result['load']['load_s']} s: {result['load']['records']}", flush=True)
        env = {
            **os.environ,
            "HIVE_DATABASE_URL": url,
            "HIVE_DATABASE_SCHEMA": schema,
            "HIVE_HUB_ADMIN_KEY": KEY,
            "HIVE_HUB_PROJECTIONS": "false",
            "HIVE_LOG_LEVEL": "WARNING",
        }
        with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
            bodies: dict[str, Any] = {}
            hub: dict[str, dict[str, Any]] = {}
            print("hub (uvicorn, PostgreSQL):", flush=True)
            with _server(["hub"], env, Path(tmp) / "hub.log") as hub_url:
                with httpx.Client(
                    base_url=hub_url, headers={"Authorization": f"Bearer {KEY}"}
                ) as c:
                    for path in endpoints.values():
                        r = c.get(path)
                        r.raise_for_status()
                        bodies[path] = r.json()
                assert len(bodies[endpoints["signals"]]["items"]) == 50
                assert len(bodies[endpoints["bots"]]) == len(BOTS)
                for name, path in {"healthz (baseline)": "/healthz", **endpoints}.items():
                    hub[name] = {
                        f"c{c}": asyncio.run(_measure(hub_url, path, c, args.seconds))
                        for c in args.concurrency
                    }
                    _print(name, hub[name])
            payload = Path(tmp) / "bodies.json"
            payload.write_text(json.dumps(bodies))
            bare: dict[str, dict[str, Any]] = {}
            print("bare FastAPI app, same JSON, no database (baseline):", flush=True)
            with _server(["bare", str(payload)], env, Path(tmp) / "bare.log") as bare_url:
                for name, path in {"healthz": "/healthz", **endpoints}.items():
                    bare[name] = {
                        f"c{c}": asyncio.run(_measure(bare_url, path, c, args.seconds))
                        for c in args.concurrency
                    }
                    _print(name, bare[name])
        result["hub"] = hub
        result["bare_fastapi_same_json"] = bare
        result["response_bytes"] = {
            name: len(json.dumps(bodies[path])) for name, path in endpoints.items()
        }
    finally:
        asyncio.run(sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
