# Input validation
#
# A missing or mistyped field would leave the rule that reads it undefined, which is "does not
# deny": the policy would fail open. Every field the rules read for a new position is therefore
# checked here, and anything wrong denies with input.invalid. The messages are in
# data.hive.risk.input_errors. Exits are not checked: they are always allowed.
package hive.risk

deny contains "input.invalid" if not input_ok

# The check the decision uses: one conjunction, cheap on the hot path. input_errors says what is
# wrong and is evaluated only to explain a denial; the tests keep the two in step.
default input_ok := false

input_ok if {
	is_number(input.signal.confidence)
	_between(input.signal.confidence, 0, 1)
	_non_empty_string(input.signal.symbol)
	is_boolean(input.signal.stale)
	is_boolean(input.signal.implausible)
	is_boolean(input.signal.wrong_side_stop)
	is_boolean(input.signal.no_market_data)
	_non_empty_string(input.bot.rule_set)
	_non_empty_string(input.bot.strategy_card)
	is_array(input.bot.allowed_symbols)
	is_array(input.bot.allowed_cards)
	input.bot.status in _statuses
	_positive_number(input.account.initial_balance)
	is_number(input.account.equity)
	_positive_number(input.account.day_start_balance)
	_positive_number(input.account.peak_equity)
	_non_negative_number(input.account.open_risk)
	is_boolean(input.order.reduces_exposure)
	_order_risk_ok
	input.breaker.mode in _breaker_modes
	is_number(input.time.ts)
	input.time.weekday in _weekdays
	input.time.hour_utc in _hours
}

# The order's risk is only defined when the signal has a stop (no stop: constitution.no_stop_loss).
_order_risk_ok if not has_stop_loss

_order_risk_ok if {
	_non_negative_number(input.order.risk_amount)
	_non_negative_number(input.order.risk_pct)
}

_statuses := {"ACTIVE", "PAUSED", "LOCKED"}

_breaker_modes := {"NONE", "SHADOW_MODE", "REDUCED_CAPACITY", "SAFE_MODE", "HALTED"}

_weekdays := {0, 1, 2, 3, 4, 5, 6}

_hours := {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}

# ---- what is wrong, field by field ------------------------------------------------------------

_numbers := [
	["signal", "confidence"],
	["account", "initial_balance"],
	["account", "equity"],
	["account", "day_start_balance"],
	["account", "peak_equity"],
	["account", "open_risk"],
	["time", "ts"],
]

_positive := [
	["account", "initial_balance"],
	["account", "day_start_balance"],
	["account", "peak_equity"],
]

_string_fields := [
	["signal", "symbol"],
	["bot", "rule_set"],
	["bot", "strategy_card"],
]

_booleans := [
	["signal", "stale"],
	["signal", "implausible"],
	["signal", "wrong_side_stop"],
	["signal", "no_market_data"],
	["order", "reduces_exposure"],
]

_arrays := [
	["bot", "allowed_symbols"],
	["bot", "allowed_cards"],
]

_enums := [
	[["bot", "status"], _statuses],
	[["breaker", "mode"], _breaker_modes],
	[["time", "weekday"], _weekdays],
	[["time", "hour_utc"], _hours],
]

_field(path) := concat(".", path)

# Without any input (a POST with no "input" key), `not <expression on input>` is undefined
# rather than true in OPA, so this one check cannot be written on input directly.
default _input_is_object := false

_input_is_object if is_object(input)

input_errors contains "input: an object is required" if not _input_is_object

_value(path) := object.get(input, path, null)

input_errors contains sprintf("%s: a number is required", [_field(path)]) if {
	some path in _numbers
	not is_number(_value(path))
}

input_errors contains sprintf("%s: must be above 0", [_field(path)]) if {
	some path in _positive
	x := _value(path)
	is_number(x)
	x <= 0
}

input_errors contains "account.open_risk: must not be negative" if {
	x := _value(["account", "open_risk"])
	is_number(x)
	x < 0
}

input_errors contains "signal.confidence: must be between 0 and 1" if {
	c := _value(["signal", "confidence"])
	is_number(c)
	not _between(c, 0, 1)
}

input_errors contains sprintf("%s: a non-empty string is required", [_field(path)]) if {
	some path in _string_fields
	not _non_empty_string(_value(path))
}

input_errors contains sprintf("%s: true or false is required", [_field(path)]) if {
	some path in _booleans
	not is_boolean(_value(path))
}

input_errors contains sprintf("%s: a list is required", [_field(path)]) if {
	some path in _arrays
	not is_array(_value(path))
}

input_errors contains sprintf("%s: one of %v is required", [_field(path), sort(allowed)]) if {
	some [path, allowed] in _enums
	not _value(path) in allowed
}

# The order's risk is only defined when the signal has a stop (no stop: constitution.no_stop_loss).
input_errors contains sprintf("%s: a number >= 0 is required", [_field(path)]) if {
	has_stop_loss
	some path in [["order", "risk_amount"], ["order", "risk_pct"]]
	not _non_negative_number(_value(path))
}

_non_empty_string(x) if {
	is_string(x)
	x != ""
}

_positive_number(x) if {
	is_number(x)
	x > 0
}

_non_negative_number(x) if {
	is_number(x)
	x >= 0
}

_between(x, lo, hi) if {
	x >= lo
	x <= hi
}
