package hive.risk_test

import data.hive.risk

# One input per denying reason code (codes that need other data are tested below).
blocking := {
	"input.invalid": json.remove(base, ["account/equity"]),
	"profile.unknown": with_patch({"bot": {"rule_set": "no_such_firm"}}),
	"bot.paused": with_patch({"bot": {"status": "PAUSED"}}),
	"bot.locked": with_patch({"bot": {"status": "LOCKED"}}),
	"breaker.safe_mode": with_patch({"breaker": {"mode": "SAFE_MODE"}}),
	"breaker.halted": with_patch({"breaker": {"mode": "HALTED"}}),
	"signal.stale": with_patch({"signal": {"stale": true}}),
	"signal.implausible": with_patch({"signal": {"implausible": true}}),
	"signal.wrong_side_stop": with_patch({"signal": {"wrong_side_stop": true}}),
	"signal.no_market_data": with_patch({"signal": {"no_market_data": true}}),
	"confidence.below_minimum": with_patch({"signal": {"confidence": 0.39}}),
	"constitution.no_stop_loss": with_patch({"signal": {"stop_loss": null}}),
	"constitution.max_risk_per_position": with_patch({"order": {"risk_amount": 5434, "risk_pct": 5.5}}),
	"constitution.daily_loss_reached": with_patch({"account": {"equity": 96500}}),
	"constitution.daily_loss_headroom": with_patch({"order": {"risk_amount": 1500, "risk_pct": 1.52}}),
	"constitution.max_drawdown_reached": with_patch({"account": {"peak_equity": 110000}}),
	"constitution.max_drawdown_headroom": with_patch({"account": {"peak_equity": 109000}}),
	"profile.max_risk_per_trade": object.union(strict_fresh, {"order": {"risk_amount": 1200, "risk_pct": 1.2}}),
	"profile.daily_loss_reached": object.union(strict_fresh, {"account": {"equity": 98400}}),
	"profile.daily_loss_headroom": object.union(strict_fresh, {"account": {"open_risk": 1100}}),
	"profile.max_loss_reached": with_patch({"account": {"equity": 89900, "day_start_balance": 90000}}),
	"profile.max_loss_headroom": object.union(strict_fresh, {"account": {
		"equity": 96800, "day_start_balance": 96800,
		"open_risk": 400,
	}}),
	"allowlist.symbol": with_patch({"signal": {"symbol": "GBPUSD"}}),
	"allowlist.strategy": with_patch({"bot": {"allowed_cards": ["regime_filtered"]}}),
	"news.blackout": at_time(fomc_2017_06_14, 2, 18),
	"weekend.no_new_positions": at_time(1497684000000, 5, 7),
}

test_clean_signal_is_allowed if {
	d := decide(base)
	d.allow == true
	d.reasons == []
	d.size_multiplier == 1
	d.shadow == false
	d.max_risk_pct == 1.4018
	d.bundle_version == "2026.11.1"
	d.limits == {
		"daily_loss_pct": 3, "max_loss_pct": 10, "max_drawdown_pct": 10,
		"max_risk_per_position_pct": 5, "min_confidence": 0.4,
	}
}

test_decision_has_the_contract_keys if {
	object.keys(decide(base)) == {"allow", "reasons", "max_risk_pct", "size_multiplier", "shadow", "limits", "bundle_version"}
}

test_every_reason_code_denies if {
	every code, inp in blocking {
		d := decide(inp)
		d.allow == false
		code in d.reasons
	}
}

test_blocking_cases_deny_for_their_own_reason_alone if {
	# The fixtures are not accidentally broken: each denies for its own code only, except two
	# where the rules necessarily overlap (more than 5 % at risk is more than the 3 % daily limit;
	# with the peak at the initial balance, the drawdown stop and FTMO's max loss coincide).
	several := {code | some code, inp in blocking; decide(inp).reasons != [code]}
	several == {"constitution.max_risk_per_position", "profile.max_loss_reached"}
}

test_exit_is_allowed_in_every_blocking_state if {
	every _, inp in blocking {
		allowed_exit(decide(as_exit(inp)))
	}
}

test_exit_is_allowed_with_a_broken_profile_or_calendar if {
	allowed_exit(decide(as_exit(with_patch({"bot": {"rule_set": "test"}})))) with data.hive.profiles as profiles_with({"weekend_holding": "no"})
	allowed_exit(decide(as_exit(at_time(fomc_2017_06_14, 2, 18)))) with data.hive.calendar as {"events": "none"}
}

test_exit_is_allowed_with_every_blocking_state_at_once if {
	all := with_patch({
		"signal": {"stale": true, "implausible": true, "stop_loss": null, "confidence": 0, "symbol": "GBPUSD"},
		"bot": {"status": "LOCKED", "allowed_cards": ["none"]},
		"account": {"equity": 50000},
		"breaker": {"mode": "HALTED"},
		"time": {"ts": fomc_2017_06_14, "weekday": 6, "hour_utc": 18},
	})
	count(decide(all).reasons) >= 8
	allowed_exit(decide(as_exit(all)))
}

test_exit_needs_nothing_but_the_flag if {
	d := decide({"order": {"reduces_exposure": true}})
	allowed_exit(d)
	d.max_risk_pct == 0
	d.limits.daily_loss_pct == 3
}

test_exit_in_shadow_or_reduced_capacity_is_real_and_full_size if {
	allowed_exit(decide(as_exit(with_patch({"breaker": {"mode": "SHADOW_MODE"}}))))
	allowed_exit(decide(as_exit(with_patch({"breaker": {"mode": "REDUCED_CAPACITY"}}))))
}

test_reduces_exposure_must_be_the_boolean_true if {
	d := decide_patch({"order": {"reduces_exposure": "true"}})
	d.allow == false
	d.reasons == ["input.invalid"]
}

test_reasons_list_every_denial_sorted if {
	d := decide_patch({
		"signal": {"stale": true},
		"breaker": {"mode": "HALTED"},
		"time": {"ts": fomc_2017_06_14, "hour_utc": 18},
	})
	d.allow == false
	d.reasons == ["breaker.halted", "news.blackout", "signal.stale"]
}

test_denied_decision_still_reports_limits_and_budget if {
	d := decide(at_time(fomc_2017_06_14, 2, 18))
	d.reasons == ["news.blackout"]
	d.max_risk_pct == 1.4018
	d.limits.daily_loss_pct == 3
}

test_no_input_at_all_is_denied if {
	d := risk.decision
	d.allow == false
	"input.invalid" in d.reasons
	d.max_risk_pct == 0
}

test_bundle_version_comes_from_data if {
	decide(base).bundle_version == "2026.11.1"
	decide(base).bundle_version == data.hive.bundle.version
	decide(base).bundle_version == "test" with data.hive.bundle.version as "test"
	decide(base).bundle_version == "unknown" with data.hive.bundle as {}
}

# Codes that need other data than the input to be given.
data_only_codes := {"profile.invalid", "news.calendar_invalid"}

info_codes := {"breaker.shadow_mode", "breaker.reduced_capacity"}

test_the_catalogue_has_every_code_and_only_those if {
	object.keys(risk.reason_codes) == (object.keys(blocking) | data_only_codes) | info_codes
}

test_every_code_given_is_in_the_catalogue if {
	given := {code |
		some inp in array.concat([base, as_exit(base)], [inp | some inp in blocking])
		some code in decide(inp).reasons
	}
	count(given - object.keys(risk.reason_codes)) == 0
	every code in data_only_codes | info_codes {
		risk.reason_codes[code]
	}
}
