package hive.constitution_test

import data.hive.constitution
import data.hive.risk

test_constitution_values if {
	constitution.max_risk_per_position_pct == 5
	constitution.max_daily_loss_pct == 3
	constitution.max_drawdown_pct == 10
	constitution.min_confidence == 0.4
	constitution.max_changes_per_day == 3
	constitution.max_active_rules == 50
}

test_constitution_limits_document if {
	constitution.limits == {
		"max_risk_per_position_pct": 5,
		"max_daily_loss_pct": 3,
		"max_drawdown_pct": 10,
		"min_confidence": 0.4,
		"max_changes_per_day": 3,
		"max_active_rules": 50,
	}
}

test_constitution_is_not_read_from_data_or_input if {
	# Data under another path or input cannot change it.
	inp := {"constitution": {"max_daily_loss_pct": 50}, "order": {"reduces_exposure": true}}
	d := risk.decision with input as inp with data.hive.profiles.constitution as {"daily_loss_pct": 50}
	d.limits.daily_loss_pct == 3
	constitution.max_daily_loss_pct == 3 with input as inp
}
