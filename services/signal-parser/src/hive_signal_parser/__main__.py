"""Entry point: `python -m hive_signal_parser` (or the `hive-signal-parser` script)."""

from __future__ import annotations

from hive.config import load_settings
from hive.runtime.service import run_service
from hive.topics import SIGNALS_PARSED, SIGNALS_RAW, SIGNALS_UPDATES
from hive_signal_parser.config import ParserSettings
from hive_signal_parser.parser import SignalParser
from hive_signal_parser.service import make_handler


def main() -> int:
    settings = load_settings(ParserSettings)
    parser = SignalParser(min_confidence=settings.parser_min_confidence)
    return run_service(
        settings,
        [SIGNALS_RAW],
        [SIGNALS_PARSED, SIGNALS_UPDATES],
        make_handler(parser),
        # Reply links and open signals are rebuilt from the raw messages already consumed.
        restore_state=settings.parser_restore_state,
    )


if __name__ == "__main__":
    raise SystemExit(main())
