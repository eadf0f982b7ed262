"""hub-api settings from the environment (prefix HIVE_); a bad value stops the start with one
line per variable (`hive.config.load_settings`).

    HIVE_DATABASE_URL         read models; default sqlite+aiosqlite under $HIVE_STATE_DIR/hub.db
                              (.hive/hub.db); postgresql://… is used through asyncpg
    HIVE_HUB_HOST / _PORT     where the API and dashboard listen (127.0.0.1:8080)
    HIVE_HUB_API_KEYS         JSON {name: {"role": viewer|operator|admin, "sha256": hex}}
    HIVE_HUB_ADMIN_KEY        a bootstrap admin key (hashed at start, never kept in clear)
    HIVE_HUB_WEBHOOK_SECRETS  JSON {source: sha256 hex of the source's webhook token}
    HIVE_HUB_PROJECTIONS      run the projection consumer in this process (true)
    HIVE_LOG_LEVEL            uvicorn's log level too (info)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from hive.config import ServiceSettings
from hive.paths import repo_root

Role = Literal["viewer", "operator", "admin"]
_HEX64 = r"^[0-9a-f]{64}$"


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
    hub_api_keys: Annotated[dict[str, ApiKeySpec], NoDecode] = Field(default_factory=dict)
    hub_admin_key: SecretStr | None = None
    hub_webhook_secrets: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    # Token bucket per webhook source: sustained requests per second and burst size.
    hub_webhook_rate: float = Field(5.0, gt=0)
    hub_webhook_burst: int = Field(20, ge=1)
    hub_max_body_bytes: int = Field(65_536, ge=1024)
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
        import re

        out: dict[str, str] = {}
        for source, digest in v.items():
            d = str(digest).strip().lower()
            if not re.fullmatch(_HEX64, d):
                raise ValueError(f"{source}: the SHA-256 (64 hex digits) of the token expected")
            out[source] = d
        return out

    @field_validator("hub_admin_key")
    @classmethod
    def _admin(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and len(v.get_secret_value()) < 16:
            raise ValueError("at least 16 characters")
        return v

    @property
    def async_database_url(self) -> str:
        return async_url(self.database_url)

    @property
    def uvicorn_log_level(self) -> str:
        return self.log_level.lower()


def async_url(url: str) -> str:
    """postgresql:// and postgres:// go through asyncpg, sqlite:// through aiosqlite."""
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url
