"""/v1/changes and /v1/rules on SQLite (no Kafka): the change guard's verdicts from audit.events
and the values in force from control.parameters, projected as the projector would, then read."""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hive_hub import models as m
from hive_hub.app import create_app
from hive_hub.auth import digest
from hive_hub.change_queries import change_view, rule_view
from hive_hub.db import make_engine
from hive_hub.outbox import MemoryOutbox
from hive_hub.projections.changes import change_row, parameter_key
from hive_hub.projections.mapping import Source, project
from hive_hub.projections.store import apply_batch
from hive_hub.settings import HubSettings

from support.changes import CUT_LONDON, HALVE_ASIA, SKIP_CHAOS, in_force, ts, year

pytestmark = pytest.mark.unit

KEYS = {"admin": "a" * 20, "viewer": "v" * 20}
VIEWER = {"Authorization": f"Bearer {KEYS['viewer']}"}


def _project(url: str, records: list[tuple[str, dict | None, Source]]) -> None:
    async def go():
        engine = make_engine(url)
        writes = [w for topic, r, src in records for w in project(r or {}, src)]
        await apply_batch(engine, writes)
        await engine.dispose()

    asyncio.run(go())


def _year_records() -> list[tuple[str, dict | None, Source]]:
    y = year()
    audit = [
        ("audit.events.v1", e, Source("audit.events.v1", offset=i))
        for i, e in enumerate(y["audit"])
    ]
    params = [
        ("control.parameters.v1", p, Source("control.parameters.v1", offset=i))
        for i, p in enumerate(y["parameters"])
    ]
    return audit + params


@pytest.fixture
def hub(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    settings = HubSettings(
        database_url=url,
        hub_api_keys={n: {"role": n, "sha256": digest(k)} for n, k in KEYS.items()},
    )
    with TestClient(create_app(settings, outbox=MemoryOutbox("hub-api"), projections=False)) as c:
        c.url = url
        _project(url, _year_records())
        yield c


def _rows(url: str, model) -> list[dict]:
    async def go():
        engine = make_engine(url)
        async with engine.connect() as c:
            rows = (await c.execute(select(model.__table__))).mappings().all()
        await engine.dispose()
        return [dict(r) for r in rows]

    return asyncio.run(go())


def test_changes_newest_first_with_verdicts_and_rollbacks(hub):
    assert hub.get("/v1/changes").status_code == 401
    page = hub.get("/v1/changes", headers=VIEWER).json()
    assert page["next"] is None
    got = [
        (c["change_id"], c["command_id"], c["action"], c["verdict"], c["scope_level"],
         c["scope_id"], c["name"], c["code"], c["actor"], c["rolled_back_by"])
        for c in page["items"]
    ]  # fmt: skip
    assert got == [
        ("r-5", "rb-7", "ROLLBACK_REFUSED", "REFUSED", "GLOBAL", "global", "rule.cut-london-eurusd", "already_rolled_back", "learner", None),
        ("r-5", "rb-6", "CHANGE_ROLLED_BACK", "ROLLED_BACK", "GLOBAL", "global", "rule.cut-london-eurusd", "rolled_back", "learner", None),
        ("r-5", "r-5", "CHANGE_APPLIED", "APPLIED", "GLOBAL", "global", "rule.cut-london-eurusd", "applied", "learner", "rb-6"),
        ("c-4", "c-4", "CONSTITUTION_CHANGE_REFUSED", "REFUSED", "BOT", "b1", "max_drawdown", "constitution", "alice", None),
        ("c-3", "c-3", "CHANGE_APPLIED", "APPLIED", "BOT", "b1", "risk_per_trade", "applied", "alice", None),
        ("r-2", "r-2", "CHANGE_REFUSED", "REFUSED", "GLOBAL", "global", "rule.halve-asia-gold", "max_active_rules", "learner", None),
        ("r-1", "r-1", "CHANGE_APPLIED", "APPLIED", "GLOBAL", "global", "rule.skip-chaos-fxvip", "applied", "learner", None),
    ]  # fmt: skip
    risk = page["items"][4]
    assert (risk["old_value"], risk["new_value"], risk["ts_event"], risk["kind"]) == (
        "0.01", "0.005", ts("2017-03-01"), "PARAMETER",
    )  # fmt: skip
    assert page["items"][2]["rolled_back_at"] == ts("2017-04-20")
    assert page["items"][3]["message"] == (
        "max_drawdown is part of the constitution and cannot be changed at run time"
    )


def test_changes_filter_and_page(hub):
    def ids(**params):
        return [
            c["command_id"]
            for c in hub.get("/v1/changes", headers=VIEWER, params=params).json()["items"]
        ]

    assert ids(actor="alice") == ["c-4", "c-3"]
    assert ids(scope_level="BOT", scope_id="b1", name="risk_per_trade") == ["c-3"]
    assert ids(action="CHANGE_APPLIED") == ["r-5", "c-3", "r-1"]
    assert ids(kind="PARAMETER") == ["c-4", "c-3"]
    assert ids(actor="nobody") == []
    first = hub.get("/v1/changes", headers=VIEWER, params={"limit": 3}).json()
    assert [c["command_id"] for c in first["items"]] == ["rb-7", "rb-6", "r-5"]
    assert first["next"] == f"{ts('2017-04-01')}~governor:5"
    rest = hub.get("/v1/changes", headers=VIEWER, params={"limit": 10, "cursor": first["next"]})
    assert [c["command_id"] for c in rest.json()["items"]] == ["c-4", "c-3", "r-2", "r-1"]
    assert rest.json()["next"] is None
    for cursor in ("nope", "99999999999999999999~governor:5"):
        bad = hub.get("/v1/changes", headers=VIEWER, params={"cursor": cursor})
        assert bad.status_code == 422, cursor
    # The same cursors page /v1/signals: a time past a BIGINT is a bad cursor there too.
    huge = hub.get("/v1/signals", headers=VIEWER, params={"cursor": "99999999999999999999~s"})
    assert huge.status_code == 422
    assert hub.get("/v1/changes", headers=VIEWER, params={"action": "HALT"}).status_code == 422


def test_rules_with_status_deployment_and_rollback(hub):
    assert hub.get("/v1/rules").status_code == 401
    rules = hub.get("/v1/rules", headers=VIEWER).json()
    got = [
        (r["rule_id"], r["status"], r["action"], r["when"], r["evidence"], r["proposed_by"],
         r["deployed_at"], r["rolled_back_at"], r["rolled_back_by"], r["rollback_id"],
         r["in_force"], r["code"])
        for r in rules
    ]  # fmt: skip
    assert got == [
        ("cut-london-eurusd", "rolled_back", "skip", CUT_LONDON["when"], CUT_LONDON["evidence"], "learner",
         ts("2017-04-01"), ts("2017-04-20"), "learner", "rb-6", False, "applied"),
        ("halve-asia-gold", "refused", "risk_scale", HALVE_ASIA["when"], HALVE_ASIA["evidence"],
         "learner", None, None, None, None, False, "max_active_rules"),
        ("skip-chaos-fxvip", "active", "skip", SKIP_CHAOS["when"], SKIP_CHAOS["evidence"],
         "learner", ts("2017-02-01"), None, None, None, True, "applied"),
    ]  # fmt: skip
    assert rules[2]["rule"] == SKIP_CHAOS and rules[0]["rollback_reason"] == "stopped paying"

    def ids(**params):
        return [r["rule_id"] for r in hub.get("/v1/rules", headers=VIEWER, params=params).json()]

    assert ids(status="active") == ["skip-chaos-fxvip"]
    assert ids(status="rolled_back") == ["cut-london-eurusd"]
    assert ids(status="refused") == ["halve-asia-gold"]
    assert ids(rule_id="halve-asia-gold") == ["halve-asia-gold"]
    assert ids(limit=1) == ["cut-london-eurusd"]
    assert hub.get("/v1/rules", headers=VIEWER, params={"status": "gone"}).status_code == 422


def test_the_openapi_schema_lists_both_endpoints(hub):
    assert hub.get("/v1/openapi.json").status_code == 401  # the schema needs a key too
    spec = hub.get("/v1/openapi.json", headers=VIEWER).json()
    assert {"/v1/changes", "/v1/rules"} <= set(spec["paths"])
    params = {p["name"] for p in spec["paths"]["/v1/changes"]["get"]["parameters"]}
    assert {
        "scope_level",
        "scope_id",
        "name",
        "actor",
        "action",
        "kind",
        "cursor",
        "limit",
    } <= params


def test_parameters_in_force_latest_wins_history_kept_tombstone_removes(hub):
    rows = {r["name"]: r for r in _rows(hub.url, m.ParameterRow)}
    assert sorted(rows) == ["risk_per_trade", "rule.cut-london-eurusd", "rule.skip-chaos-fxvip"]
    london = rows["rule.cut-london-eurusd"]
    assert (london["value"], london["event_id"], london["change_id"]) == (None, "rb-6", None)
    assert json.loads(rows["rule.skip-chaos-fxvip"]["value"]) == SKIP_CHAOS
    assert len(_rows(hub.url, m.ParameterHistoryRow)) == 4
    # An older record arriving late changes nothing; replaying everything changes nothing.
    late = in_force(ts("2017-04-01"), "r-5", "rule.cut-london-eurusd", "{}", change_id="r-5")
    _project(hub.url, [("control.parameters.v1", late, Source("control.parameters.v1"))])
    _project(hub.url, _year_records())
    again = {r["name"]: r for r in _rows(hub.url, m.ParameterRow)}
    assert again == rows and len(_rows(hub.url, m.ChangeRow)) == 7
    gone = Source("control.parameters.v1", key="BOT:b1:risk_per_trade", tombstone=True)
    _project(hub.url, [("control.parameters.v1", None, gone)])
    assert sorted(r["name"] for r in _rows(hub.url, m.ParameterRow)) == [
        "rule.cut-london-eurusd",
        "rule.skip-chaos-fxvip",
    ]


def test_row_builders_are_plain_functions():
    y = year()
    assert change_row({"action": "BREAKER_OPENED"}) is None
    row = change_row(y["audit"][2])
    assert row is not None and (row["old_value"], row["new_value"], row["kind"]) == (
        "0.01", "0.005", "PARAMETER",
    )  # fmt: skip
    assert parameter_key("BOT:b1:risk_per_trade") == {
        "scope_level": "BOT", "scope_id": "b1", "name": "risk_per_trade",
    }  # fmt: skip
    assert parameter_key("CELL:c:1:rule.x") == {
        "scope_level": "CELL", "scope_id": "c:1", "name": "rule.x",
    }  # fmt: skip
    assert parameter_key("nonsense") is None and parameter_key("BOT::x") is None
    applied = change_row(y["audit"][4])
    undone = change_row(y["audit"][5])
    assert applied is not None and undone is not None
    assert change_view(applied, undone)["rolled_back_by"] == "rb-6"
    view = rule_view(applied, None, in_force={"r-5"})
    assert (view["status"], view["in_force"], view["rule_id"]) == (
        "active",
        True,
        "cut-london-eurusd",
    )
    garbled = rule_view({**applied, "new_value": "not json"}, None)
    assert (garbled["rule"], garbled["when"], garbled["value"]) == (None, None, "not json")
