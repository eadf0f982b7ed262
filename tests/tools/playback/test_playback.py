"""The replay driver's own logic, without Kafka: order of the timeline, where it waits, inputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hive.intake import IntakeError
from hive_tools.playback import driver as driver_mod
from hive_tools.playback.chaos import Disturber
from hive_tools.playback.driver import Playback, Progress
from hive_tools.playback.inputs import ChannelSpec, parse_channel_spec, read_channel, read_channels
from hive_tools.playback.timeline import merge

pytestmark = pytest.mark.unit

H = 3_600_000


def _bar(ts: int) -> dict[str, Any]:
    return {"ts_event": ts, "symbol": "EURUSD"}


def _msg(ts: int, mid: str, source: str = "s") -> dict[str, Any]:
    return {"ts_event": ts, "source": source, "message_id": mid}


def test_bars_close_before_messages_of_the_same_millisecond_and_messages_keep_file_order():
    items = merge([_bar(2 * H), _bar(H)], [_msg(2 * H, "b"), _msg(H + 5, "a"), _msg(2 * H, "c")])
    got = [(i.kind, i.ts, i.value.get("message_id")) for i in items]
    assert got == [
        ("bar", H, None),
        ("message", H + 5, "a"),
        ("bar", 2 * H, None),
        ("message", 2 * H, "b"),
        ("message", 2 * H, "c"),
    ]
    assert {i.topic for i in items} == {"market.bars.v1", "signals.raw.v1"}
    assert [i.key for i in items if i.kind == "message"] == ["s", "s", "s"]


class _Recorder(Playback):
    """The driver with Kafka cut out: records what it sends and where it waits."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.quiet = object()  # type: ignore[assignment]  # lockstep on
        self.speed = 0.0
        self.on_progress = None
        self.decision_groups = ["path"]

    def _send(self, item: Any) -> None:
        self.calls.append(f"send {item.kind}")

    def settle(self, progress: Progress, groups: Any = None) -> None:
        self.calls.append("wait path" if groups else "wait all")


def test_lockstep_waits_around_messages_and_lets_bars_flow():
    items = merge(
        [_bar(H), _bar(3 * H), _bar(4 * H), _bar(6 * H)],
        [_msg(2 * H, "1"), _msg(5 * H, "2"), _msg(5 * H + 1, "3")],
    )
    rec = _Recorder()
    progress = rec.run(items)
    assert rec.calls == [
        "send bar",
        "wait all",  # the bar is handled before the message that may depend on it
        "send message",
        "wait path",  # message 1 reaches its orders before the next bar
        "send bar",
        "send bar",  # bars between messages are not waited for one by one
        "wait all",
        "send message",
        "wait all",  # another message follows: the governor and learner must be done too
        "send message",
        "wait path",
        "send bar",
        "wait all",  # the end: everything handled
    ]
    assert (progress.bars, progress.messages) == (4, 3)
    assert (progress.bars_total, progress.messages_total) == (4, 3)


def test_a_stop_request_ends_the_replay_early():
    import threading

    stop = threading.Event()
    rec = _Recorder()
    rec.on_progress = lambda p: stop.set() if p.messages == 2 else None
    progress = rec.run(merge([], [_msg(i * H, str(i)) for i in range(1, 6)]), stop)
    assert progress.messages == 2


def test_negative_speed_is_refused(monkeypatch):
    monkeypatch.setattr(driver_mod, "Producer", lambda conf: None)
    with pytest.raises(ValueError, match="speed"):
        Playback("127.0.0.1:1", None, None, speed=-1)  # type: ignore[arg-type]


def test_channel_specs():
    assert parse_channel_spec("a/b.jsonl") == ChannelSpec(Path("a/b.jsonl"), None)
    assert parse_channel_spec("gold-vip=x.json") == ChannelSpec(Path("x.json"), "gold-vip")
    with pytest.raises(IntakeError, match="source must be"):
        parse_channel_spec("bad source=x.txt")


def test_channel_files_are_read_by_suffix(tmp_path):
    jl = tmp_path / "fx.jsonl"
    jl.write_text(json.dumps({"message_id": "1", "text": "EURUSD BUY", "posted_at": 1000}) + "\n")
    tg = tmp_path / "result.json"
    tg.write_text(json.dumps({"name": "Gold VIP!", "messages": [
        {"id": 7, "type": "message", "date": "2017-01-02T10:00:00", "date_unixtime": "1483351200",
         "text": "XAUUSD SELL"}]}))  # fmt: skip
    txt = tmp_path / "chan.txt"
    txt.write_text("@ 2017-01-02T10:00:00Z id=3\nEURUSD SELL\n")
    assert read_channel(ChannelSpec(jl, None))[0]["source"] == "fx"
    assert read_channel(ChannelSpec(tg, None))[0]["source"] == "gold-vip"
    assert read_channel(ChannelSpec(txt, "mine"))[0]["source"] == "mine"
    with pytest.raises(IntakeError, match="no such file"):
        read_channel(ChannelSpec(tmp_path / "missing.jsonl", None))
    with pytest.raises(IntakeError, match="also read from"):
        read_channels([ChannelSpec(jl, None), ChannelSpec(txt, "fx")])


class _FakeSupervisor:
    def pids(self) -> dict[str, int]:
        return {"parser": 11, "gate": 22}


class _FakeSession:
    supervisor = _FakeSupervisor()


def test_disturber_kills_in_turn_and_restarts_kafka_once(monkeypatch):
    killed: list[int] = []
    monkeypatch.setattr("hive_tools.playback.chaos.os.kill", lambda pid, sig: killed.append(pid))
    restarts: list[int] = []
    d = Disturber(
        _FakeSession(),  # type: ignore[arg-type]
        ["parser", "gate", "ghost"],
        10,
        restart_kafka=lambda: restarts.append(1),
        kafka_at_bar=15,
    )
    for bars in range(0, 40):
        d(Progress(bars=bars))
    assert killed == [11, 22]
    assert restarts == [1]
    assert [e.split(":")[1].strip() for e in d.events] == [
        "SIGKILL parser (pid 11)",
        "Kafka broker stopped and started again (0 s)",
        "SIGKILL gate (pid 22)",
        "ghost was not running",
    ]
