package hive.risk_test

import data.hive.risk

# ---- daily loss --------------------------------------------------------------------------------

test_daily_loss_is_measured_from_the_day_start_balance if {
	risk.loss_today == 700 with input as base
	risk.projected_loss_today == 2100 with input as base
	risk.daily_loss_limit == {"constitution": 2985, "profile": 5000} with input as base
}

test_projected_daily_loss_exactly_at_the_limit_is_allowed if {
	# 700 lost + 900 open + 1385 = 2985 = 3 % of 99,500.
	d := decide_patch({"order": {"risk_amount": 1385, "risk_pct": 1.4018}})
	d.allow == true
}

test_projected_daily_loss_above_the_limit_is_denied if {
	d := decide_patch({"order": {"risk_amount": 1386, "risk_pct": 1.4029}})
	d.reasons == ["constitution.daily_loss_headroom"]
}

test_open_risk_counts_against_the_daily_limit if {
	d := decide_patch({"account": {"open_risk": 1800}})
	d.reasons == ["constitution.daily_loss_headroom"]
}

test_daily_limit_reached_is_reported_instead_of_headroom if {
	# 99,500 - 96,515 = 2,985: the limit itself.
	d := decide_patch({"account": {"equity": 96515}})
	"constitution.daily_loss_reached" in d.reasons
	not "constitution.daily_loss_headroom" in d.reasons
	d.max_risk_pct == 0
}

test_a_profitable_day_leaves_more_room if {
	d := decide_patch({"account": {"equity": 101000, "peak_equity": 101000}})
	d.allow == true

	# (2,985 + 1,500 - 900) / 101,000
	d.max_risk_pct == 3.5495
}

test_ftmo_near_its_own_daily_limit_is_denied_by_both_rules if {
	# FTMO: 5 % of the initial 100,000 = 5,000 from the day's start.
	d := decide_patch({"account": {"equity": 95000, "day_start_balance": 100000, "peak_equity": 100000, "open_risk": 0}})
	d.reasons == ["constitution.daily_loss_reached", "profile.daily_loss_reached"]
}

test_ftmo_daily_limit_binds_when_the_day_starts_far_above_the_initial_balance if {
	# Day start 180,000: the constitution allows 5,400 today, FTMO 5,000 of the initial balance.
	inp := with_patch({"account": {
		"equity": 175100, "day_start_balance": 180000,
		"peak_equity": 180000, "open_risk": 0,
	}})
	d := decide(object.union(inp, {"order": {"risk_amount": 200, "risk_pct": 0.115}}))
	d.reasons == ["profile.daily_loss_headroom"]
	d.limits.daily_loss_pct == 5
}

# ---- drawdown and max loss ---------------------------------------------------------------------

test_drawdown_is_measured_from_the_peak if {
	risk.equity_floor["constitution.max_drawdown"] == 99000 with input as with_patch({"account": {"peak_equity": 110000}})
}

test_drawdown_peak_is_never_below_the_initial_balance_or_the_equity if {
	risk.equity_floor["constitution.max_drawdown"] == 90000 with input as with_patch({"account": {"peak_equity": 50000}})
	risk.equity_floor["constitution.max_drawdown"] == 108000 with input as with_patch({"account": {
		"peak_equity": 101000,
		"equity": 120000, "day_start_balance": 120000,
	}})
}

test_drawdown_reached_halts_new_positions if {
	# Floor: 90 % of 109,778 = 98,800.2, above the equity of 98,800.
	d := decide_patch({"account": {"peak_equity": 109778}})
	d.reasons == ["constitution.max_drawdown_reached"]
	d.max_risk_pct == 0
}

test_drawdown_headroom_counts_open_risk_and_the_order if {
	# Floor 98,100; 98,800 - 900 - 500 = 97,400.
	decide_patch({"account": {"peak_equity": 109000}}).reasons == ["constitution.max_drawdown_headroom"]

	# Floor 97,398: 97,400 is above it.
	decide_patch({"account": {"peak_equity": 108220}}).allow == true
}

test_ftmo_max_loss_floor_is_ninety_percent_of_the_initial_balance if {
	risk.equity_floor["profile.max_loss"] == 90000 with input as base
	d := decide_patch({"account": {"equity": 90000, "day_start_balance": 90100, "peak_equity": 100000, "open_risk": 0}})

	# With the peak at the initial balance, the constitution's drawdown stop is at the same level.
	d.reasons == ["constitution.max_drawdown_reached", "profile.max_loss_reached"]
}

test_strict_max_loss_headroom if {
	# Floor 96,000; 96,800 - 400 - 500 = 95,900.
	d := decide(object.union(strict_fresh, {"account": {"equity": 96800, "day_start_balance": 96800, "open_risk": 400}}))
	d.reasons == ["profile.max_loss_headroom"]
	d.max_risk_pct == 0.4132
}

test_constitution_profile_has_no_max_loss_floor_but_the_drawdown if {
	inp := with_patch({"bot": {"rule_set": "constitution"}})
	risk.equity_floor == {"constitution.max_drawdown": 90900} with input as inp
	object.keys(risk.daily_loss_limit) == {"constitution"} with input as inp
}

# ---- the position --------------------------------------------------------------------------------

test_no_stop_loss_denies if {
	every sl in [null, 0, -1, "1.1175"] {
		decide_patch({"signal": {"stop_loss": sl}}).reasons == ["constitution.no_stop_loss"]
	}
	decide(json.remove(base, ["signal/stop_loss"])).reasons == ["constitution.no_stop_loss"]
}

test_no_stop_loss_needs_no_order_risk if {
	inp := with_patch({"signal": {"stop_loss": null}, "order": {"risk_amount": null, "risk_pct": null}})
	decide(inp).reasons == ["constitution.no_stop_loss"]
}

test_risk_per_position_at_five_percent_is_allowed if {
	d := decide_patch({
		"account": {"day_start_balance": 100000, "equity": 100000, "peak_equity": 100000, "open_risk": 0},
		"order": {"risk_amount": 3000, "risk_pct": 3},
		"bot": {"rule_set": "ftmo_2step_swing"},
	})
	d.allow == true
	risk.order_risk_pct == 3 with input as with_patch({
		"account": {"equity": 100000},
		"order": {"risk_amount": 3000, "risk_pct": 3},
	})
}

test_risk_per_position_uses_the_larger_of_pct_and_amount if {
	# The gate says 1 %, but 5,500 is 5.57 % of 98,800.
	d := decide_patch({"order": {"risk_amount": 5500, "risk_pct": 1}})
	"constitution.max_risk_per_position" in d.reasons
	d2 := decide_patch({"order": {"risk_amount": 500, "risk_pct": 5.1}})
	"constitution.max_risk_per_position" in d2.reasons
}

test_profile_per_trade_cap if {
	decide(object.union(strict_fresh, {"order": {"risk_amount": 1000, "risk_pct": 1}})).allow == true
	decide(object.union(strict_fresh, {"order": {"risk_amount": 1001, "risk_pct": 1.001}})).reasons == ["profile.max_risk_per_trade"]
}

# ---- the risk budget (max_risk_pct) ----------------------------------------------------------------

test_max_risk_pct_is_the_tightest_headroom if {
	# Constitution daily: (2,985 - 700 - 900) / 98,800 = 1.40182...; rounded down.
	decide(base).max_risk_pct == 1.4018
}

test_max_risk_pct_is_capped_by_the_constitution if {
	d := decide_patch({
		"bot": {"rule_set": "constitution"},
		"account": {"equity": 100000, "day_start_balance": 100000, "peak_equity": 100000, "open_risk": 0},
	})
	d.max_risk_pct == 3
	d2 := decide_patch({
		"bot": {"rule_set": "constitution"},
		"account": {"equity": 300000, "day_start_balance": 300000, "peak_equity": 300000, "open_risk": 0},
	})
	d2.max_risk_pct == 3
}

test_max_risk_pct_is_capped_by_the_profile if {
	decide(strict_fresh).max_risk_pct == 1
}

test_max_risk_pct_is_zero_when_nothing_is_left if {
	decide_patch({"account": {"open_risk": 5000}}).max_risk_pct == 0
	decide_patch({"account": {"equity": 80000}}).max_risk_pct == 0
}

test_max_risk_pct_is_zero_when_the_input_or_profile_is_unusable if {
	decide(json.remove(base, ["account/open_risk"])).max_risk_pct == 0
	decide_patch({"bot": {"rule_set": "nope"}}).max_risk_pct == 0
	decide_patch({"account": {"equity": 0}}).max_risk_pct == 0
	decide_patch({"account": {"equity": -10}}).max_risk_pct == 0
	decide_patch({"bot": {"rule_set": "test"}}).max_risk_pct == 0 with data.hive.profiles as profiles_with({"weekend_holding": 1})
}

test_max_risk_pct_sized_order_passes_every_check if {
	budget := decide(base).max_risk_pct
	amount := (budget * 98800) / 100
	d := decide_patch({"order": {"risk_amount": amount, "risk_pct": budget}})
	d.allow == true
}
