package hive.profiles_test

import data.hive.risk

# Each shipped profile, evaluated against a bot that uses it.
errors_of(name) := e if {
	e := risk.profile_errors with input as {"bot": {"rule_set": name}}
}

limits_of(name) := l if {
	l := risk.limits with input as {"bot": {"rule_set": name}, "order": {"reduces_exposure": true}}
}

test_the_required_profiles_ship if {
	every name in ["constitution", "ftmo_2step", "strict"] {
		data.hive.profiles[name]
	}
}

test_every_shipped_profile_is_valid if {
	every name, _ in data.hive.profiles {
		errors_of(name) == set()
	}
}

test_ftmo_2step if {
	p := data.hive.profiles.ftmo_2step
	p.daily_loss_pct == 5
	p.daily_loss_basis == "initial_balance"
	p.max_loss_pct == 10
	p.weekend_holding == false
	p.news_blackout == {"before_minutes": 2, "after_minutes": 2}
	not p.max_risk_per_trade_pct
}

test_ftmo_2step_swing if {
	p := data.hive.profiles.ftmo_2step_swing
	p.daily_loss_pct == 5
	p.max_loss_pct == 10
	p.weekend_holding == true
	p.news_blackout == null
}

test_strict if {
	p := data.hive.profiles.strict
	p.daily_loss_pct == 1.5
	p.daily_loss_basis == "initial_balance"
	p.max_loss_pct == 4
	p.max_risk_per_trade_pct == 1
	p.weekend_holding == false
	p.news_blackout == {"before_minutes": 15, "after_minutes": 15}
	limits_of("strict").daily_loss_pct == 1.5
	limits_of("strict").max_loss_pct == 4
}

test_constitution_profile_adds_nothing if {
	p := data.hive.profiles.constitution
	object.keys(p) - {"title", "notes"} == {"weekend_holding", "news_blackout"}
	limits_of("constitution") == limits_of("ftmo_2step_swing")
}

test_ftmo_daily_loss_is_five_percent_of_the_initial_balance_from_the_day_start if {
	inp := {
		"bot": {"rule_set": "ftmo_2step"},
		"account": {"initial_balance": 200000, "day_start_balance": 210000, "equity": 205000},
	}
	risk.daily_loss_limit.profile == 10000 with input as inp
	risk.loss_today == 5000 with input as inp
}
