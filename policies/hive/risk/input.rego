# Input validation
#
# A missing or mistyped field would leave the rule that reads it undefined, which is "does not
# deny": the policy would fail open. Every field the rules read for a new position is therefore
# checked here, and anything wrong denies with input.invalid. The messages are in
# data.hive.risk.input_errors. Exits are not checked: they are always allowed.
package hive.risk

deny contains "input.invalid" if count(input_errors) > 0

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
	[["bot", "status"], {"ACTIVE", "PAUSED", "LOCKED"}],
	[["breaker", "mode"], {"NONE", "SHADOW_MODE", "REDUCED_CAPACITY", "SAFE_MODE", "HALTED"}],
	[["time", "weekday"], {0, 1, 2, 3, 4, 5, 6}],
	[["time", "hour_utc"], {h | some h in numbers.range(0, 23)}],
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

_non_negative_number(x) if {
	is_number(x)
	x >= 0
}

_between(x, lo, hi) if {
	x >= lo
	x <= hi
}
