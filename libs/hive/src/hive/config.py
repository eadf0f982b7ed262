"""Settings read from the environment, failing fast with a message that names the variable."""

from __future__ import annotations

import sys
from typing import Any, TypeVar, get_args

from pydantic import Field, SecretBytes, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

S = TypeVar("S", bound=BaseSettings)


class KafkaSettings(BaseSettings):
    """Connection settings every Kafka-facing process shares (env prefix HIVE_)."""

    model_config = SettingsConfigDict(env_prefix="HIVE_", extra="ignore")

    kafka_bootstrap: str = Field("127.0.0.1:19092", min_length=1)
    schema_registry_url: str = Field("http://127.0.0.1:18081/apis/ccompat/v7", min_length=1)


class ServiceSettings(KafkaSettings):
    """What the shared loop needs; each service subclasses this with its own fields."""

    service_name: str = Field(..., min_length=1, pattern=r"^[a-z][a-z0-9-]*$")
    instance_id: str = "0"
    group_id: str | None = None
    # The health/metrics endpoint binds to loopback unless a deployment says otherwise.
    http_host: str = "127.0.0.1"
    http_port: int = Field(0, ge=0, le=65535)
    heartbeat_interval_s: float = Field(5.0, gt=0)
    batch_max: int = Field(500, ge=1, le=100_000)
    poll_timeout_s: float = Field(0.1, gt=0)
    commit_interval_ms: int = Field(1000, ge=0)  # 0: commit after every batch
    linger_ms: float = Field(1.0, ge=0)
    exactly_once: bool = False
    handler_max_attempts: int = Field(5, ge=1)
    retry_backoff_s: float = Field(0.05, ge=0)
    retry_backoff_max_s: float = Field(2.0, ge=0)
    shutdown_timeout_s: float = Field(10.0, gt=0)
    lag_interval_ms: int = Field(5000, ge=0)
    # How fast a crashed instance's partitions move to a live one (Kafka's default is 45 s).
    session_timeout_ms: int = Field(10_000, ge=6_000, le=300_000)
    # A consumer whose partitions were lost (its group session timed out, e.g. while the broker
    # restarted) and that is given none back for this long fails /healthz, so the supervisor or
    # Kubernetes restarts it: a fresh consumer rejoins where a stuck one may not.
    rejoin_timeout_s: float = Field(120.0, gt=0, le=3600)

    @property
    def consumer_group(self) -> str:
        return self.group_id or f"hive.{self.service_name}"


def _is_secret(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, SecretStr | SecretBytes):
        return True
    return any(_is_secret(a) for a in get_args(annotation))


def format_validation_error(cls: type[BaseSettings], err: ValidationError) -> str:
    """One line per bad variable; the value is shown, except a secret's (SecretStr), which
    must not land in a log even when it is refused."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    lines = [f"invalid configuration for {cls.__name__}:"]
    for e in err.errors():
        field = ".".join(str(p) for p in e["loc"])
        var = f"{prefix}{field}".upper()
        value = e.get("input")
        spec = cls.model_fields.get(str(e["loc"][0])) if e["loc"] else None
        if e["type"] == "missing":
            shown = ""
        elif spec is not None and _is_secret(spec.annotation):
            shown = " (value not shown: a secret)"
        else:
            shown = f" (got {value!r})"
        lines.append(f"  {var}: {e['msg']}{shown}")
    return "\n".join(lines)


def load_settings(cls: type[S], **overrides: Any) -> S:
    """Build settings or exit(2) with one line per bad variable: no stack trace for a typo."""
    try:
        return cls(**overrides)
    except ValidationError as err:
        print(format_validation_error(cls, err), file=sys.stderr)
        raise SystemExit(2) from None
