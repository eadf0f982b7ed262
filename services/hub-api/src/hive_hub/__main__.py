"""Entry point: `python -m hive_hub` (uvicorn on HIVE_HUB_HOST:HIVE_HUB_PORT, 127.0.0.1:8080);
wiring only: settings, app, server."""

from __future__ import annotations

from hive.audit_anchor import AuditVerifySettings
from hive.audit_keys import audit_signer
from hive.config import load_settings
from hive.logs import configure_logging
from hive_hub.app import create_app
from hive_hub.server import serve
from hive_hub.settings import HubSettings


def main() -> int:
    settings = load_settings(HubSettings)
    # Exit 2 with one line if HIVE_AUDIT_SIGNING_KEY or HIVE_AUDIT_PUBLIC_KEYS is unreadable.
    signer = audit_signer()
    load_settings(AuditVerifySettings)
    configure_logging(settings.service_name)
    return serve(create_app(settings, audit_signer=signer), settings)


if __name__ == "__main__":
    raise SystemExit(main())
