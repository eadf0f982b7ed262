"""The shared typed reader: schema defaults, type and enum checks, errors naming topic and field."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from hive.contracts.readers import (
    EMPTY_STRING,
    MISSING_FIELD,
    NOT_A_RECORD,
    NOT_FINITE,
    UNKNOWN_SYMBOL,
    WRONG_TYPE,
    ContractMismatchError,
    RecordError,
    enum_symbols,
    read,
)
from hive.topics import (
    CONTROL_COMMANDS,
    ORDERS_DECISIONS,
    ORDERS_INTENTS,
    SIGNALS_SCORED,
)

pytestmark = pytest.mark.unit

EXAMPLES = Path(__file__).resolve().parents[3] / "schemas" / "examples"


def example(stem: str, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((EXAMPLES / f"{stem}.json").read_text(encoding="utf-8"))
    record.update(fields)
    return record


def without(record: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in names}


def error_of(call: Any) -> RecordError:
    with pytest.raises(RecordError) as err:
        call()
    return err.value


# ---------------------------------------------------------------- values and defaults


def test_fields_read_typed_by_name() -> None:
    r = read(ORDERS_INTENTS, example("orders_intents", quantity=2, take_profits=[1, 1.5]))
    assert r.nonempty("order_id") == example("orders_intents")["order_id"]
    assert r.number("quantity") == 2.0 and isinstance(r.number("quantity"), float)
    assert r.numbers("take_profits") == (1.0, 1.5)
    assert r.integer("ts_event") == example("orders_intents")["ts_event"]
    assert r.symbol("side") == "BUY"


def test_a_missing_field_takes_the_schemas_default() -> None:
    absent = ("take_profits", "venue", "shadow", "mode", "entry", "shadow_reason", "expires_at")
    r = read(ORDERS_INTENTS, without(example("orders_intents"), *absent))
    assert r.numbers("take_profits") == ()
    assert r.string("venue") == "paper"
    assert r.flag("shadow") is False
    assert r.symbol("mode") == "PAPER"
    assert r.symbol("shadow_reason") == "NONE"
    assert r.opt_number("entry") is None
    assert r.opt_integer("expires_at") is None


def test_defaults_are_copies_the_caller_may_change() -> None:
    r = read(CONTROL_COMMANDS, without(example("control_commands"), "parameters"))
    first = r.string_map("parameters")
    first["x"] = "y"
    assert r.string_map("parameters") == {}


def test_defaults_of_a_nested_record() -> None:
    scored = example("signals_scored")
    scored["signal"] = without(scored["signal"], "revision", "order_type", "take_profits")
    sig = read(SIGNALS_SCORED, scored).record_of("signal")
    assert (sig.integer("revision"), sig.symbol("order_type")) == (0, "MARKET")
    assert sig.numbers("take_profits") == ()


# ---------------------------------------------------------------- errors


def test_a_missing_field_without_a_default_names_topic_and_field() -> None:
    r = read(ORDERS_INTENTS, without(example("orders_intents"), "order_id"))
    err = error_of(lambda: r.nonempty("order_id"))
    assert (err.reason, err.topic, err.path) == (MISSING_FIELD, "orders.intents.v1", "order_id")
    assert str(err) == err.message == "orders.intents.v1: order_id is missing"


@pytest.mark.parametrize(
    ("field", "value", "read_as", "message"),
    [
        ("quantity", "1", "number", "quantity must be a number"),
        ("quantity", True, "number", "quantity must be a number"),
        ("ts_event", "yesterday", "integer", "ts_event must be an integer (epoch ms)"),
        ("ts_event", 1.5, "integer", "ts_event must be an integer (epoch ms)"),
        ("signal_revision", True, "integer", "signal_revision must be an integer"),
        ("signal_revision", 2**31, "integer", "signal_revision must be an integer"),
        ("order_id", 7, "string", "order_id must be a string"),
        ("shadow", "no", "flag", "shadow must be true or false"),
        ("entry", "1.1", "opt_number", "entry must be a number or null"),
        ("expires_at", "soon", "opt_integer", "expires_at must be an integer (epoch ms) or null"),
        ("take_profits", "1.1", "numbers", "take_profits must be a list of numbers"),
        ("take_profits", [1.1, None], "numbers", "take_profits must be a list of numbers"),
        ("take_profits", None, "numbers", "take_profits must be a list of numbers"),
    ],
)
def test_a_value_of_the_wrong_type(field: str, value: Any, read_as: str, message: str) -> None:
    r = read(ORDERS_INTENTS, example("orders_intents", **{field: value}))
    err = error_of(lambda: getattr(r, read_as)(field))
    assert (err.reason, err.path, err.message) == (
        WRONG_TYPE,
        field,
        f"orders.intents.v1: {message}",
    )


def test_an_unknown_enum_symbol_lists_the_schemas_symbols() -> None:
    r = read(ORDERS_INTENTS, example("orders_intents", side="UP", order_type="UNKNOWN"))
    err = error_of(lambda: r.symbol("side"))
    assert (err.reason, err.path) == (UNKNOWN_SYMBOL, "side")
    assert err.message == "orders.intents.v1: side must be one of UNKNOWN, BUY, SELL, got 'UP'"
    assert r.symbol("order_type") == "UNKNOWN"  # the enum's default is a symbol like any other
    err = error_of(lambda: r.symbol("order_type", known=True))
    assert err.message == (
        "orders.intents.v1: order_type must be one of MARKET, LIMIT, STOP, got 'UNKNOWN'"
    )
    assert error_of(lambda: read(ORDERS_INTENTS, {"side": 1}).symbol("side")).reason == (
        UNKNOWN_SYMBOL
    )


def test_numbers_are_finite_unless_asked_otherwise() -> None:
    r = read(ORDERS_INTENTS, example("orders_intents", quantity=math.inf, entry=math.nan))
    err = error_of(lambda: r.number("quantity"))
    assert (err.reason, err.message) == (
        NOT_FINITE,
        "orders.intents.v1: quantity must be a finite number",
    )
    assert error_of(lambda: r.opt_number("entry")).reason == NOT_FINITE
    assert r.number("quantity", finite=False) == math.inf
    assert math.isnan(r.opt_number("entry", finite=False) or 0.0)
    tps = read(ORDERS_INTENTS, example("orders_intents", take_profits=[1.0, math.nan]))
    assert error_of(lambda: tps.numbers("take_profits")).reason == NOT_FINITE
    assert tps.numbers("take_profits", finite=False)[0] == 1.0


def test_nonempty_refuses_an_empty_string() -> None:
    r = read(ORDERS_INTENTS, example("orders_intents", bot_id=""))
    assert r.string("bot_id") == ""
    err = error_of(lambda: r.nonempty("bot_id"))
    assert (err.reason, err.message) == (
        EMPTY_STRING,
        "orders.intents.v1: bot_id must be a non-empty string",
    )


def test_a_value_that_is_not_a_record() -> None:
    err = error_of(lambda: read(ORDERS_INTENTS, ["not", "a", "record"]))
    assert (err.reason, err.path, err.message) == (
        NOT_A_RECORD,
        "",
        "orders.intents.v1: a record (mapping) expected",
    )
    assert error_of(lambda: read(ORDERS_INTENTS, None)).reason == NOT_A_RECORD


# ---------------------------------------------------------------- nested records, arrays, maps


def test_nested_records_are_read_lazily_and_name_their_path() -> None:
    scored = example("signals_scored")
    scored["signal"] = {"direction": "UP"}  # the fields not read are not checked
    sig = read(SIGNALS_SCORED, scored).record_of("signal")
    err = error_of(lambda: sig.symbol("direction"))
    assert (err.path, err.message) == (
        "signal.direction",
        "signals.scored.v1: signal.direction must be one of UNKNOWN, BUY, SELL, got 'UP'",
    )
    err = error_of(lambda: sig.nonempty("symbol"))
    assert (err.reason, err.message) == (
        MISSING_FIELD,
        "signals.scored.v1: signal.symbol is missing",
    )
    assert sig.record == {"direction": "UP"}


def test_a_nested_record_missing_or_of_the_wrong_type() -> None:
    missing = read(SIGNALS_SCORED, without(example("signals_scored"), "market"))
    err = error_of(lambda: missing.record_of("market"))
    assert (err.reason, err.message) == (MISSING_FIELD, "signals.scored.v1: market is missing")
    wrong = read(SIGNALS_SCORED, example("signals_scored", market=[1]))
    err = error_of(lambda: wrong.record_of("market"))
    assert (err.reason, err.message) == (WRONG_TYPE, "signals.scored.v1: market must be a record")


def test_an_optional_nested_record() -> None:
    entry = read(ORDERS_DECISIONS, example("orders_decisions"))
    assert entry.opt_record_of("modification") is None
    mod = {"update_event_id": "fx-vip:18431:r0:u1", "action": "MOVE_SL", "price": 1.1}
    got = read(ORDERS_DECISIONS, example("orders_decisions", modification=mod))
    nested = got.opt_record_of("modification")
    assert nested is not None
    assert (nested.symbol("action"), nested.opt_number("price"), nested.flag("adds_risk")) == (
        "MOVE_SL",
        1.1,
        False,
    )
    wrong = read(ORDERS_DECISIONS, example("orders_decisions", modification=[1]))
    err = error_of(lambda: wrong.opt_record_of("modification"))
    assert (err.reason, err.message) == (
        WRONG_TYPE,
        "orders.decisions.v1: modification must be a record or null",
    )
    with pytest.raises(ContractMismatchError, match="is not an optional record"):
        read(SIGNALS_SCORED, example("signals_scored")).opt_record_of("market")


def test_arrays_and_maps() -> None:
    decision = read(ORDERS_DECISIONS, example("orders_decisions", reasons=["a", "b"]))
    assert decision.strings("reasons") == ("a", "b")
    bad = read(ORDERS_DECISIONS, example("orders_decisions", reasons=["a", 1]))
    assert error_of(lambda: bad.strings("reasons")).message == (
        "orders.decisions.v1: reasons must be a list of strings"
    )
    scored = read(SIGNALS_SCORED, example("signals_scored", regime_probabilities={"CALM": 1}))
    assert scored.number_map("regime_probabilities") == {"CALM": 1.0}
    command = read(CONTROL_COMMANDS, example("control_commands", parameters={"card": 1}))
    err = error_of(lambda: command.string_map("parameters"))
    assert (err.reason, err.message) == (
        WRONG_TYPE,
        "control.commands.v1: parameters must be a map of strings",
    )


def test_nullable_unions() -> None:
    r = read(ORDERS_INTENTS, example("orders_intents", entry=None, expires_at=5, risk_amount=2))
    assert r.opt_number("entry") is None
    assert r.opt_integer("expires_at") == 5
    assert r.opt_number("risk_amount") == 2.0
    assert (
        read(ORDERS_INTENTS, example("orders_intents", model_version="m1")).opt_string(
            "model_version"
        )
        == "m1"
    )
    assert (
        read(ORDERS_INTENTS, without(example("orders_intents"), "model_version")).opt_string(
            "model_version"
        )
        is None
    )


# ---------------------------------------------------------------- the caller's error, misuse


class MyInputError(ValueError):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def test_errors_are_mapped_onto_the_callers_own_exception() -> None:
    def mine(err: RecordError) -> MyInputError:
        return MyInputError(f"bad_{err.path or 'record'}", err.message)

    with pytest.raises(MyInputError) as caught:
        read(ORDERS_INTENTS, without(example("orders_intents"), "side"), mine).symbol("side")
    assert (caught.value.reason, str(caught.value)) == (
        "bad_side",
        "orders.intents.v1: side is missing",
    )
    with pytest.raises(MyInputError, match=r"^orders\.intents\.v1: a record \(mapping\) expected$"):
        read(ORDERS_INTENTS, 42, mine)


def test_asking_for_what_the_schema_does_not_have_is_a_programming_error() -> None:
    r = read(ORDERS_INTENTS, example("orders_intents"))
    with pytest.raises(ContractMismatchError, match="has no field 'colour'"):
        r.string("colour")
    with pytest.raises(ContractMismatchError, match="quantity is a number, read as string"):
        r.string("quantity")
    with pytest.raises(ContractMismatchError, match="entry is a number or null, read as double"):
        r.number("entry")  # nullable: only opt_number can give it
    with pytest.raises(ContractMismatchError, match="side is not a record"):
        r.record_of("side")
    with pytest.raises(
        ContractMismatchError, match="is a list of numbers, read as array of string"
    ):
        r.strings("take_profits")
    with pytest.raises(ContractMismatchError, match="read as map of double/float"):
        r.number_map("quantity")


def test_enum_symbols_come_from_the_schema() -> None:
    assert enum_symbols(SIGNALS_SCORED, "signal.direction") == ("UNKNOWN", "BUY", "SELL")
    assert enum_symbols(SIGNALS_SCORED, "signal.direction", known=True) == ("BUY", "SELL")
    assert enum_symbols(SIGNALS_SCORED, "regime") == ("UNKNOWN", "CALM", "TREND", "CHAOS")
    assert enum_symbols(ORDERS_DECISIONS, "confidence_source", known=True) == (
        "MODEL",
        "PRIOR",
        "PARSER",
    )
    with pytest.raises(ContractMismatchError, match=r"signal\.symbol is a string, not an enum"):
        enum_symbols(SIGNALS_SCORED, "signal.symbol")
    with pytest.raises(ContractMismatchError, match="regime is not a record"):
        enum_symbols(SIGNALS_SCORED, "regime.x")
