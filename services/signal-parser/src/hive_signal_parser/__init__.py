"""Trading Hive signal-parser: raw channel messages to signals, updates or a reasoned rejection."""

from hive_signal_parser.parser import ParseResult, Rejection, SignalParser
from hive_signal_parser.validate import validate_signal

__version__ = "0.1.0"

__all__ = ["ParseResult", "Rejection", "SignalParser", "__version__", "validate_signal"]
