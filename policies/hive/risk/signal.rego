# Signal quality
#
# The enricher's flags (stale, implausible, stop on the wrong side, no market data) and the
# minimum confidence (the constitution's 0.40, or a profile's higher minimum).
package hive.risk

_signal_flags := {
	"stale": "signal.stale",
	"implausible": "signal.implausible",
	"wrong_side_stop": "signal.wrong_side_stop",
	"no_market_data": "signal.no_market_data",
}

deny contains code if {
	some flag, code in _signal_flags
	input.signal[flag] == true
}

deny contains "confidence.below_minimum" if input.signal.confidence < min_confidence
