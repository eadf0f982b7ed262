# News blackout
#
# A profile with a news_blackout refuses new positions from `before_minutes` before to
# `after_minutes` after (both inclusive) every high-impact event of the calendar
# (data.hive.calendar, policies/hive/calendar/data.json) in a currency the symbol is exposed to:
# a currency code contained in the symbol (EURUSD: EUR and USD; XAUUSD: USD) or listed for it
# in the calendar's symbol_currencies (US30: USD). The time is input.time.ts.
package hive.risk

_minute_ms := 60000

# The decision time is in an event's blackout window when the event is between
# ts - after_minutes and ts + before_minutes (both inclusive).
_window_from := input.time.ts - (profile.news_blackout.after_minutes * _minute_ms)

_window_to := input.time.ts + (profile.news_blackout.before_minutes * _minute_ms)

# (`not f(x.y)` is undefined, not true, when x.y is undefined: negated calls get defined arguments.)
default _calendar_events := null

_calendar_events := data.hive.calendar.events

# The calendar's events whose window holds the decision time, whatever their impact or currency.
_events_in_window contains event if {
	from := _window_from
	to := _window_to
	some event in _calendar_events
	event.ts >= from
	event.ts <= to
}

# The high-impact events in the window in a currency the symbol is exposed to (their ids, or
# titles for events without an id).
blackout_events contains object.get(event, "id", object.get(event, "title", "")) if {
	some event in _events_in_window
	object.get(event, "impact", "high") == "high"
	some currency in event.currencies
	_exposed(input.signal.symbol, currency)
}

deny contains "news.blackout" if count(blackout_events) > 0

_exposed(symbol, currency) if contains(upper(symbol), upper(currency))

_exposed(symbol, currency) if upper(currency) in data.hive.calendar.symbol_currencies[upper(symbol)]

# A calendar that cannot be read would silently turn the blackout off, so profiles that use it
# refuse new positions instead (news.calendar_invalid): when the events are not a list, when an
# event's time is not a number (it could hide in any window), or when an event in the window is
# malformed. calendar_errors lists every problem of the whole calendar.
deny contains "news.calendar_invalid" if {
	is_object(profile.news_blackout)
	not calendar_ok
}

default calendar_ok := false

calendar_ok if {
	is_array(_calendar_events)
	every event in _calendar_events {
		is_number(event.ts)
	}
	every event in _events_in_window {
		_event_ok(event)
	}
}

_event_ok(event) if {
	_codes_list(object.get(event, "currencies", null))
	object.get(event, "impact", "high") in _impacts
}

_impacts := {"high", "medium", "low"}

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
	not object.get(event, "impact", "high") in _impacts
}

_codes_list(xs) if {
	is_array(xs)
	count(xs) > 0
	every x in xs {
		is_string(x)
		x != ""
	}
}
