package hive.risk_test

test_no_breaker_full_size_real_orders if {
	d := decide(base)
	d.size_multiplier == 1
	d.shadow == false
}

test_shadow_mode_allows_simulated_only if {
	d := decide_patch({"breaker": {"mode": "SHADOW_MODE"}})
	d.allow == true
	d.shadow == true
	d.size_multiplier == 1
	d.reasons == ["breaker.shadow_mode"]
}

test_reduced_capacity_halves_the_size if {
	d := decide_patch({"breaker": {"mode": "REDUCED_CAPACITY"}})
	d.allow == true
	d.shadow == false
	d.size_multiplier == 0.5
	d.reasons == ["breaker.reduced_capacity"]
}

test_safe_mode_and_halted_open_nothing if {
	decide_patch({"breaker": {"mode": "SAFE_MODE"}}).reasons == ["breaker.safe_mode"]
	decide_patch({"breaker": {"mode": "HALTED"}}).reasons == ["breaker.halted"]
	decide_patch({"breaker": {"mode": "HALTED"}}).allow == false
}

test_paused_and_locked_bots_open_nothing if {
	decide_patch({"bot": {"status": "PAUSED"}}).reasons == ["bot.paused"]
	decide_patch({"bot": {"status": "LOCKED"}}).reasons == ["bot.locked"]
}

test_informational_codes_are_not_listed_with_denials if {
	d := decide_patch({"breaker": {"mode": "SHADOW_MODE"}, "signal": {"stale": true}})
	d.allow == false
	d.reasons == ["signal.stale"]
	d.shadow == true
	d2 := decide_patch({"breaker": {"mode": "REDUCED_CAPACITY"}, "signal": {"stale": true}})
	d2.reasons == ["signal.stale"]
	d2.size_multiplier == 0.5
}

test_exits_in_every_breaker_mode_and_bot_status if {
	every mode in ["NONE", "SHADOW_MODE", "REDUCED_CAPACITY", "SAFE_MODE", "HALTED"] {
		every status in ["ACTIVE", "PAUSED", "LOCKED"] {
			allowed_exit(decide(as_exit(with_patch({"breaker": {"mode": mode}, "bot": {"status": status}}))))
		}
	}
}
