"""signal-parser settings from the environment (prefix HIVE_); a bad value stops the start with
one line per variable (`hive.config.load_settings`)."""

from __future__ import annotations

from pydantic import Field

from hive.config import ServiceSettings


class ParserSettings(ServiceSettings):
    service_name: str = "signal-parser"
    # Below this confidence a reading is dead-lettered as low_confidence, never traded.
    parser_min_confidence: float = Field(0.6, ge=0.0, le=1.0)
    # Rebuild reply/latest-open links by replaying the consumed raw messages at start-up.
    parser_restore_state: bool = True
