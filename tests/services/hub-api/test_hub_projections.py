"""Projection mapping and the upsert store on SQLite: replays change nothing, older records
never overwrite newer state, and a signal's three stages merge."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from hive_hub import models as m
from hive_hub.db import make_engine, upgrade
from hive_hub.projections.mapping import ProjectionError, Source, coalesce, project
from hive_hub.projections.store import KEYS, apply_batch

pytestmark = pytest.mark.unit

EX = {p.stem: json.loads(p.read_text()) for p in (Path(__file__).resolve().parents[3] / "schemas/examples").glob("*.json")}  # fmt: skip


def _writes(topic: str, value: dict, offset: int = 0) -> list:
    return project(value, Source(topic=topic, offset=offset))


@pytest.fixture
def engine(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    upgrade(url)
    eng = make_engine(url)
    yield eng
    asyncio.run(eng.dispose())


def _run(engine, writes):
    async def go():
        await apply_batch(engine, writes)
        await engine.dispose()  # each asyncio.run has its own loop

    asyncio.run(go())


def _rows(engine, model):
    async def go():
        async with engine.connect() as c:
            rows = (await c.execute(select(model.__table__))).mappings().all()
        await engine.dispose()
        return [dict(r) for r in rows]

    return asyncio.run(go())


def test_replayed_records_change_nothing(engine):
    recs = [
        ("registry.bots.v1", EX["registry_bots"]),
        ("accounts.snapshots.v1", EX["accounts_snapshots"]),
        ("trades.closed.v1", EX["trades_closed"]),
        ("orders.decisions.v1", EX["orders_decisions"]),
        ("signals.scored.v1", EX["signals_scored"]),
        ("control.commands.v1", EX["control_commands"]),
        ("audit.events.v1", EX["audit_events"]),
    ]
    writes = [w for t, v in recs for w in _writes(t, v)]
    _run(engine, writes)
    first = {mod: _rows(engine, mod) for mod in (m.BotRow, m.AccountRow, m.SnapshotRow, m.TradeRow, m.DecisionRow, m.SignalRow, m.CommandRow, m.AuditRow)}  # fmt: skip
    _run(engine, writes)
    _run(engine, writes + writes)
    again = {mod: _rows(engine, mod) for mod in first}
    assert again == first
    assert all(len(rows) == 1 for rows in first.values())


def test_latest_wins_by_counter_not_by_arrival(engine):
    v3 = EX["registry_bots"]
    v2 = {**v3, "config_version": 2, "event_id": "ftmo-eurusd-01:2", "status": "PAUSED"}
    _run(engine, _writes("registry.bots.v1", v3))
    _run(engine, _writes("registry.bots.v1", v2))  # an older definition arriving late
    [bot] = _rows(engine, m.BotRow)
    assert bot["config_version"] == 3 and bot["status"] == "ACTIVE"

    snap = EX["accounts_snapshots"]
    older = {**snap, "event_id": "x:1", "sequence": 1, "equity": 1.0}
    _run(engine, _writes("accounts.snapshots.v1", snap) + _writes("accounts.snapshots.v1", older))
    [acct] = _rows(engine, m.AccountRow)
    assert acct["sequence"] == 5127 and acct["equity"] == 102183.7
    assert len(_rows(engine, m.SnapshotRow)) == 2  # both are in the series


def test_signal_stages_merge_in_any_order(engine):
    scored, enriched, parsed = EX["signals_scored"], EX["signals_enriched"], EX["signals_parsed"]
    _run(engine, _writes("signals.scored.v1", scored))
    _run(engine, _writes("signals.enriched.v1", enriched))
    _run(engine, _writes("signals.parsed.v1", parsed))
    [row] = _rows(engine, m.SignalRow)
    assert row["regime"] == "TREND" and row["market"]["sl_atr"] == 3.683 and row["revision"] == 0
    edit = copy.deepcopy(parsed)
    edit.update(revision=1, event_id="fx-vip:18423:0:r1", stop_loss=1.118)
    _run(engine, _writes("signals.parsed.v1", edit) + _writes("signals.parsed.v1", parsed))
    [row] = _rows(engine, m.SignalRow)
    assert row["revision"] == 1 and row["stop_loss"] == 1.118 and row["regime"] == "TREND"


def test_tombstone_removes_a_bot_and_audit_outcomes_are_linked(engine):
    _run(engine, _writes("registry.bots.v1", EX["registry_bots"]))
    _run(engine, project({}, Source("registry.bots.v1", key="ftmo-eurusd-01", tombstone=True)))
    assert _rows(engine, m.BotRow) == []
    applied = {**EX["audit_events"], "action": "COMMAND_APPLIED",
               "details": json.dumps({"command": "HALT", "command_id": "c-1"})}  # fmt: skip
    _run(engine, _writes("audit.events.v1", applied, offset=7))
    [out] = _rows(engine, m.CommandOutcomeRow)
    assert out["command_id"] == "c-1" and out["outcome"] == "APPLIED"


def test_an_edited_copy_of_an_audit_event_is_kept_for_verification(engine):
    ev = EX["audit_events"]
    edited = {**ev, "details": "{}"}
    _run(
        engine,
        _writes("audit.events.v1", ev, offset=1) + _writes("audit.events.v1", edited, offset=2),
    )
    assert len(_rows(engine, m.AuditRow)) == 2


def test_bad_records_raise_projection_error_and_coalesce_keeps_the_newest():
    with pytest.raises(ProjectionError, match=r"registry\.bots\.v1"):
        project({"bot_id": "x"}, Source("registry.bots.v1"))
    assert project({"a": 1}, Source("market.bars.v1")) == []
    snap = EX["accounts_snapshots"]
    a = _writes("accounts.snapshots.v1", {**snap, "sequence": 9, "event_id": "e9"})
    b = _writes("accounts.snapshots.v1", {**snap, "sequence": 3, "event_id": "e3"})
    out = coalesce(a + b, KEYS)
    latest = [w for w in out if w.table == "accounts"]
    assert len(latest) == 1 and latest[0].values["sequence"] == 9
    assert len([w for w in out if w.table == "account_snapshots"]) == 2
