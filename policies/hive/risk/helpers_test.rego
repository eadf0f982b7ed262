# Shared fixtures of the hive.risk tests.
package hive.risk_test

import data.hive.risk

# The contract's example: an FTMO 2-Step bot, a clean EURUSD buy on Wednesday 14 June 2017 at
# 08:05 UTC (the FOMC statement is at 18:00 UTC that day). Allowed; the binding limit is the
# constitution's daily loss: 3 % of 99,500 = 2,985, of which 700 is lost and 900 at risk.
base := {
	"signal": {
		"signal_id": "fx-vip:18423:0", "source": "fx-vip", "symbol": "EURUSD",
		"direction": "BUY", "order_type": "MARKET",
		"entry": 1.1208, "stop_loss": 1.1175, "take_profits": [1.124, 1.127],
		"ts_event": 1497427511000,
		"regime": "TREND", "confidence": 0.62,
		"stale": false, "implausible": false, "wrong_side_stop": false, "no_market_data": false,
	},
	"bot": {
		"bot_id": "ftmo-eu-1", "cell_id": "ftmo", "rule_set": "ftmo_2step",
		"allowed_symbols": ["EURUSD", "XAUUSD"], "strategy_card": "follow",
		"allowed_cards": [], "status": "ACTIVE", "mode": "PAPER",
	},
	"account": {
		"currency": "USD", "initial_balance": 100000, "balance": 99000, "equity": 98800,
		"day_start_balance": 99500, "peak_equity": 101000,
		"open_positions": 2, "open_risk": 900,
		"holds_weekend_positions": false,
	},
	"order": {"risk_amount": 500, "risk_pct": 0.506, "reduces_exposure": false},
	"breaker": {"mode": "NONE"},
	"time": {"ts": 1497427511000, "weekday": 2, "hour_utc": 8, "minute_utc": 5},
}

# The base input with `patch` merged in (nested objects key by key).
with_patch(patch) := object.union(base, patch)

# The decision for an input.
decide(inp) := d if {
	d := risk.decision with input as inp
}

# The decision for the base input with a patch.
decide_patch(patch) := decide(with_patch(patch))

# The same input as a close / reduction.
as_exit(inp) := object.union(inp, {"order": {"reduces_exposure": true}})

# A fresh strict account (no loss yet, nothing open).
strict_fresh := with_patch({
	"bot": {"rule_set": "strict"},
	"account": {"equity": 100000, "day_start_balance": 100000, "peak_equity": 100000, "open_risk": 0},
	"order": {"risk_amount": 500, "risk_pct": 0.5},
})

# The FOMC statement of 14 June 2017, 18:00 UTC.
fomc_2017_06_14 := 1497463200000

minute_ms := 60000

at_time(ts, weekday, hour) := with_patch({"time": {"ts": ts, "weekday": weekday, "hour_utc": hour, "minute_utc": 0}})

# A profiles document with one more profile, `test`.
profiles_with(p) := object.union(data.hive.profiles, {"test": p})

allowed_exit(d) if {
	d.allow == true
	d.reasons == []
	d.size_multiplier == 1
	d.shadow == false
}
