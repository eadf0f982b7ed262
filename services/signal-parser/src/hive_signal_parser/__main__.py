"""Entry point: `python -m hive_signal_parser` (or the `hive-signal-parser` script)."""

from __future__ import annotations

import logging
from typing import Any

from hive.config import load_settings
from hive.contracts import CodecRegistry, load_catalogue
from hive.contracts.serde import make_registry_client
from hive.logs import configure_logging
from hive.runtime.replay import replay_topics
from hive.runtime.service import run_service
from hive_signal_parser.config import ParserSettings
from hive_signal_parser.parser import SignalParser
from hive_signal_parser.service import PARSED, RAW, UPDATES, make_handler, restore

log = logging.getLogger("hive_signal_parser")


def _event_order(item: tuple[str, dict[str, Any]]) -> tuple[float, int]:
    topic, value = item
    ts = value["ts_event"]
    return (ts.timestamp() if hasattr(ts, "timestamp") else ts / 1000, 0 if topic == PARSED else 1)


def main() -> int:
    settings = load_settings(ParserSettings)
    configure_logging(settings.service_name)
    parser = SignalParser(min_confidence=settings.parser_min_confidence)
    if settings.parser_restore_state:
        codecs = CodecRegistry(make_registry_client(settings.schema_registry_url), load_catalogue())
        published: list[tuple[str, dict[str, Any]]] = []
        replay_topics(
            settings.kafka_bootstrap,
            [PARSED, UPDATES],
            codecs,
            lambda topic, value: published.append((topic, value)),
        )
        # Partitions interleave arbitrarily: put signals and their updates back in event order.
        for topic, value in sorted(published, key=_event_order):
            restore(parser, topic, value)
        log.info("restored link state from %d published record(s)", len(published))
    return run_service(settings, [RAW], [PARSED, UPDATES], make_handler(parser))


if __name__ == "__main__":
    raise SystemExit(main())
