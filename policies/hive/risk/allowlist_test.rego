package hive.risk_test

test_listed_symbol_is_allowed if {
	decide_patch({"signal": {"symbol": "XAUUSD"}}).allow == true
}

test_unlisted_symbol_is_denied if {
	decide_patch({"signal": {"symbol": "USDJPY"}}).reasons == ["allowlist.symbol"]
}

test_empty_symbol_list_allows_every_symbol if {
	decide_patch({"signal": {"symbol": "USDJPY"}, "bot": {"allowed_symbols": []}}).allow == true
}

test_symbols_compare_case_insensitively if {
	decide_patch({"signal": {"symbol": "eurusd"}}).allow == true
	decide_patch({"bot": {"allowed_symbols": ["eurusd"]}}).allow == true
}

test_profile_symbol_list_applies_too if {
	profiles := profiles_with({"weekend_holding": true, "news_blackout": null, "allowed_symbols": ["XAUUSD"]})
	inp := with_patch({"bot": {"rule_set": "test"}})
	decide(inp).reasons == ["allowlist.symbol"] with data.hive.profiles as profiles
	decide(object.union(inp, {"signal": {"symbol": "XAUUSD"}})).allow == true with data.hive.profiles as profiles
}

test_strategy_card_lists if {
	decide_patch({"bot": {"allowed_cards": ["follow", "regime_filtered"]}}).allow == true
	decide_patch({"bot": {"allowed_cards": ["Follow"]}}).allow == true
	decide_patch({"bot": {"allowed_cards": ["regime_filtered"]}}).reasons == ["allowlist.strategy"]
	decide_patch({"bot": {"strategy_card": "martingale"}}).allow == true
}

test_profile_card_list_applies_too if {
	profiles := profiles_with({"weekend_holding": true, "news_blackout": null, "allowed_cards": ["confidence_threshold"]})
	inp := with_patch({"bot": {"rule_set": "test"}})
	decide(inp).reasons == ["allowlist.strategy"] with data.hive.profiles as profiles
	decide(object.union(inp, {"bot": {"strategy_card": "confidence_threshold"}})).allow == true with data.hive.profiles as profiles
}
