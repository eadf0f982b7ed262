package hive.risk_test

import data.hive.risk

# The decision at `offset_ms` from the FOMC statement of 14 June 2017, 18:00 UTC.
around_fomc(offset_ms, patch) := decide(object.union(at_time(fomc_2017_06_14 + offset_ms, 2, 18), patch))

test_ftmo_blackout_is_two_minutes_either_side_inclusive if {
	around_fomc(-2 * minute_ms, {}).reasons == ["news.blackout"]
	around_fomc(0, {}).reasons == ["news.blackout"]
	around_fomc(2 * minute_ms, {}).reasons == ["news.blackout"]
	around_fomc((-2 * minute_ms) - 1, {}).allow == true
	around_fomc((2 * minute_ms) + 1, {}).allow == true
}

test_strict_blackout_is_fifteen_minutes_either_side if {
	strict := {"bot": {"rule_set": "strict"}, "account": {"open_risk": 0, "day_start_balance": 98800}}
	around_fomc(-15 * minute_ms, strict).reasons == ["news.blackout"]
	around_fomc(15 * minute_ms, strict).reasons == ["news.blackout"]
	around_fomc((-15 * minute_ms) - 1, strict).allow == true
	around_fomc((15 * minute_ms) + 1, strict).allow == true
}

test_profiles_without_blackout_trade_the_news if {
	around_fomc(0, {"bot": {"rule_set": "constitution"}}).allow == true
	around_fomc(0, {"bot": {"rule_set": "ftmo_2step_swing"}}).allow == true
}

test_only_symbols_exposed_to_the_currency_are_blacked_out if {
	every symbol in ["EURUSD", "XAUUSD", "USDJPY", "US30", "usoil"] {
		around_fomc(0, {"signal": {"symbol": symbol}, "bot": {"allowed_symbols": []}}).reasons == ["news.blackout"]
	}
	every symbol in ["EURGBP", "GBPJPY", "GER40"] {
		around_fomc(0, {"signal": {"symbol": symbol}, "bot": {"allowed_symbols": []}}).allow == true
	}
}

test_ecb_blacks_out_euro_symbols if {
	# ECB decision, 8 June 2017 11:45 UTC (a Thursday).
	inp := object.union(at_time(1496922300000, 3, 11), {"signal": {"symbol": "GER40"}, "bot": {"allowed_symbols": []}})
	decide(inp).reasons == ["news.blackout"]
	risk.blackout_events == {"2017-06-08-ecb"} with input as inp
}

test_blackout_events_names_the_event if {
	risk.blackout_events == {"2017-06-14-fomc"} with input as at_time(fomc_2017_06_14, 2, 18)
	risk.blackout_events == set() with input as base
}

test_events_below_high_impact_are_ignored if {
	calendar := {"events": [
		{"id": "cpi", "ts": fomc_2017_06_14, "currencies": ["USD"], "impact": "medium"},
		{"ts": fomc_2017_06_14, "currencies": ["EUR"], "title": "untitled high"},
	]}
	inp := at_time(fomc_2017_06_14, 2, 18)
	risk.blackout_events == {"untitled high"} with input as inp with data.hive.calendar as calendar
	decide(inp).reasons == ["news.blackout"] with data.hive.calendar as calendar
	decide(object.union(inp, {"signal": {"symbol": "XAUUSD"}})).allow == true with data.hive.calendar as calendar
}

test_an_empty_calendar_blacks_out_nothing if {
	decide(at_time(fomc_2017_06_14, 2, 18)).allow == true with data.hive.calendar as {"events": []}
}

test_calendar_errors if {
	e1 := risk.calendar_errors with data.hive.calendar as {}
	e1 == {"data.hive.calendar.events: a list is required"}
	e2 := risk.calendar_errors with data.hive.calendar as {"events": [
		"fomc",
		{"ts": "2017-06-14T18:00:00Z", "currencies": ["USD"]},
		{"ts": 1, "currencies": []},
		{"ts": 1, "currencies": ["USD", ""]},
		{"ts": 1, "currencies": ["USD"], "impact": "HIGH"},
	]}
	e2 == {
		"events[0]: an object is required",
		"events[1]: ts (epoch ms) must be a number",
		"events[2]: currencies must be a list of currency codes",
		"events[3]: currencies must be a list of currency codes",
		"events[4]: impact must be high, medium or low",
	}
}

test_a_broken_calendar_denies_profiles_that_use_it if {
	broken := {"events": [{"ts": "soon", "currencies": ["USD"]}]}
	decide(base).reasons == ["news.calendar_invalid"] with data.hive.calendar as broken
	decide(json.remove(base, ["bot/rule_set"])).reasons == ["input.invalid"] with data.hive.calendar as broken
	decide_patch({"bot": {"rule_set": "constitution"}}).allow == true with data.hive.calendar as broken
}

test_calendar_ok_checks_every_time_and_the_events_in_the_window if {
	inp := at_time(fomc_2017_06_14, 2, 18)
	fomc := {"id": "fomc", "ts": fomc_2017_06_14, "currencies": ["USD"]}
	far := {"id": "far", "ts": 1, "currencies": []}
	risk.calendar_ok with input as inp with data.hive.calendar as {"events": [fomc]}

	# A malformed event far from the decision time cannot hide a blackout now: listed, not denied.
	risk.calendar_ok with input as inp with data.hive.calendar as {"events": [fomc, far]}
	risk.calendar_errors == {"events[1]: currencies must be a list of currency codes"} with data.hive.calendar as {"events": [fomc, far]}

	# In the window it denies.
	bad_fomc := object.union(fomc, {"currencies": "USD"})
	not risk.calendar_ok with input as inp with data.hive.calendar as {"events": [bad_fomc]}
	decide(inp).reasons == ["news.calendar_invalid"] with data.hive.calendar as {"events": [bad_fomc]}

	# A time that is not a number could be anywhere: it denies wherever it is.
	not risk.calendar_ok with input as base with data.hive.calendar as {"events": [{"ts": null, "currencies": ["JPY"]}]}
	not risk.calendar_ok with input as base with data.hive.calendar as {"events": [{"currencies": ["JPY"]}]}
	not risk.calendar_ok with input as base with data.hive.calendar as {"events": ["fomc"]}
}
