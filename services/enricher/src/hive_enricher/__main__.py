"""Entry point: `python -m hive_enricher` (wiring only: settings, enricher, handler, runtime)."""

from __future__ import annotations

from hive.config import load_settings
from hive.runtime.service import run_service
from hive_enricher.enricher import Enricher
from hive_enricher.service import INPUTS, OUTPUTS, make_handler
from hive_enricher.settings import EnricherSettings


def main() -> int:
    settings = load_settings(EnricherSettings)
    enricher = Enricher(settings.enricher_config())
    # Bar history and waiting signals are rebuilt from the records consumed before a restart.
    return run_service(settings, INPUTS, OUTPUTS, make_handler(enricher), restore_state=True)


if __name__ == "__main__":
    raise SystemExit(main())
