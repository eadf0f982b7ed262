"""The hub's app for the fuzz run: `python bench/fuzz/serve_hub.py PORT` (uvicorn on 127.0.0.1).

Settings from the environment as `python -m hive_hub` reads them (HIVE_DATABASE_URL and
HIVE_DATABASE_SCHEMA: the real PostgreSQL, migrated at start; HIVE_HUB_API_KEYS,
HIVE_HUB_ADMIN_KEY, HIVE_HUB_WEBHOOK_SECRETS). No projections, and an outbox that encodes every
record with its topic's registered Avro schema exactly as the Kafka outbox does (a record the
contract refuses is the same PublishError, i.e. a 503) but keeps it in memory instead of
publishing: fuzzed admin and operator calls would otherwise put random commands (a kill switch
among them) on the shared control topic other services read.

GET /__fuzz/outbox answers what was accepted: counts per (topic, role, action or command).
"""

from __future__ import annotations

import signal
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

import uvicorn


def main() -> int:
    from hive.config import load_settings
    from hive.contracts import CodecRegistry, load_catalogue
    from hive.contracts.serde import make_registry_client
    from hive.logs import configure_logging
    from hive.topics import CONTROL_COMMANDS
    from hive_hub.app import create_app
    from hive_hub.outbox import MemoryOutbox, Out, PublishError
    from hive_hub.settings import HubSettings

    settings = load_settings(HubSettings)
    configure_logging(settings.service_name)
    codecs = CodecRegistry(make_registry_client(settings.schema_registry_url), load_catalogue())
    accepted: Counter[str] = Counter()

    class EncodingOutbox(MemoryOutbox):
        def _send(self, records: Sequence[Out]) -> None:
            try:
                for r in records:
                    r.key.encode()
                    codecs.codec(r.topic).encode(r.value)
            except ValueError as exc:  # as KafkaOutbox._send
                raise PublishError(f"record refused by its schema: {exc}") from exc
            for r in records:
                v = r.value
                what = v.get("command") if r.topic == CONTROL_COMMANDS else v.get("action")
                accepted[f"{r.topic}|{v.get('role', '')}|{what or ''}"] += 1

    app = create_app(settings, outbox=EncodingOutbox("hub-api-fuzz"), projections=False)

    @app.get("/__fuzz/outbox", include_in_schema=False)
    async def outbox() -> dict[str, Any]:
        return dict(accepted)

    # As hive_hub.__main__: after uvicorn's graceful stop its re-raised signal ends nothing.
    signal.signal(signal.SIGTERM, lambda *_: None)
    signal.signal(signal.SIGINT, lambda *_: None)
    port = int(sys.argv[1])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
