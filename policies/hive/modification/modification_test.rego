package hive.modification_test

import data.hive.modification

# A stop moved away from the entry of an FTMO 2-Step bot's order: 0.8 % of equity at risk now,
# 1 % allowed by its risk per trade. Allowed.
widening := {
	"modification": {
		"action": "MOVE_SL", "adds_risk": true,
		"risk_amount": 800, "risk_pct": 0.8, "allowed_risk_pct": 1,
	},
	"bot": {"bot_id": "ftmo-eu-1", "rule_set": "ftmo_2step", "status": "ACTIVE"},
	"account": {"currency": "USD", "equity": 100000},
	"breaker": {"mode": "NONE"},
	"time": {"ts": 1497427511000},
}

with_patch(patch) := object.union(widening, patch)

decide(inp) := d if {
	d := modification.decision with input as inp
}

test_a_widening_within_the_allowance_is_allowed if {
	d := decide(widening)
	d.allow == true
	d.reasons == []
	d.max_risk_pct == 1
	d.bundle_version == "2026.11.1"
}

denials := {
	"input.invalid": json.remove(widening, ["modification/risk_pct"]),
	"modification.profile_unknown": with_patch({"bot": {"rule_set": "no_such_firm"}}),
	"modification.bot_paused": with_patch({"bot": {"status": "PAUSED"}}),
	"modification.bot_locked": with_patch({"bot": {"status": "LOCKED"}}),
	"modification.no_new_risk": with_patch({"breaker": {"mode": "HALTED"}}),
	"modification.above_risk_per_trade": with_patch({"modification": {"risk_pct": 1.2, "risk_amount": 1200}}),
	"modification.max_risk_per_position": with_patch({"modification": {
		"risk_pct": 5.5, "risk_amount": 5500,
		"allowed_risk_pct": 6,
	}}),
}

test_each_denial_names_its_own_reason if {
	every code, inp in denials {
		d := decide(inp)
		d.allow == false
		d.reasons == [code]
	}
}

test_every_reason_code_is_explained if {
	every code, _ in denials {
		modification.reason_codes[code]
	}
	count(modification.reason_codes) == count(denials)
}

test_safe_mode_denies_a_widening if {
	decide(with_patch({"breaker": {"mode": "SAFE_MODE"}})).reasons == ["modification.no_new_risk"]
}

test_the_strict_profile_caps_a_widening_at_its_per_trade_cap if {
	d := decide(with_patch({
		"bot": {"rule_set": "strict"},
		"modification": {"risk_pct": 1.2, "risk_amount": 1200, "allowed_risk_pct": 2},
	}))
	d.allow == false
	d.reasons == ["modification.max_risk_per_position"]
	d.max_risk_pct == 1
}

# Closes, partial closes, cancels, breakeven, tighter stops and take-profit moves add no risk:
# allowed whatever the breaker, the bot's status or the profile, even with nothing else given.
test_a_change_without_added_risk_is_always_allowed if {
	every inp in [with_patch({"breaker": {"mode": "HALTED"}}), with_patch({"breaker": {"mode": "SAFE_MODE"}}), with_patch({"bot": {"status": "LOCKED"}}), with_patch({"bot": {"rule_set": "no_such_firm"}}), {}] {
		d := decide(object.union(inp, {"modification": {"action": "CLOSE_ALL", "adds_risk": false}}))
		d.allow == true
		d.reasons == []
	}
}

test_a_missing_flag_counts_as_adding_risk if {
	d := decide(json.remove(widening, ["modification/adds_risk"]))
	d.allow == true # the rest of the input is complete and within the allowance
	d2 := decide({"modification": {"action": "MOVE_SL"}})
	d2.allow == false
	d2.reasons == ["input.invalid"]
	d2.max_risk_pct == 0
}
