"""The loop's start-up order without Kafka: a service's state store is read before the tables
and the replay of consumed inputs, or after them when it says `after_replay`; `after_restore`
comes last, and only then does the loop subscribe.

Kafka clients, the health server and the three readers are replaced by fakes that log calls."""

from __future__ import annotations

from typing import Any

import pytest

from hive.config import ServiceSettings
from hive.runtime import InboundRecord, OutboundRecord
from hive.runtime import loop as loop_module
from hive.runtime.loop import ServiceLoop
from hive.runtime.state_store import StateStore

pytestmark = pytest.mark.unit


class _Client:
    """Consumer, producer and health server in one: every call is logged, none does I/O."""

    def __init__(self, calls: list[str], name: str) -> None:
        self.calls, self.name = calls, name
        self.loop: ServiceLoop | None = None

    def subscribe(self, topics: list[str], on_assign: Any = None, on_lost: Any = None) -> None:
        self.calls.append(f"subscribe {','.join(topics)}")
        assert self.loop is not None
        self.loop.stop()  # the loop ends before its first poll

    def flush(self, _timeout: float) -> int:
        return 0

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def _handler(_rec: InboundRecord) -> list[OutboundRecord]:
    return []


def _start(monkeypatch: pytest.MonkeyPatch, store: StateStore | None) -> list[str]:
    """Run a loop with tables, handler-state replay and an after_restore hook; the call log."""
    calls: list[str] = []
    consumer = _Client(calls, "consumer")
    monkeypatch.setattr(loop_module, "Consumer", lambda _conf: consumer)
    monkeypatch.setattr(loop_module, "Producer", lambda _conf: _Client(calls, "producer"))
    monkeypatch.setattr(loop_module, "HealthServer", lambda *a, **k: _Client(calls, "health"))

    def restore_store(_bootstrap: str, s: StateStore, _codecs: object) -> int:
        calls.append(f"store {','.join(s.topics)}")
        s.restored()
        return 0

    def load_tables(_bootstrap: str, tables: list[str], *_: object) -> dict[Any, int]:
        calls.append(f"tables {','.join(tables)}")
        return {}

    def replay(_bootstrap: str, _group: str, topics: list[str], *_: object) -> None:
        calls.append(f"replay {','.join(topics)}")

    monkeypatch.setattr(loop_module, "restore_state_store", restore_store)
    monkeypatch.setattr(loop_module, "load_tables", load_tables)
    monkeypatch.setattr(loop_module, "restore_handler_state", replay)
    loop = ServiceLoop(
        ServiceSettings(service_name="order-test"),
        ["t.table", "t.events"],
        _handler,
        codecs=None,  # type: ignore[arg-type]  # only the faked readers would use it
        restore_state=True,
        after_restore=lambda: calls.append("after_restore"),
        tables=["t.table"],
        state_store=store,
    )
    consumer.loop = loop
    loop.run()
    return calls


def test_a_state_store_is_read_before_the_tables_and_the_replay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = StateStore(topics=("t.state",), keep=lambda _r: None)
    assert _start(monkeypatch, store) == [
        "store t.state",
        "tables t.table",
        "replay t.events",
        "after_restore",
        "subscribe t.table,t.events",
    ]


def test_an_after_replay_store_is_read_after_them_and_before_after_restore(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    done: list[str] = []
    store = StateStore(
        topics=("t.audit",),
        keep=lambda _r: None,
        restored=lambda: done.append("restored"),
        after_replay=True,
    )
    assert _start(monkeypatch, store) == [
        "tables t.table",
        "replay t.events",
        "store t.audit",
        "after_restore",
        "subscribe t.table,t.events",
    ]
    assert done == ["restored"]


def test_without_a_store_only_the_tables_and_the_replay_are_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _start(monkeypatch, None) == [
        "tables t.table",
        "replay t.events",
        "after_restore",
        "subscribe t.table,t.events",
    ]
