# Account limits (constitution and profile)
#
# Loss limits on the account state and the risk of the new position. All checks are worst case:
# the new position and every open one are assumed to hit their stops.
#
# - loss today = day_start_balance - equity (a profit is a negative loss);
# - projected loss today = loss today + open_risk + the order's risk_amount;
# - projected equity = equity - open_risk - the order's risk_amount.
#
# A limit already reached denies with *_reached; a limit the new position could break denies
# with *_headroom.
package hive.risk

import data.hive.constitution

# Tolerance for money and percentage comparisons (rounding in the gate's sizing).
_eps := 0.000001

_codes := {
	"constitution": {
		"reached": "constitution.daily_loss_reached",
		"headroom": "constitution.daily_loss_headroom",
	},
	"profile": {
		"reached": "profile.daily_loss_reached",
		"headroom": "profile.daily_loss_headroom",
	},
	"constitution.max_drawdown": {
		"reached": "constitution.max_drawdown_reached",
		"headroom": "constitution.max_drawdown_headroom",
	},
	"profile.max_loss": {
		"reached": "profile.max_loss_reached",
		"headroom": "profile.max_loss_headroom",
	},
}

loss_today := input.account.day_start_balance - input.account.equity

projected_loss_today := (loss_today + input.account.open_risk) + input.order.risk_amount

projected_equity := (input.account.equity - input.account.open_risk) - input.order.risk_amount

# ---- daily loss ---------------------------------------------------------------------------------

deny contains _codes[rule].reached if {
	some rule, limit in daily_loss_limit
	loss_today >= limit
}

deny contains _codes[rule].headroom if {
	some rule, limit in daily_loss_limit
	loss_today < limit
	projected_loss_today > limit + _eps
}

# ---- drawdown (constitution) and max loss (profile) ---------------------------------------------

deny contains _codes[rule].reached if {
	some rule, level in equity_floor
	input.account.equity <= level
}

deny contains _codes[rule].headroom if {
	some rule, level in equity_floor
	input.account.equity > level
	projected_equity < level - _eps
}

# ---- the new position ---------------------------------------------------------------------------

# No stop loss: the risk is undefined, and the constitution caps risk.
default has_stop_loss := false

has_stop_loss if {
	is_number(input.signal.stop_loss)
	input.signal.stop_loss > 0
}

deny contains "constitution.no_stop_loss" if not has_stop_loss

# The order's risk in % of equity: the larger of what the gate says and what its amount is.
order_risk_pct := max([input.order.risk_pct, (input.order.risk_amount * 100) / input.account.equity]) if {
	input.account.equity > 0
}

deny contains "constitution.max_risk_per_position" if {
	order_risk_pct > constitution.max_risk_per_position_pct + _eps
}

deny contains "profile.max_risk_per_trade" if order_risk_pct > _p_risk_cap + _eps

# ---- the risk budget ----------------------------------------------------------------------------

# What the new position may still lose, in account currency, under each loss limit, once the
# open positions hit their stops.
room contains (limit - loss_today) - input.account.open_risk if {
	some limit in daily_loss_limit
}

room contains (input.account.equity - input.account.open_risk) - level if {
	some level in equity_floor
}

# The largest risk per position the rules allow now, in % of equity: the per-position caps and the
# smallest room. Rounded down to 4 decimals, never below 0; 0 when the input or the profile is not
# usable.
default max_risk_pct := 0

max_risk_pct := max([0, min([max_risk_per_position_pct, _room_pct])]) if {
	input_ok
	profile_ok
	input.account.equity > 0
}

_room_pct := floor((min(room) * 1000000) / input.account.equity) / 10000
