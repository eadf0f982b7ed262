"""Entry point: `python -m hive_enricher`."""

from __future__ import annotations

from hive.config import load_settings
from hive.runtime.service import run_service
from hive.topics import SIGNALS_ENRICHED
from hive_enricher.enricher import Enricher
from hive_enricher.service import INPUTS, make_handler
from hive_enricher.settings import EnricherSettings


def main() -> int:
    settings = load_settings(EnricherSettings)
    try:
        enricher = Enricher(settings.enricher_config())
    except ValueError as exc:
        raise SystemExit(f"invalid enricher configuration: {exc}") from None
    # Bar history and waiting signals are rebuilt from the records consumed before a restart.
    return run_service(
        settings, INPUTS, [SIGNALS_ENRICHED], make_handler(enricher), restore_state=True
    )


if __name__ == "__main__":
    raise SystemExit(main())
