# Symbol and strategy allowlists
#
# The bot's own lists (bot.allowed_symbols, bot.allowed_cards) and, when its profile has them,
# the profile's (allowed_symbols, allowed_cards). An empty or absent list allows everything;
# when both are set, the signal must be on both. Names are compared case-insensitively.
package hive.risk

_symbol_lists contains input.bot.allowed_symbols

_symbol_lists contains profile.allowed_symbols if is_array(profile.allowed_symbols)

_card_lists contains input.bot.allowed_cards

_card_lists contains profile.allowed_cards if is_array(profile.allowed_cards)

deny contains "allowlist.symbol" if {
	some list in _symbol_lists
	not _listed(object.get(input, ["signal", "symbol"], ""), list)
}

deny contains "allowlist.strategy" if {
	some list in _card_lists
	not _listed(object.get(input, ["bot", "strategy_card"], ""), list)
}

_listed(_, list) if count(list) == 0

_listed(name, list) if upper(name) in {upper(x) | some x in list}
