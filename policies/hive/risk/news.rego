# News blackout
#
# A profile with a news_blackout refuses new positions from `before_minutes` before to
# `after_minutes` after (both inclusive) every high-impact event of the calendar
# (data.hive.calendar, policies/hive/calendar/data.json) in a currency the symbol is exposed to:
# a currency code contained in the symbol (EURUSD: EUR and USD; XAUUSD: USD) or listed for it
# in the calendar's symbol_currencies (US30: USD). The time is input.time.ts.
package hive.risk

_minute_ms := 60000

# The events whose blackout window holds the decision time (ids; titles when an event has none).
blackout_events contains object.get(event, "id", object.get(event, "title", "")) if {
	window := profile.news_blackout
	is_object(window)
	some event in _calendar_events
	object.get(event, "impact", "high") == "high"
	input.time.ts >= event.ts - (window.before_minutes * _minute_ms)
	input.time.ts <= event.ts + (window.after_minutes * _minute_ms)
	some currency in event.currencies
	_exposed(input.signal.symbol, currency)
}

deny contains "news.blackout" if count(blackout_events) > 0

_exposed(symbol, currency) if contains(upper(symbol), upper(currency))

_exposed(symbol, currency) if upper(currency) in data.hive.calendar.symbol_currencies[upper(symbol)]

# A calendar that cannot be read would silently turn the blackout off: profiles that use it
# refuse new positions instead (news.calendar_invalid). The messages are in calendar_errors.
deny contains "news.calendar_invalid" if {
	is_object(profile.news_blackout)
	count(calendar_errors) > 0
}

# (`not f(x.y)` is undefined, not true, when x.y is undefined: negated calls get defined arguments.)
default _calendar_events := null

_calendar_events := data.hive.calendar.events

calendar_errors contains "data.hive.calendar.events: a list is required" if {
	not is_array(_calendar_events)
}

calendar_errors contains sprintf("events[%d]: an object is required", [i]) if {
	some i, event in _calendar_events
	not is_object(event)
}

calendar_errors contains sprintf("events[%d]: ts (epoch ms) must be a number", [i]) if {
	some i, event in _calendar_events
	not is_number(object.get(event, "ts", null))
}

calendar_errors contains sprintf("events[%d]: currencies must be a list of currency codes", [i]) if {
	some i, event in _calendar_events
	not _codes_list(object.get(event, "currencies", null))
}

calendar_errors contains sprintf("events[%d]: impact must be high, medium or low", [i]) if {
	some i, event in _calendar_events
	not object.get(event, "impact", "high") in {"high", "medium", "low"}
}

_codes_list(xs) if {
	is_array(xs)
	count(xs) > 0
	every x in xs {
		is_string(x)
		x != ""
	}
}
