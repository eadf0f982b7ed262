package hive.calendar_test

import data.hive.risk

events := data.hive.calendar.events

test_calendar_is_valid if {
	risk.calendar_errors == set()
	count(events) > 0
}

test_ts_matches_the_readable_time if {
	every event in events {
		event.ts == time.parse_rfc3339_ns(event.time_utc) / 1000000
	}
}

test_events_are_sorted_with_unique_ids if {
	ts := [e.ts | some e in events]
	ts == sort(ts)
	count({e.id | some e in events}) == count(events)
}

test_sample_holds_the_2017_fomc_and_payrolls if {
	fomc := {e.time_utc | some e in events; endswith(e.id, "-fomc")}
	fomc == {
		"2017-02-01T19:00:00Z", "2017-03-15T18:00:00Z", "2017-05-03T18:00:00Z",
		"2017-06-14T18:00:00Z", "2017-07-26T18:00:00Z", "2017-09-20T18:00:00Z",
		"2017-11-01T18:00:00Z", "2017-12-13T19:00:00Z",
	}
	nfp := [e | some e in events; endswith(e.id, "-nfp")]
	count(nfp) == 12
	every e in nfp {
		# First Friday-ish release at 08:30 New York time.
		time.weekday(e.ts * 1000000) == "Friday"
		e.currencies == ["USD"]
	}
}

test_symbol_currencies_are_upper_case if {
	every symbol, currencies in data.hive.calendar.symbol_currencies {
		symbol == upper(symbol)
		every c in currencies {
			c == upper(c)
		}
	}
}
