package hive.risk_test

test_each_signal_flag_denies_with_its_code if {
	every flag, code in {
		"stale": "signal.stale",
		"implausible": "signal.implausible",
		"wrong_side_stop": "signal.wrong_side_stop",
		"no_market_data": "signal.no_market_data",
	} {
		decide_patch({"signal": {flag: true}}).reasons == [code]
	}
}

test_several_flags_are_all_reported if {
	d := decide_patch({"signal": {"stale": true, "no_market_data": true}})
	d.reasons == ["signal.no_market_data", "signal.stale"]
}

test_confidence_at_the_minimum_is_allowed if {
	decide_patch({"signal": {"confidence": 0.4}}).allow == true
}

test_confidence_below_the_minimum_is_denied if {
	decide_patch({"signal": {"confidence": 0.3999}}).reasons == ["confidence.below_minimum"]
	decide_patch({"signal": {"confidence": 0}}).reasons == ["confidence.below_minimum"]
}
