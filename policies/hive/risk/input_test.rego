package hive.risk_test

import data.hive.risk

errors_of(inp) := e if {
	e := risk.input_errors with input as inp
}

test_the_contract_example_is_valid if {
	errors_of(base) == set()
}

test_fields_that_are_not_read_may_be_missing if {
	inp := json.remove(base, [
		"signal/signal_id", "signal/source", "signal/direction", "signal/order_type",
		"signal/entry", "signal/take_profits", "signal/ts_event", "signal/regime",
		"bot/bot_id", "bot/cell_id", "bot/mode",
		"account/currency", "account/balance", "account/open_positions",
		"account/holds_weekend_positions", "time/minute_utc",
	])
	errors_of(inp) == set()
	decide(inp).allow == true
}

test_every_required_field_is_checked if {
	every path in [
		"signal/confidence", "signal/symbol", "signal/stale", "signal/implausible",
		"signal/wrong_side_stop", "signal/no_market_data",
		"bot/rule_set", "bot/strategy_card", "bot/allowed_symbols", "bot/allowed_cards", "bot/status",
		"account/initial_balance", "account/equity", "account/day_start_balance",
		"account/peak_equity", "account/open_risk",
		"order/risk_amount", "order/risk_pct", "order/reduces_exposure",
		"breaker/mode", "time/ts", "time/weekday", "time/hour_utc",
	] {
		inp := json.remove(base, [path])
		count(errors_of(inp)) == 1
		"input.invalid" in decide(inp).reasons
	}
}

test_missing_sections_are_invalid if {
	every section in ["signal", "bot", "account", "order", "breaker", "time"] {
		"input.invalid" in decide(object.remove(base, {section})).reasons
	}
}

test_input_error_messages if {
	errors_of(json.remove(base, ["account/equity"])) == {"account.equity: a number is required"}
	errors_of(with_patch({"account": {"equity": "98800"}})) == {"account.equity: a number is required"}
	errors_of(with_patch({"account": {"initial_balance": 0}})) == {"account.initial_balance: must be above 0"}
	errors_of(with_patch({"account": {"open_risk": -1}})) == {"account.open_risk: must not be negative"}
	errors_of(with_patch({"signal": {"confidence": 1.2}})) == {"signal.confidence: must be between 0 and 1"}
	errors_of(with_patch({"signal": {"confidence": -0.1}})) == {"signal.confidence: must be between 0 and 1"}
	errors_of(with_patch({"signal": {"symbol": ""}})) == {"signal.symbol: a non-empty string is required"}
	errors_of(with_patch({"signal": {"stale": "no"}})) == {"signal.stale: true or false is required"}
	errors_of(with_patch({"bot": {"allowed_symbols": "EURUSD"}})) == {"bot.allowed_symbols: a list is required"}
	errors_of(with_patch({"bot": {"status": "active"}})) == {"bot.status: one of [\"ACTIVE\", \"LOCKED\", \"PAUSED\"] is required"}
	errors_of(with_patch({"time": {"weekday": 7}})) == {"time.weekday: one of [0, 1, 2, 3, 4, 5, 6] is required"}
	count(errors_of(with_patch({"time": {"hour_utc": 24}}))) == 1
	count(errors_of(with_patch({"breaker": {"mode": "OPEN"}}))) == 1
	errors_of(with_patch({"order": {"risk_amount": -5}})) == {"order.risk_amount: a number >= 0 is required"}
}

test_input_that_is_not_an_object_is_invalid if {
	errors_of("EURUSD") == {"input: an object is required"}
	decide("EURUSD").reasons == ["constitution.no_stop_loss", "input.invalid"]
	decide([]).allow == false
}

test_invalid_input_reports_the_constitution_limits if {
	d := decide(json.remove(base, ["account"]))
	d.allow == false
	d.max_risk_pct == 0
	d.limits == {
		"daily_loss_pct": 3, "max_loss_pct": 10, "max_drawdown_pct": 10,
		"max_risk_per_position_pct": 5, "min_confidence": 0.4,
	}
}

test_input_ok_agrees_with_input_errors if {
	cases := array.concat(
		[json.remove(base, [p]) | some p in [
			"signal/confidence", "signal/symbol", "signal/stale", "bot/rule_set", "bot/strategy_card",
			"bot/allowed_symbols", "bot/allowed_cards", "bot/status", "account/initial_balance",
			"account/equity", "account/day_start_balance", "account/peak_equity", "account/open_risk",
			"order/risk_amount", "order/risk_pct", "order/reduces_exposure", "breaker/mode",
			"time/ts", "time/weekday", "time/hour_utc", "signal/implausible",
			"signal/wrong_side_stop", "signal/no_market_data", "signal/stop_loss",
		]],
		[with_patch(p) | some p in [
			{},
			{"signal": {"confidence": 1.01}},
			{"signal": {"symbol": ""}},
			{"bot": {"strategy_card": 3}},
			{"account": {"peak_equity": 0}},
			{"account": {"open_risk": -0.01}},
			{"account": {"equity": -5}},
			{"order": {"risk_pct": "0.5"}},
			{"signal": {"stop_loss": null}, "order": {"risk_amount": null}},
			{"time": {"hour_utc": 8.5}},
			{"breaker": {"mode": "halted"}},
		]],
	)
	every inp in cases {
		ok := risk.input_ok with input as inp
		errors := risk.input_errors with input as inp
		valid := count(errors) == 0
		ok == valid
	}
}
