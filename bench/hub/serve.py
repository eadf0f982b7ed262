"""The servers bench/hub/run.py measures, one per process, on 127.0.0.1:PORT under uvicorn.

python bench/hub/serve.py hub PORT      the hub's app on the bench database (HIVE_DATABASE_URL /
                                        HIVE_DATABASE_SCHEMA, HIVE_HUB_ADMIN_KEY from the
                                        environment), no projections, no Kafka (memory outbox)
python bench/hub/serve.py bare PORT FILE  a bare FastAPI app answering each path in FILE
                                        (JSON {path: body}) with that body: the same JSON
                                        serialised by FastAPI, without the database
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request


def hub_app() -> Any:
    from hive.config import load_settings
    from hive_hub.app import create_app
    from hive_hub.outbox import MemoryOutbox
    from hive_hub.settings import HubSettings

    settings = load_settings(HubSettings)
    return create_app(settings, outbox=MemoryOutbox(), projections=False, migrate=False)


def bare_app(bodies: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/{path:path}")
    async def canned(path: str, request: Request) -> Any:
        # The query string is part of the key: /v1/signals?limit=50 and ?symbol=… differ.
        key = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return bodies[key]

    return app


def main() -> int:
    kind, port = sys.argv[1], int(sys.argv[2])
    app = hub_app() if kind == "hub" else bare_app(json.loads(Path(sys.argv[3]).read_text()))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
