# Weekend holding
#
# A profile without weekend holding (weekend_holding: false) refuses new positions from Friday
# 20:00 UTC to Sunday 23:59 UTC: a position opened then would be held over the weekend. Exits
# stay allowed; flattening before the close is the executor's and the governor's job.
# weekday: 0 = Monday ... 6 = Sunday.
package hive.risk

_friday := 4

_weekend_days := {5, 6}

_friday_cutoff_hour_utc := 20

weekend_window if input.time.weekday in _weekend_days

weekend_window if {
	input.time.weekday == _friday
	input.time.hour_utc >= _friday_cutoff_hour_utc
}

deny contains "weekend.no_new_positions" if {
	profile.weekend_holding == false
	weekend_window
}
