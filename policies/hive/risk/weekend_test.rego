package hive.risk_test

# 2017-06-16 is a Friday; ts only matters for news, so any ts away from the calendar's events.
friday_ts := 1497621600000

test_friday_before_20_utc_is_allowed if {
	decide(at_time(friday_ts, 4, 19)).allow == true
}

test_friday_from_20_utc_is_denied if {
	decide(at_time(friday_ts, 4, 20)).reasons == ["weekend.no_new_positions"]
	decide(at_time(friday_ts, 4, 23)).reasons == ["weekend.no_new_positions"]
}

test_saturday_and_sunday_are_denied if {
	every day in [5, 6] {
		every hour in [0, 12, 23] {
			decide(at_time(friday_ts, day, hour)).reasons == ["weekend.no_new_positions"]
		}
	}
}

test_monday_to_thursday_are_allowed_all_day if {
	every day in [0, 1, 2, 3] {
		every hour in [0, 20, 23] {
			decide(at_time(friday_ts, day, hour)).allow == true
		}
	}
}

test_profiles_with_weekend_holding_trade_at_the_weekend if {
	every rule_set in ["constitution", "ftmo_2step_swing"] {
		inp := object.union(at_time(friday_ts, 5, 12), {"bot": {"rule_set": rule_set}})
		decide(inp).allow == true
	}
}

test_strict_has_no_weekend_holding if {
	decide(object.union(strict_fresh, {"time": {"weekday": 6, "hour_utc": 12}})).reasons == ["weekend.no_new_positions"]
}

test_the_account_flag_does_not_override_the_profile if {
	inp := object.union(at_time(friday_ts, 5, 12), {"account": {"holds_weekend_positions": true}})
	decide(inp).reasons == ["weekend.no_new_positions"]
}

test_weekend_exit_is_allowed if {
	allowed_exit(decide(as_exit(at_time(friday_ts, 5, 12))))
}
