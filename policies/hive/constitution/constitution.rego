# METADATA
# title: The constitution
# description: |
#   The hard limits every bot obeys, whatever its prop-firm profile says. They are constants in
#   Rego on purpose: no data document, input or API call can change them at run time. Changing one
#   is a code change, reviewed, tested and released as a new policy bundle version.
package hive.constitution

# Largest risk of one position (what it loses if its stop is hit), in % of equity.
max_risk_per_position_pct := 5

# Largest loss of one trading day, in % of the day's starting balance
# (loss today = day_start_balance - equity).
max_daily_loss_pct := 3

# Largest drawdown from peak equity, in %: a hard stop, the bot halts.
max_drawdown_pct := 10

# Smallest (calibrated) confidence a signal needs to be traded.
min_confidence := 0.4

# Enforced by the governor's change guard; published here so that there is one source.
max_changes_per_day := 3

max_active_rules := 50

# Everything above as one document (GET /v1/data/hive/constitution/limits).
limits := {
	"max_risk_per_position_pct": max_risk_per_position_pct,
	"max_daily_loss_pct": max_daily_loss_pct,
	"max_drawdown_pct": max_drawdown_pct,
	"min_confidence": min_confidence,
	"max_changes_per_day": max_changes_per_day,
	"max_active_rules": max_active_rules,
}
