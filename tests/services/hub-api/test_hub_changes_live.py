"""/v1/changes and /v1/rules on the real servers: the change guard's audit events and the
control.parameters records published to Kafka reach the hub's PostgreSQL read models.

The records are this test's own: a chain named by the hub's tag and a bot scope of that tag, so
no governor or risk gate of another test reads them as its own."""

from __future__ import annotations

import json

import pytest

from hive_tools.publish import publish_records

from support.changes import chained, in_force, proposal, rollback, rule, ts
from support.hub import fresh_database, running_hub

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def hub(hive_topics, tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("hub-changes")
    with (
        fresh_database(hive_topics, "hub_changes") as db,
        running_hub(hive_topics, db, log_dir) as h,
    ):
        yield h


def test_changes_and_rules_are_projected_from_kafka(hub, hive_topics):
    tag = hub.tag
    scope = ("BOT", f"{tag}-bot")
    r = rule(f"{tag}-skip", source=f"{tag}-src", regime="CHAOS")
    value = json.dumps(r, sort_keys=True)
    deploy = proposal(
        1, ts("2017-02-01"), f"{tag}-r1", f"rule.{tag}-skip", value, applied=True, scope=scope
    )
    refused = proposal(
        2, ts("2017-02-02"), f"{tag}-c2", "risk_per_trade", "0.5", applied=False,
        code="outside_constitution", scope=scope, actor="alice", role="ADMIN",
    )  # fmt: skip
    undo = rollback(3, ts("2017-03-01"), f"{tag}-rb3", deploy)
    events = chained([deploy, refused, undo], f"{tag}-governor")
    params = [
        in_force(ts("2017-02-01"), f"{tag}-r1", f"rule.{tag}-skip", value,
                 change_id=f"{tag}-r1", scope=scope),
        in_force(ts("2017-03-01"), f"{tag}-rb3", f"rule.{tag}-skip", None, change_id=None,
                 scope=scope, previous=value),
    ]  # fmt: skip
    bootstrap, registry = (
        hive_topics["HIVE_KAFKA_BOOTSTRAP"],
        hive_topics["HIVE_SCHEMA_REGISTRY_URL"],
    )
    publish_records(events, "audit.events.v1", lambda e: e["chain_id"], bootstrap, registry)
    key = lambda p: f"{p['scope_level']}:{p['scope_id']}:{p['name']}"  # noqa: E731
    publish_records(params, "control.parameters.v1", key, bootstrap, registry)

    page = hub.wait_for(
        f"/v1/changes?scope_id={scope[1]}", lambda p: len(p["items"]) == 3, timeout_s=60
    )
    assert [(c["command_id"], c["verdict"], c["rolled_back_by"]) for c in page["items"]] == [
        (f"{tag}-rb3", "ROLLED_BACK", None),
        (f"{tag}-c2", "REFUSED", None),
        (f"{tag}-r1", "APPLIED", f"{tag}-rb3"),
    ]
    rules = hub.wait_for(f"/v1/rules?rule_id={tag}-skip", lambda rs: len(rs) == 1)
    (got,) = rules
    assert (got["status"], got["when"], got["evidence"], got["rolled_back_at"]) == (
        "rolled_back", r["when"], r["evidence"], ts("2017-03-01"),
    )  # fmt: skip
    assert got["in_force"] is False
    with hub.client("viewer") as c:
        verified = c.get("/v1/audit/verify", params={"chain_id": f"{tag}-governor"}).json()
    assert verified["ok"] and verified["chains"][0]["events"] == 3
