# Profiles and effective limits
#
# The bot's rule set names a prop-firm profile in data.hive.profiles (policies/hive/profiles/
# data.json). The effective limits are the tighter of the constitution and the profile; the
# decision reports them in `limits`. An unknown or malformed profile denies (fail closed).
package hive.risk

import data.hive.constitution

# The bot's profile; undefined when its name is unknown.
profile := data.hive.profiles[input.bot.rule_set]

deny contains "profile.unknown" if {
	is_string(input.bot.rule_set)
	not data.hive.profiles[input.bot.rule_set]
}

deny contains "profile.invalid" if {
	some p in [profile]
	not profile_ok
}

# The bot's profile is known and well formed. The decision uses this one conjunction;
# profile_errors says what is wrong and is evaluated only to explain a denial (the tests keep the
# two in step). Limits set to null count as absent.
default profile_ok := false

profile_ok if {
	is_object(profile)
	count(object.keys(profile) - _profile_keys) == 0
	_optional_percentage(object.get(profile, "daily_loss_pct", null))
	_optional_percentage(object.get(profile, "max_loss_pct", null))
	_optional_percentage(object.get(profile, "max_risk_per_trade_pct", null))
	_daily_loss_basis_ok
	_optional_confidence(object.get(profile, "min_confidence", null))
	is_boolean(profile.weekend_holding)
	_blackout_ok(object.get(profile, "news_blackout", "missing"))
	_optional_string_list(object.get(profile, "allowed_symbols", null))
	_optional_string_list(object.get(profile, "allowed_cards", null))
}

_optional_percentage(null)

_optional_percentage(x) if _percentage(x)

_optional_confidence(null)

_optional_confidence(x) if _confidence(x)

_optional_string_list(null)

_optional_string_list(x) if _string_list(x)

_daily_loss_basis_ok if object.get(profile, "daily_loss_pct", null) == null

_daily_loss_basis_ok if profile.daily_loss_basis in _daily_loss_bases

# ---- what is wrong with the profile, key by key ------------------------------------------------

_profile_keys := {
	"title", "firm", "notes",
	"daily_loss_pct", "daily_loss_basis", "max_loss_pct", "max_risk_per_trade_pct",
	"min_confidence", "weekend_holding", "news_blackout", "allowed_symbols", "allowed_cards",
}

_percent_keys := {"daily_loss_pct", "max_loss_pct", "max_risk_per_trade_pct"}

_daily_loss_bases := {"initial_balance", "day_start_balance"}

# Careful: OPA evaluates `not f(x.y)` as undefined (not true) when x.y is undefined, so the
# arguments of negated calls below are always defined (object.get with a default).

# Present and not null.
_set(key) := profile[key] if profile[key] != null

profile_errors contains "a profile must be an object" if {
	some p in [profile]
	not is_object(p)
}

profile_errors contains sprintf("unknown key %q", [key]) if {
	some key, _ in profile
	not key in _profile_keys
}

profile_errors contains sprintf("%s: a percentage above 0 and at most 100 is required", [key]) if {
	some key in _percent_keys
	x := _set(key)
	not _percentage(x)
}

profile_errors contains sprintf("daily_loss_basis: one of %v is required", [sort(_daily_loss_bases)]) if {
	_set("daily_loss_pct")
	not object.get(profile, "daily_loss_basis", null) in _daily_loss_bases
}

profile_errors contains "min_confidence: a number between 0 and 1 is required" if {
	c := _set("min_confidence")
	not _confidence(c)
}

profile_errors contains "weekend_holding: true or false is required" if {
	profile
	not is_boolean(object.get(profile, "weekend_holding", null))
}

profile_errors contains "news_blackout: null or {\"before_minutes\": n, \"after_minutes\": n} is required" if {
	profile
	not _blackout_ok(object.get(profile, "news_blackout", "missing"))
}

profile_errors contains sprintf("%s: a list of strings is required", [key]) if {
	some key in {"allowed_symbols", "allowed_cards"}
	x := _set(key)
	not _string_list(x)
}

_percentage(x) if {
	is_number(x)
	x > 0
	x <= 100
}

_confidence(x) if {
	is_number(x)
	x >= 0
	x <= 1
}

_blackout_ok(null)

_blackout_ok(b) if {
	is_object(b)
	count(object.keys(b) - {"before_minutes", "after_minutes"}) == 0
	_non_negative_number(b.before_minutes)
	_non_negative_number(b.after_minutes)
}

_string_list(xs) if {
	is_array(xs)
	every x in xs {
		is_string(x)
	}
}

# ---- effective limits -----------------------------------------------------------------------

_p_daily_pct := profile.daily_loss_pct if _percentage(profile.daily_loss_pct)

_p_max_loss_pct := profile.max_loss_pct if _percentage(profile.max_loss_pct)

_p_risk_cap := profile.max_risk_per_trade_pct if _percentage(profile.max_risk_per_trade_pct)

_p_min_confidence := profile.min_confidence if _confidence(profile.min_confidence)

# The amount the profile's daily limit is a percentage of.
_p_daily_basis := input.account.initial_balance if profile.daily_loss_basis == "initial_balance"

_p_daily_basis := input.account.day_start_balance if profile.daily_loss_basis == "day_start_balance"

# Today's loss limits in account currency, by the rule that sets them. (Multiply before dividing:
# OPA's integer arithmetic is much cheaper than its decimal arithmetic.)
daily_loss_limit["constitution"] := (constitution.max_daily_loss_pct * input.account.day_start_balance) / 100

daily_loss_limit["profile"] := (_p_daily_pct * _p_daily_basis) / 100

# The equity below which a rule is broken, by rule. Drawdown is measured from the peak equity;
# the initial balance and the current equity are equities the account has had, so the peak is
# never taken below them (a stale or missing peak cannot loosen the hard stop).
_peak := max([input.account.peak_equity, input.account.initial_balance, input.account.equity])

equity_floor["constitution.max_drawdown"] := _peak - ((_peak * constitution.max_drawdown_pct) / 100)

equity_floor["profile.max_loss"] := input.account.initial_balance - ((input.account.initial_balance * _p_max_loss_pct) / 100)

max_risk_per_position_pct := min({constitution.max_risk_per_position_pct} | {x | x := _p_risk_cap})

min_confidence := max({constitution.min_confidence} | {x | x := _p_min_confidence})

# The constitution's 10 % drawdown hard stop from a peak that is at least the initial balance is
# never looser than a 10 % max loss of the initial balance; a profile can only tighten it.
max_loss_pct := min({constitution.max_drawdown_pct} | {x | x := _p_max_loss_pct})

# The daily limits have different bases (constitution: the day's starting balance; FTMO: the
# initial balance), so the binding one is the smaller amount; without amounts, the smaller
# percentage. Its percentage is reported.
daily_loss_pct := _p_daily_pct if {
	daily_loss_limit.profile < daily_loss_limit.constitution
} else := _p_daily_pct if {
	not daily_loss_limit.constitution
	_p_daily_pct < constitution.max_daily_loss_pct
} else := constitution.max_daily_loss_pct

limits := {
	"daily_loss_pct": daily_loss_pct,
	"max_loss_pct": max_loss_pct,
	"max_drawdown_pct": constitution.max_drawdown_pct,
	"max_risk_per_position_pct": max_risk_per_position_pct,
	"min_confidence": min_confidence,
}
