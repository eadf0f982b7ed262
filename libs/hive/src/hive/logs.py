"""One log format for every hive process: time, level, service, logger, message."""

from __future__ import annotations

import logging
import os


def configure_logging(service: str) -> None:
    level = os.environ.get("HIVE_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format=f"%(asctime)s %(levelname)s {service} %(name)s: %(message)s",
    )
