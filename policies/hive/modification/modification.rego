# METADATA
# title: The modification decision
# description: |
#   POST /v1/data/hive/modification/decision: may a bot make this change to an order it holds?
#   Input and output in policies/CONTRACT.md ("Modifications"). A change that adds no risk
#   (close, partial close, cancel, breakeven, a tighter stop, a take-profit moved) is always
#   allowed, in every breaker mode and bot status: getting out is never blocked. A stop moved
#   away from the entry adds risk and is allowed only while the bot could open a new position of
#   that risk now: within its risk per trade (the gate's sizing gives allowed_risk_pct), the
#   constitution's and its profile's cap per position, with the bot active and no breaker
#   forbidding new positions.
package hive.modification

import data.hive.risk

decision := {
	"allow": allow,
	"reasons": reasons,
	"max_risk_pct": max_risk_pct,
	"bundle_version": bundle_version,
}

# Fail closed: only an explicit `adds_risk: false` is a change without added risk.
default adds_risk := true

adds_risk := false if input.modification.adds_risk == false

default allow := false

allow if not adds_risk

allow if {
	adds_risk
	count(deny) == 0
}

reasons := [] if {
	not adds_risk
} else := sort(deny)

deny contains "input.invalid" if not input_ok

deny contains "modification.profile_unknown" if {
	is_string(input.bot.rule_set)
	not data.hive.profiles[input.bot.rule_set]
}

deny contains "modification.bot_paused" if input.bot.status == "PAUSED"

deny contains "modification.bot_locked" if input.bot.status == "LOCKED"

deny contains "modification.no_new_risk" if input.breaker.mode in {"SAFE_MODE", "HALTED"}

# Comparisons allow 1e-6 for rounding, as the entry rules do.
deny contains "modification.above_risk_per_trade" if {
	input_ok
	input.modification.risk_pct > input.modification.allowed_risk_pct + 0.000001
}

deny contains "modification.max_risk_per_position" if {
	input_ok
	input.modification.risk_pct > risk.max_risk_per_position_pct + 0.000001
}

default input_ok := false

input_ok if {
	_non_negative_number(input.modification.risk_amount)
	_non_negative_number(input.modification.risk_pct)
	_non_negative_number(input.modification.allowed_risk_pct)
	is_string(input.bot.rule_set)
	input.bot.status in {"ACTIVE", "PAUSED", "LOCKED"}
	input.breaker.mode in {"NONE", "SHADOW_MODE", "REDUCED_CAPACITY", "SAFE_MODE", "HALTED"}
}

_non_negative_number(x) if {
	is_number(x)
	x >= 0
}

# The largest risk a moved stop may leave, in % of equity; 0 when the input cannot be read.
max_risk_pct := min({input.modification.allowed_risk_pct, risk.max_risk_per_position_pct}) if {
	input_ok
} else := 0

default bundle_version := "unknown"

bundle_version := data.hive.bundle.version

reason_codes := {
	"input.invalid": "The risk gate's question about a modification is missing a field or has one of the wrong type; the stop is not moved.",
	"modification.profile_unknown": "The bot's rule set names no profile in data.hive.profiles: a stop is not moved away from the entry.",
	"modification.bot_paused": "The bot is paused: it could open nothing, so its stops are not moved away from the entry.",
	"modification.bot_locked": "The bot is locked: its stops are not moved away from the entry.",
	"modification.no_new_risk": "A breaker over the bot is in safe mode or halted: no stop is moved away from the entry.",
	"modification.above_risk_per_trade": "With the stop moved, the order would risk more than the bot's risk per trade allows now.",
	"modification.max_risk_per_position": "With the stop moved, the order would risk more than the constitution's or the profile's cap per position.",
}
