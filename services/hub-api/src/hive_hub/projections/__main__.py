"""`python -m hive_hub.projections`: the projection consumer alone (API processes then run
with HIVE_HUB_PROJECTIONS=false)."""

from __future__ import annotations

from hive.config import load_settings
from hive.logs import configure_logging
from hive.runtime.service import PreflightError
from hive_hub.db import upgrade
from hive_hub.projections.runner import Projector
from hive_hub.settings import HubSettings


def main() -> int:
    settings = load_settings(HubSettings)
    configure_logging(settings.service_name)
    upgrade(settings.database_url, schema=settings.database_schema)
    projector = Projector(settings)
    try:
        loop = projector.build()
    except PreflightError as exc:
        print(f"hub projections: {exc}")
        return 2
    loop.install_signal_handlers()
    projector.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
