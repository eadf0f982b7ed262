# Circuit breakers and bot status
#
# breaker.mode is the fallback of the most severe open breaker over the bot, its cell and the
# whole hive (HALTED > SAFE_MODE > SHADOW_MODE > REDUCED_CAPACITY > NONE):
# - SHADOW_MODE: allowed, but simulated only (shadow: true, info breaker.shadow_mode);
# - REDUCED_CAPACITY: allowed at half size (size_multiplier: 0.5, info breaker.reduced_capacity);
# - SAFE_MODE, HALTED: no new positions (breaker.safe_mode, breaker.halted).
# A PAUSED or LOCKED bot opens nothing (bot.paused, bot.locked). Exits are always allowed.
package hive.risk

deny contains "breaker.safe_mode" if input.breaker.mode == "SAFE_MODE"

deny contains "breaker.halted" if input.breaker.mode == "HALTED"

deny contains "bot.paused" if input.bot.status == "PAUSED"

deny contains "bot.locked" if input.bot.status == "LOCKED"

info contains "breaker.shadow_mode" if input.breaker.mode == "SHADOW_MODE"

info contains "breaker.reduced_capacity" if input.breaker.mode == "REDUCED_CAPACITY"

default shadow := false

shadow if {
	not exit_order
	input.breaker.mode == "SHADOW_MODE"
}

default size_multiplier := 1

size_multiplier := 0.5 if {
	not exit_order
	input.breaker.mode == "REDUCED_CAPACITY"
}
