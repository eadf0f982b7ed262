"""hub-api settings from the environment (prefix HIVE_); a bad value stops the start with one
line per variable (`hive.config.load_settings`; a secret's value is never echoed).

    HIVE_DATABASE_URL         read models; default sqlite+aiosqlite under $HIVE_STATE_DIR/hub.db
                              (.hive/hub.db); postgresql://… is used through asyncpg
    HIVE_HUB_HOST / _PORT     where the API and dashboard listen (127.0.0.1:8080)
    HIVE_HUB_METRICS_PORT     Prometheus /metrics of the API, on HIVE_HUB_HOST, apart from the
                              API's port (9464; 0: any free port)
    HIVE_HUB_API_KEYS         JSON {name: {"role": viewer|operator|admin, "sha256": hex}}
                              (`hive keys new` makes a key and its entry)
    HIVE_HUB_ADMIN_KEY        a bootstrap admin key (hashed at start, never kept in clear): at
                              least 32 characters, no placeholder (CHANGE-ME, ...), or the hub
                              does not start
    HIVE_HUB_WEBHOOK_SECRETS  JSON {source: sha256 hex of the source's webhook token}
    HIVE_HUB_WEBHOOK_RATE / _BURST  token bucket per webhook source (5 per s, burst 20)
    HIVE_HUB_MAX_BODY_BYTES   largest request body on any route (65536): a bigger Content-Length
                              is refused before the body is read, a chunked body once it passes
    HIVE_HUB_AUTH_FAILURES    refusals (401, 403, 413) one client address may earn ...
    HIVE_HUB_AUTH_WINDOW_S    ... within this many seconds (10 in 60) before every request of
                              it that needs a key or token is answered 429 with Retry-After
    HIVE_HUB_TRUSTED_PROXIES  comma-separated proxy addresses whose X-Forwarded-For names the
                              client (uvicorn's forwarded_allow_ips); empty (default): none, the
                              client is the connection's peer
    HIVE_HUB_PROJECTIONS      run the projection consumer in this process (true)
    HIVE_LOG_LEVEL            uvicorn's log level too (info)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from hive.config import ServiceSettings
from hive.paths import repo_root

Role = Literal["viewer", "operator", "admin"]
_HEX64 = r"^[0-9a-f]{64}$"

MIN_KEY_LENGTH = 32
MIN_KEY_DISTINCT = 10
# Text that marks a value someone was meant to replace (the examples' CHANGE-ME-hub-admin-key).
_PLACEHOLDER = re.compile(r"change[-_ .]?me|replace[-_ .]?me|placeholder|example|<[^>]*>", re.I)
# Known example values: their SHA-256 is refused wherever a digest is configured.
PLACEHOLDER_SECRETS = ("", "CHANGE-ME-hub-admin-key", "changeme", "change-me")
_PLACEHOLDER_DIGESTS = {hashlib.sha256(s.encode()).hexdigest() for s in PLACEHOLDER_SECRETS}
_MAKE_ONE = "make one with `hive keys new`"


def weak_key(key: str) -> str | None:
    """Why `key` may not be used as an API key (None: it may)."""
    if _PLACEHOLDER.search(key):
        return f"is a placeholder (CHANGE-ME or the like), not a key; {_MAKE_ONE}"
    if len(key) < MIN_KEY_LENGTH:
        return f"is {len(key)} characters long, at least {MIN_KEY_LENGTH} needed; {_MAKE_ONE}"
    if len(set(key)) < MIN_KEY_DISTINCT:
        return f"has fewer than {MIN_KEY_DISTINCT} distinct characters; {_MAKE_ONE}"
    return None


def _not_a_placeholder_digest(digest: str) -> str:
    if digest in _PLACEHOLDER_DIGESTS:
        raise ValueError(f"the SHA-256 of an example value (empty or CHANGE-ME); {_MAKE_ONE}")
    return digest


class ApiKeySpec(BaseModel):
    """One API key as configured: its role and the SHA-256 (hex) of the key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    sha256: str = Field(pattern=_HEX64)

    @field_validator("role", mode="before")
    @classmethod
    def _lower(cls, v: Any) -> Any:
        return v.strip().lower() if isinstance(v, str) else v

    @field_validator("sha256", mode="before")
    @classmethod
    def _hex(cls, v: Any) -> Any:
        return v.strip().lower() if isinstance(v, str) else v

    @field_validator("sha256")
    @classmethod
    def _known(cls, v: str) -> str:
        return _not_a_placeholder_digest(v)


def default_database_url() -> str:
    state = Path(os.environ.get("HIVE_STATE_DIR") or repo_root() / ".hive")
    return f"sqlite+aiosqlite:///{state / 'hub.db'}"


def _json_object(value: Any) -> Any:
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON ({exc})") from None
    return value


class HubSettings(ServiceSettings):
    service_name: str = "hub-api"
    database_url: str = Field(default_factory=default_database_url, min_length=1)
    # PostgreSQL only: keep the read models in this schema (created if missing), e.g. per test run.
    database_schema: str | None = Field(None, pattern=r"^[a-z_][a-z0-9_]*$")
    hub_host: str = "127.0.0.1"
    hub_port: int = Field(8080, ge=0, le=65535)
    # Prometheus scrapes the API's metrics here, never on the API's own port.
    hub_metrics_port: int = Field(9464, ge=0, le=65535)
    hub_api_keys: Annotated[dict[str, ApiKeySpec], NoDecode] = Field(default_factory=dict)
    hub_admin_key: SecretStr | None = None
    hub_webhook_secrets: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    # Token bucket per webhook source: sustained requests per second and burst size.
    hub_webhook_rate: float = Field(5.0, gt=0)
    hub_webhook_burst: int = Field(20, ge=1)
    hub_max_body_bytes: int = Field(65_536, ge=1024)
    # Refusals (401, 403, 413) per client address within the window before it gets 429s.
    hub_auth_failures: int = Field(10, ge=1)
    hub_auth_window_s: float = Field(60.0, gt=0, le=86_400)
    hub_trusted_proxies: str = ""
    hub_projections: bool = True
    # Where a new projection group starts: the whole history (default) or only what comes next.
    hub_offset_reset: Literal["earliest", "latest"] = "earliest"
    hub_audit_chain: str = Field("hub-api", pattern=r"^[a-z][a-z0-9-]*$")
    # The dashboard polls the API this often (ms).
    hub_poll_ms: int = Field(2000, ge=250)
    # The hive's log level (`hive.logs` reads it for the hub's own loggers), given to uvicorn.
    log_level: str = "info"

    _keys = field_validator("hub_api_keys", "hub_webhook_secrets", mode="before")(_json_object)

    @field_validator("hub_webhook_secrets")
    @classmethod
    def _secrets(cls, v: dict[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for source, digest in v.items():
            d = str(digest).strip().lower()
            if not re.fullmatch(_HEX64, d):
                raise ValueError(f"{source}: the SHA-256 (64 hex digits) of the token expected")
            try:
                out[source] = _not_a_placeholder_digest(d)
            except ValueError as exc:
                raise ValueError(f"{source}: {exc}") from None
        return out

    @field_validator("hub_admin_key")
    @classmethod
    def _admin(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and (why := weak_key(v.get_secret_value())):
            raise ValueError(f"the admin key {why}")
        return v

    @property
    def async_database_url(self) -> str:
        return async_url(self.database_url)

    @property
    def uvicorn_log_level(self) -> str:
        return self.log_level.lower()

    @property
    def trusted_proxies(self) -> list[str]:
        return [p.strip() for p in self.hub_trusted_proxies.split(",") if p.strip()]


def async_url(url: str) -> str:
    """postgresql:// and postgres:// go through asyncpg, sqlite:// through aiosqlite."""
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url
