"""Entry point: `python -m hive_signal_parser` (or the `hive-signal-parser` script); wiring only."""

from __future__ import annotations

from hive.config import load_settings
from hive.runtime.service import run_service
from hive_signal_parser.parser import SignalParser
from hive_signal_parser.service import INPUTS, OUTPUTS, make_handler
from hive_signal_parser.settings import ParserSettings


def main() -> int:
    settings = load_settings(ParserSettings)
    parser = SignalParser(min_confidence=settings.parser_min_confidence)
    return run_service(
        settings,
        INPUTS,
        OUTPUTS,
        make_handler(parser),
        # Reply links and open signals are rebuilt from the raw messages already consumed.
        restore_state=settings.parser_restore_state,
    )


if __name__ == "__main__":
    raise SystemExit(main())
