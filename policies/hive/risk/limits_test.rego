package hive.risk_test

import data.hive.risk

constitution_limits := {
	"daily_loss_pct": 3, "max_loss_pct": 10, "max_drawdown_pct": 10,
	"max_risk_per_position_pct": 5, "min_confidence": 0.4,
}

# A profile looser than the constitution everywhere.
loose := {
	"daily_loss_pct": 10, "daily_loss_basis": "initial_balance", "max_loss_pct": 20,
	"max_risk_per_trade_pct": 8, "min_confidence": 0.2,
	"weekend_holding": true, "news_blackout": null,
}

# A profile tighter than the constitution everywhere.
tight := {
	"daily_loss_pct": 1, "daily_loss_basis": "day_start_balance", "max_loss_pct": 5,
	"max_risk_per_trade_pct": 0.5, "min_confidence": 0.6,
	"weekend_holding": false, "news_blackout": {"before_minutes": 0, "after_minutes": 0},
}

with_test_profile := with_patch({"bot": {"rule_set": "test"}})

# ---- profiles in the decision --------------------------------------------------------------------

test_limits_per_shipped_profile if {
	decide(base).limits == constitution_limits
	decide_patch({"bot": {"rule_set": "ftmo_2step_swing"}}).limits == constitution_limits
	decide_patch({"bot": {"rule_set": "constitution"}}).limits == constitution_limits
	decide(strict_fresh).limits == {
		"daily_loss_pct": 1.5, "max_loss_pct": 4, "max_drawdown_pct": 10,
		"max_risk_per_position_pct": 1, "min_confidence": 0.4,
	}
}

test_a_looser_profile_never_loosens_the_constitution if {
	d := decide(with_test_profile) with data.hive.profiles as profiles_with(loose)
	d.limits == constitution_limits
	d.allow == true

	# Its own limits are still there, and the constitution's bind.
	dl := risk.daily_loss_limit with input as with_test_profile with data.hive.profiles as profiles_with(loose)
	dl == {"constitution": 2985, "profile": 10000}
	d2 := decide(object.union(with_test_profile, {"order": {"risk_amount": 5500, "risk_pct": 5.57}})) with data.hive.profiles as profiles_with(loose)
	d2.reasons == ["constitution.daily_loss_headroom", "constitution.max_risk_per_position"]
	d3 := decide(object.union(with_test_profile, {"signal": {"confidence": 0.3}})) with data.hive.profiles as profiles_with(loose)
	d3.reasons == ["confidence.below_minimum"]
}

test_a_tighter_profile_tightens_every_limit if {
	d := decide(with_test_profile) with data.hive.profiles as profiles_with(tight)
	d.limits == {
		"daily_loss_pct": 1, "max_loss_pct": 5, "max_drawdown_pct": 10,
		"max_risk_per_position_pct": 0.5, "min_confidence": 0.6,
	}

	# 1 % of the day's start, 99,500: 995, with 1,600 lost or at risk; 0.506 % > 0.5 %.
	d.reasons == ["profile.daily_loss_headroom", "profile.max_risk_per_trade"]
	d2 := decide(object.union(with_test_profile, {"signal": {"confidence": 0.5}})) with data.hive.profiles as profiles_with(tight)
	"confidence.below_minimum" in d2.reasons
}

test_limits_without_account_amounts_compare_percentages if {
	exit_strict := {"bot": {"rule_set": "strict"}, "order": {"reduces_exposure": true}}
	decide(exit_strict).limits.daily_loss_pct == 1.5
	exit_ftmo := {"bot": {"rule_set": "ftmo_2step"}, "order": {"reduces_exposure": true}}
	decide(exit_ftmo).limits.daily_loss_pct == 3
}

test_unknown_profile_denies_and_reports_the_constitution if {
	d := decide_patch({"bot": {"rule_set": "no_such_firm"}})
	d.reasons == ["profile.unknown"]
	d.limits == constitution_limits
}

test_missing_rule_set_is_invalid_input_not_unknown_profile if {
	d := decide(json.remove(base, ["bot/rule_set"]))
	d.reasons == ["input.invalid"]
}

# ---- profile schema --------------------------------------------------------------------------------

profile_errors_of(p) := e if {
	e := risk.profile_errors with input as with_test_profile with data.hive.profiles as profiles_with(p)
}

test_a_valid_profile_has_no_errors if {
	profile_errors_of(loose) == set()
	profile_errors_of(tight) == set()
	profile_errors_of({"weekend_holding": true, "news_blackout": null, "title": "t", "firm": "f", "notes": "n"}) == set()
	profile_errors_of(object.union(tight, {"allowed_symbols": ["EURUSD"], "allowed_cards": []})) == set()
}

test_profile_errors if {
	profile_errors_of("ftmo") == {"a profile must be an object"}
	profile_errors_of(object.union(loose, {"daily_loss_limit": 5})) == {"unknown key \"daily_loss_limit\""}
	profile_errors_of(object.union(loose, {"max_loss_pct": 0})) == {"max_loss_pct: a percentage above 0 and at most 100 is required"}
	profile_errors_of(object.union(loose, {"max_risk_per_trade_pct": "1"})) == {"max_risk_per_trade_pct: a percentage above 0 and at most 100 is required"}
	profile_errors_of(object.union(loose, {"daily_loss_pct": 101})) == {"daily_loss_pct: a percentage above 0 and at most 100 is required"}
	profile_errors_of(object.remove(loose, {"daily_loss_basis"})) == {"daily_loss_basis: one of [\"day_start_balance\", \"initial_balance\"] is required"}
	profile_errors_of(object.union(loose, {"min_confidence": 40})) == {"min_confidence: a number between 0 and 1 is required"}
	profile_errors_of(object.remove(loose, {"weekend_holding"})) == {"weekend_holding: true or false is required"}
	profile_errors_of(object.remove(loose, {"news_blackout"})) == {"news_blackout: null or {\"before_minutes\": n, \"after_minutes\": n} is required"}
	profile_errors_of(object.union(loose, {"news_blackout": {"before_minutes": 2}})) == {"news_blackout: null or {\"before_minutes\": n, \"after_minutes\": n} is required"}
	profile_errors_of(object.union(loose, {"news_blackout": {"before_minutes": 2, "after_minutes": 2, "impact": "high"}})) == {"news_blackout: null or {\"before_minutes\": n, \"after_minutes\": n} is required"}
	profile_errors_of(object.union(loose, {"allowed_symbols": "EURUSD"})) == {"allowed_symbols: a list of strings is required"}
	profile_errors_of(object.union(loose, {"allowed_cards": [1]})) == {"allowed_cards: a list of strings is required"}
}

test_an_invalid_profile_denies if {
	d := decide(with_test_profile) with data.hive.profiles as profiles_with(object.union(loose, {"max_loss_pct": -5}))
	d.reasons == ["profile.invalid"]
	d.max_risk_pct == 0
}

test_null_optional_limits_are_absent if {
	p := object.union(loose, {"max_risk_per_trade_pct": null, "min_confidence": null})
	profile_errors_of(p) == set()
	d := decide(with_test_profile) with data.hive.profiles as profiles_with(p)
	d.limits.max_risk_per_position_pct == 5
	d.limits.min_confidence == 0.4
}

test_profile_ok_agrees_with_profile_errors if {
	cases := [
		loose, tight, "ftmo", 7, null, {},
		object.union(loose, {"daily_loss_limit": 5}),
		object.union(loose, {"max_loss_pct": 0}),
		object.union(loose, {"max_risk_per_trade_pct": "1"}),
		object.union(loose, {"daily_loss_pct": null}),
		object.remove(loose, {"daily_loss_basis"}),
		object.remove(object.union(loose, {"daily_loss_pct": null}), {"daily_loss_basis"}),
		object.union(loose, {"daily_loss_basis": "balance"}),
		object.union(loose, {"min_confidence": 40}),
		object.remove(loose, {"weekend_holding"}),
		object.union(loose, {"weekend_holding": "no"}),
		object.remove(loose, {"news_blackout"}),
		object.union(loose, {"news_blackout": {"before_minutes": -1, "after_minutes": 2}}),
		object.union(loose, {"allowed_symbols": ["EURUSD", 1]}),
		object.union(loose, {"allowed_cards": null}),
	]
	every p in cases {
		ok := risk.profile_ok with input as with_test_profile with data.hive.profiles as profiles_with(p)
		valid := count(profile_errors_of(p)) == 0
		ok == valid
	}
}

test_profile_ok_is_false_for_an_unknown_profile if {
	not risk.profile_ok with input as with_patch({"bot": {"rule_set": "nope"}})
}
