"""`POST /v1/ingest/webhook`: TradingView-style JSON alerts and plain text onto signals.raw.

Authenticated per source: the source's token (HIVE_HUB_WEBHOOK_SECRETS holds its SHA-256) in
the `X-Hive-Token` header, checked before the body is read (hive_hub.guard); a token in the
query string is refused (400), since URLs end up in logs. A sender that cannot set headers
needs a relay that can. Rate limited per source (token bucket, 429 with Retry-After).

The message id is the sender's own id when it gives one (`Idempotency-Key` header, or `alert_id`
/ `id` in a JSON body), so a retried delivery is the same raw record; otherwise it is made from
the arrival time and the body's hash.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request
from pydantic import BaseModel

from hive.intake.records import raw_record
from hive.topics import SIGNALS_RAW
from hive_hub.deps import HubDep
from hive_hub.outbox import AuditEntry, Out

router = APIRouter(prefix="/v1/ingest", tags=["ingest"])

SOURCE = r"^[a-z0-9][a-z0-9._-]*$"
_ID_KEYS = ("alert_id", "id")
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object", "additionalProperties": True}},
            "text/plain": {"schema": {"type": "string", "minLength": 1}},
        },
    }
}


class Accepted(BaseModel):
    event_id: str
    source: str
    message_id: str
    content_type: str


def _message_id(explicit: str | None, body: Any, text: str, now: int) -> str:
    if explicit:
        return explicit
    if isinstance(body, dict):
        for k in _ID_KEYS:
            v = body.get(k)
            if isinstance(v, str | int) and not isinstance(v, bool) and str(v).strip():
                return str(v).strip()[:200]
    return f"{now}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


@router.post(
    "/webhook",
    status_code=202,
    openapi_extra=_BODY,
    responses={
        400: {"description": "A token in the query string (send it in X-Hive-Token)"},
        401: {"description": "Unknown source or wrong token"},
        413: {"description": "Body too large"},
        415: {"description": "Neither JSON nor text"},
        422: {"description": "Empty body, bad JSON or not UTF-8"},
        429: {"description": "Rate limit of the source reached (Retry-After)"},
        503: {"description": "Kafka did not take the record"},
    },
    summary="Ingest a webhook alert (JSON or text) from a source",
)
async def webhook(
    *,
    request: Request,
    hub: HubDep,
    source: Annotated[str, Query(pattern=SOURCE, max_length=128)],
    x_hive_token: Annotated[str | None, Header(max_length=500)] = None,
    idempotency_key: Annotated[
        str | None, Header(max_length=200, pattern=r"^[A-Za-z0-9._:-]+$")
    ] = None,
) -> Accepted:
    if not hub.webhooks.check(source, x_hive_token):  # the front door checked it already
        raise HTTPException(401, "unknown source or wrong token")
    wait = hub.buckets.take(source)
    if wait > 0:
        retry = str(max(1, math.ceil(wait)))
        raise HTTPException(429, "rate limit reached", headers={"Retry-After": retry})
    # At most HIVE_HUB_MAX_BODY_BYTES: a longer body is refused (413) while it streams in.
    data = await request.body()
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("application/json", "text/plain", ""):
        raise HTTPException(415, "send application/json or text/plain")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(422, "the body is not UTF-8") from None
    if not text.strip():
        raise HTTPException(422, "the body is empty")
    body: Any = None
    kind = "TEXT"
    if ctype == "application/json":
        try:
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            raise HTTPException(422, f"the body is not valid JSON: {exc}") from None
        except RecursionError:  # e.g. 20,000 nested arrays: the decoder's stack runs out
            raise HTTPException(422, "the body's JSON is nested too deeply") from None
        if not isinstance(body, dict | list):
            raise HTTPException(422, "a JSON body must be an object or a list of objects")
        kind = "JSON"
    now = hub.clock()
    message_id = _message_id(idempotency_key, body, text, now)
    client = request.client.host if request.client else "unknown"
    record = raw_record(
        source=source,
        channel_kind="WEBHOOK",
        message_id=message_id,
        text=text,
        posted_at_ms=now,
        content_type=kind,
        attributes={"remote_addr": client, "path": request.url.path},
    )
    record["ts_init"] = now  # live intake: the wall clock (signals_raw.avsc)
    await hub.emit(
        [Out(SIGNALS_RAW, source, record)],
        AuditEntry(
            ts=now,
            actor=f"webhook:{source}",
            role="SYSTEM",
            action="SIGNAL_INGESTED",
            scope_level="GLOBAL",
            scope_id="global",
            details={"event_id": record["event_id"], "bytes": len(data), "content_type": kind},
            cause_event_id=record["event_id"],
        ),
    )
    return Accepted(
        event_id=record["event_id"], source=source, message_id=message_id, content_type=kind
    )
