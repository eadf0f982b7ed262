"""Shadow mode, breakers, governor silence, live venues with failover and limp mode,
idempotency, commands, the registry, and malformed input."""

from __future__ import annotations

from typing import Any

import pytest

from hive_executor import (
    BrokerAccount,
    BrokerAck,
    BrokerChange,
    BrokerError,
    BrokerOrder,
    BrokerPosition,
    Executor,
    ExecutorInputError,
)

from support.executor import (
    EXECUTIONS,
    SNAPSHOTS,
    T0,
    TRADES,
    H,
    Harness,
    allowed_for,
    bar,
    breaker,
    config,
    flat,
    intent,
    outputs_of,
    update,
)
from support.executor import bot as make_bot

pytestmark = pytest.mark.unit


def one_trade(h: Harness, **kw: Any) -> None:
    """A BUY filled at 1.1000 and stopped at 1.0980."""
    h.intent(sl=1.0980, tps=[1.1050], ts=T0, **kw)
    h.bars(bar(0, 1.1000, 1.1004, 1.0996, 1.1000), bar(1, 1.0995, 1.1000, 1.0975, 1.0985))


# ---------------------------------------------------------------- shadow


def test_a_shadow_mode_breaker_makes_orders_shadow_and_keeps_the_account_untouched() -> None:
    h = Harness(commission_per_lot=3.5)
    h.bot()
    h.breaker("BOT", "b1", "SHADOW_MODE")
    before = len(h.snapshots())
    one_trade(h)
    assert all(e["shadow"] and e["shadow_reason"] == "BREAKER" for e in h.executions())
    trade = h.trade()
    assert (trade["shadow"], trade["shadow_reason"], trade["pnl"]) == (True, "BREAKER", -207.0)
    assert len(h.snapshots()) == before  # shadow positions never touch the account


def test_a_shadow_intent_keeps_its_reason_and_passes_every_block() -> None:
    h = Harness()
    h.bot()
    h.breaker("GLOBAL", "global", "HALTED")
    h.engine.set_governor_alive(False)
    one_trade(h, shadow=True, shadow_reason="COUNTERFACTUAL")
    assert h.trade()["shadow_reason"] == "COUNTERFACTUAL"


def test_a_closed_breaker_lifts_shadow_mode() -> None:
    h = Harness()
    h.bot()
    h.breaker("BOT", "b1", "SHADOW_MODE", seq=1)
    h.breaker("BOT", "b1", "NONE", seq=2, state="CLOSED")
    h.breaker("BOT", "b1", "SHADOW_MODE", seq=1)  # an older transition, re-read: ignored
    one_trade(h)
    assert h.trade()["shadow"] is False


@pytest.mark.parametrize(
    ("level", "scope", "mode"),
    [("CELL", "c1", "SAFE_MODE"), ("GLOBAL", "global", "HALTED"), ("BOT", "b1", "HALTED")],
)
def test_safe_mode_and_halted_refuse_new_entries_but_exits_still_run(
    level: str, scope: str, mode: str
) -> None:
    h = Harness()
    h.bot()
    h.intent(sl=1.0980, ts=T0)
    h.bars(flat(0, 1.1000))
    h.breaker(level, scope, mode)
    refused = h.intent("o-2", signal_id="sig-2", sl=1.0980, ts=T0 + H)
    assert [(e["status"], e["reason"]) for e in outputs_of(refused, EXECUTIONS)] == [
        ("REJECTED", "breaker_no_new_positions")
    ]
    h.bars(bar(1, 1.0995, 1.1000, 1.0975, 1.0985))
    assert h.trade()["exit_reason"] == "STOP_LOSS"


def test_reduced_capacity_changes_nothing_here() -> None:
    h = Harness()
    h.bot()
    h.breaker("CELL", "c1", "REDUCED_CAPACITY")
    one_trade(h)
    assert h.trade()["quantity"] == 1.0


def test_a_silent_governor_refuses_new_entries_but_not_exits() -> None:
    h = Harness()
    h.bot()
    h.intent(sl=1.0980, ts=T0)
    h.bars(flat(0, 1.1000))
    h.engine.set_governor_alive(False)
    assert h.intent("o-2", signal_id="s2", sl=1.09, ts=T0 + H)[0].value["reason"] == (
        "governor_silent"
    )
    h.update("CLOSE_ALL", ts=T0 + H)
    h.bars(flat(1, 1.1000))
    assert h.statuses()[-1] == "CLOSED"


@pytest.mark.parametrize(("status", "reason"), [("PAUSED", "bot_paused"), ("LOCKED", "bot_locked")])
def test_paused_and_locked_bots_take_no_new_positions(status: str, reason: str) -> None:
    h = Harness()
    h.bot(status=status)
    assert h.intent(sl=1.09, ts=T0)[0].value["reason"] == reason


# ---------------------------------------------------------------- venues


class Venue:
    """A fake live adapter: fails when told to, records what it was asked."""

    def __init__(self, name: str, *, fails: bool) -> None:
        self._name, self.fails, self.calls = name, fails, 0

    @property
    def name(self) -> str:
        return self._name

    def _do(self) -> BrokerAck:
        self.calls += 1
        if self.fails:
            raise BrokerError("VENUE_TIMEOUT")
        return BrokerAck(venue=self._name, venue_order_id=f"{self._name}-{self.calls}")

    def place(self, order: BrokerOrder) -> BrokerAck:
        return self._do()

    def modify(self, change: BrokerChange) -> BrokerAck:
        return self._do()

    def cancel(self, order_id: str, bot_id: str) -> BrokerAck:
        return self._do()

    def positions(self, bot_id: str) -> list[BrokerPosition]:
        return []

    def account(self, bot_id: str) -> BrokerAccount | None:
        return None


def test_a_live_bot_without_an_adapter_trades_in_limp_mode_flagged() -> None:
    h = Harness()
    h.bot(mode="LIVE", venue="ftmo-mt5")
    one_trade(h, mode="LIVE")
    accepted = h.executions()[0]
    assert accepted["reason"] == "LIMP_MODE ftmo-mt5=NO_ADAPTER"
    assert all(e["limp"] and e["venue"] == "paper" and e["mode"] == "LIVE" for e in h.executions())
    assert h.trade()["limp"] is True
    assert h.last_snapshot()["mode"] == "LIVE"


def test_failover_primary_then_backup_then_limp() -> None:
    venues = {"primary": Venue("primary", fails=True), "backup": Venue("backup", fails=False)}
    engine = Executor(config(backup_venue="backup"), broker_factory=venues.get)
    h = Harness(engine)
    h.bot(mode="LIVE", venue="primary")
    h.intent(sl=1.0980, ts=T0)
    accepted = h.executions()[0]
    assert (accepted["venue"], accepted["venue_order_id"], accepted["limp"]) == (
        "primary",
        "backup-1",
        False,
    )
    venues["backup"].fails = True
    h.update("CLOSE_ALL", ts=T0)  # the close cannot reach any venue: simulated, flagged
    h.bars(flat(0, 1.1000))
    assert [e["limp"] for e in h.executions()] == [False, False, True]
    assert h.trade()["limp"] is True


def test_the_paper_broker_reports_positions_and_account() -> None:
    h = Harness()
    h.bot()
    h.intent(sl=1.0980, tps=[1.1050], ts=T0)
    h.bars(bar(0, 1.1000, 1.1012, 1.0996, 1.1010))
    (pos,) = h.engine.paper_positions("b1")
    assert (pos.order_id, pos.quantity, pos.avg_entry_price, pos.take_profits) == (
        "o-1",
        1.0,
        1.1000,
        (1.1050,),
    )
    account = h.engine.paper_account("b1")
    assert account is not None and account.equity == 100_100.0


# ---------------------------------------------------------------- idempotency


def test_a_duplicate_intent_produces_nothing() -> None:
    h = Harness()
    h.bot()
    record = intent(sl=1.0980, ts=T0)
    assert h.intent(record)
    assert h.intent(record) == []
    h.bars(flat(0, 1.1000))
    assert h.intent(record) == []
    h.command("FLATTEN")
    assert h.intent(record) == []  # after the position is closed, too
    assert h.statuses().count("FILLED") == 1


def test_an_unknown_bot_is_rejected_once() -> None:
    h = Harness()
    out = h.intent(sl=1.09, ts=T0)
    assert [(e["status"], e["reason"]) for e in outputs_of(out, EXECUTIONS)] == [
        ("REJECTED", "unknown_bot")
    ]
    assert h.intent(sl=1.09, ts=T0) == []


# ---------------------------------------------------------------- commands


def test_flatten_closes_at_the_last_close_stamped_with_that_bar_not_the_wall_clock() -> None:
    h = Harness(slippage_pips=0.1)
    h.bot()
    h.bot(bot_id="b2", cell="c2")
    h.intent("o-1", sl=1.0980, ts=T0)
    h.intent("o-2", bot_id="b2", cell="c2", signal_id="s2", sl=1.0980, ts=T0)
    h.intent("o-3", order_type="LIMIT", entry=1.0900, sl=1.0800, signal_id="s3", ts=T0)
    h.bars(bar(0, 1.1000, 1.1010, 1.0995, 1.1007))
    out = h.command("FLATTEN", scope_level="BOT", scope_id="b1")
    execs = outputs_of(out, EXECUTIONS)
    assert [(e["order_id"], e["status"], e["reason"]) for e in execs] == [
        ("o-1", "CLOSED", "COMMAND_FLATTEN"),
        ("o-3", "CANCELLED", "COMMAND_FLATTEN"),
    ]
    assert execs[0]["price"] == pytest.approx(1.10069)
    assert {e["ts_event"] for e in execs} == {T0 + H}
    assert {e["cause_event_id"] for e in execs} == {"cmd-1"}
    (trade,) = outputs_of(out, TRADES)
    assert trade["exit_reason"] == "FLATTEN"
    assert all(s["ts_event"] == T0 + H for s in outputs_of(out, SNAPSHOTS))
    assert h.command("FLATTEN", scope_level="BOT", scope_id="b1") == []  # same command_id
    assert h.statuses("o-2")[-1] == "FILLED"
    kill = h.command("KILL_SWITCH", command_id="cmd-2")
    assert [e["order_id"] for e in outputs_of(kill, EXECUTIONS)] == ["o-2"]


# ---------------------------------------------------------------- registry


def test_a_deleted_bot_keeps_managing_its_positions_then_disappears() -> None:
    h = Harness()
    h.bot()
    h.intent(sl=1.0980, ts=T0)
    h.bars(flat(0, 1.1000))
    h.engine.export_state()
    assert h.engine.on_bot(None, "b1") == []  # a tombstone
    assert h.intent("o-2", signal_id="s2", sl=1.09, ts=T0 + H)[0].value["reason"] == "bot_deleted"
    h.bars(bar(1, 1.0995, 1.1000, 1.0975, 1.0985))
    assert h.trade()["exit_reason"] == "STOP_LOSS"
    assert h.engine.export_state()["bot:b1"] == ""


# ---------------------------------------------------------------- malformed input


def _bad_intents() -> list[tuple[str, dict[str, Any]]]:
    base = intent(sl=1.0980, tps=[1.1050], ts=T0)
    cases: list[tuple[str, dict[str, Any]]] = [
        ("invalid_record", {k: v for k, v in base.items() if k != "order_id"}),
        ("unknown_symbol", {**base, "symbol": "NOPE"}),
        ("invalid_quantity", {**base, "quantity": 0.0}),
        ("invalid_quantity", {**base, "quantity": 0.001}),
        ("invalid_side", {**base, "side": "UNKNOWN"}),
        ("wrong_side_stop", {**base, "entry": 1.1000, "stop_loss": 1.1010}),
        ("wrong_side_tp", {**base, "entry": 1.1000, "take_profits": [1.0990]}),
        ("missing_entry", {**base, "order_type": "LIMIT"}),
        ("invalid_tp_fractions", {**base, "tp_fractions": [0.5]}),
        ("invalid_record", {**base, "ts_event": "yesterday"}),
    ]
    return cases


@pytest.mark.parametrize(("reason", "record"), _bad_intents())
def test_malformed_intents_raise_executor_input_error(reason: str, record: dict[str, Any]) -> None:
    engine = Executor(config())
    engine.on_bot(make_bot(), "b1")
    with pytest.raises(ExecutorInputError) as err:
        engine.on_intent(record)
    assert err.value.reason == reason


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        (lambda e: e.on_bar({**flat(0, 1.1), "symbol": "NOPE"}), "unknown_symbol"),
        (lambda e: e.on_bar(bar(0, 1.1, 1.0, 1.1, 1.1)), "invalid_record"),
        (lambda e: e.on_bar({**flat(0, 1.1), "open": None}), "invalid_record"),
        (lambda e: e.on_decision(allowed_for(update("MOVE_SL", ts=T0))), "invalid_price"),
        (
            lambda e: e.on_decision(allowed_for(update("CLOSE_PARTIAL", ts=T0, fraction=1.5))),
            "invalid_fraction",
        ),
        (
            lambda e: e.on_decision(allowed_for({**update("MOVE_SL", ts=T0), "action": "DANCE"})),
            "unknown_action",
        ),
        (
            lambda e: e.on_decision(
                {**allowed_for(update("CLOSE_ALL", ts=T0)), "modification": None}
            ),
            "invalid_record",
        ),
        (lambda e: e.on_bot({"bot_id": "x"}, "x"), "invalid_record"),
        (lambda e: e.on_command({"command_id": "c"}), "invalid_record"),
        (lambda e: e.on_breaker(breaker("PLANET", "x", "HALTED")), "invalid_record"),
        (lambda e: e.on_bot(None, None), "invalid_record"),
    ],
)
def test_malformed_records_raise_executor_input_error(call: Any, reason: str) -> None:
    with pytest.raises(ExecutorInputError) as err:
        call(Executor(config()))
    assert err.value.reason == reason


def test_a_bot_record_the_contract_refuses_is_an_input_error_naming_the_field() -> None:
    engine = Executor(config())
    with pytest.raises(ExecutorInputError) as err:
        engine.on_bot({**make_bot(), "risk_per_trade": 0.07}, "b1")
    assert err.value.reason == "invalid_record"
    assert "'b1'.risk_per_trade: must be at most 5" in err.value.message
    assert engine.on_bot(make_bot(), "b1") != []  # the valid record still opens the account


def test_bars_of_another_timeframe_are_ignored() -> None:
    h = Harness()
    h.bot()
    h.intent(sl=1.0980, ts=T0)
    assert h.bars(flat(0, 1.1000, timeframe="M15")) == []
    assert h.statuses() == ["ACCEPTED"]


def test_an_intent_older_than_the_dedupe_horizon_is_refused_as_input() -> None:
    h = Harness(dedupe_horizon_ms=2 * H)
    h.bot()
    h.bars(*(flat(i, 1.1) for i in range(5)))
    with pytest.raises(ExecutorInputError) as err:
        h.intent(sl=1.09, ts=T0)
    assert err.value.reason == "stale_intent"
