import itertools
import json
from pathlib import Path

import pytest

from hive.audit import GENESIS, AuditChain, event_hash, verify

from support.audit import card_swap_chain

pytestmark = pytest.mark.unit


def _chain(n: int = 5) -> list[dict]:
    return card_swap_chain(n)


def test_chain_links_and_matches_the_schema_example():
    events = _chain()
    assert events[0]["prev_hash"] == GENESIS and events[0]["event_id"] == "risk-gate:0"
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(events))
    assert verify(events) == []
    example = json.loads(Path("schemas/examples/audit_events.json").read_text())
    assert event_hash(example) == example["hash"]


def test_edit_delete_reorder_are_each_caught_where_they_happen():
    events = _chain()
    edited = [dict(e) for e in events]
    edited[2]["details"] = edited[2]["details"].replace("follow", "yolo")
    first = verify(edited)[0]
    assert (first.position, "edited" in first.problem) == (2, True)
    deleted = events[:2] + events[3:]
    assert verify(deleted)[0].position == 2
    reordered = [events[0], events[2], events[1], *events[3:]]
    assert verify(reordered)[0].position == 1


def test_redelivered_duplicate_is_not_a_problem_and_resume_continues():
    events = _chain(3)
    assert verify([*events[:2], events[1], events[2]]) == []
    chain = AuditChain("risk-gate")
    chain.resume_after(events[-1])
    nxt = chain.append(ts_event=1, actor="a", role="SYSTEM", action="X", scope_level="GLOBAL",
                       scope_id="global", details={})  # fmt: skip
    assert nxt["sequence"] == 3 and verify([*events, nxt]) == []
