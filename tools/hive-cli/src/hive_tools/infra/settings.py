"""Where the local infrastructure lives and which ports it uses.

Everything is read from the environment with the ``HIVE_`` prefix (``HIVE_CACHE_DIR``,
``HIVE_STATE_DIR``, ``HIVE_KAFKA_PORT``...). Servers always bind to 127.0.0.1: that is not a
setting, so a typo can never expose a development database on the network.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Every server listens on the loopback interface only.
BIND_HOST = "127.0.0.1"

# Pinned versions. Changing one re-installs that component into a new cache directory.
KAFKA_VERSION = "4.1.2"
KAFKA_SCALA = "2.13"
# log4j-slf4j bridge matching the log4j-core that kafka_2.13 pulls in: Kafka's own
# distribution ships it, the Maven artifact does not declare it.
LOG4J_VERSION = "2.25.3"
# Apicurio 3.x needs Java 21 and several of its 3.x modules are not on Maven Central;
# 2.4.2.Final is the newest release whose whole dependency tree resolves there and it
# runs on the machine's JDK 17 (see docs in components.Registry).
APICURIO_VERSION = "2.4.2.Final"
APICURIO_QUARKUS_VERSION = "2.16.4.Final"  # <quarkus.version> of io.apicurio:apicurio-registry
APICURIO_CONFIG_INDEX_VERSION = "0.1.10.Final"  # only 0.1.x release with a deployment jar
EVERIT_JSON_SCHEMA_VERSION = "1.14.2"
OPA_MODULE = "github.com/open-policy-agent/opa"
OPA_VERSION = "v1.22.2"
POSTGRES_MAJOR = "15"  # Debian 12's PostgreSQL

# KRaft needs a cluster id; a fixed one keeps re-formatting deterministic.
KAFKA_CLUSTER_ID = "4L5fV3nWQ0q8Hm2dXtRk2A"


def find_repo_root() -> Path:
    """The checkout this package belongs to (or the one we are standing in).

    The workspace installs hive-lib in editable mode, so walking up from this file finds the
    repository; the current directory is the fallback for a non-editable install.
    """
    for start in (Path(__file__).resolve(), Path.cwd().resolve()):
        for candidate in (start, *start.parents):
            if (candidate / "pyproject.toml").is_file() and (candidate / "libs").is_dir():
                return candidate
    return Path.cwd().resolve()


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "trading-hive"


class InfraSettings(BaseSettings):
    """Directories, ports and credentials of the local servers."""

    model_config = SettingsConfigDict(env_prefix="HIVE_", extra="ignore")

    repo_root: Path = Field(default_factory=find_repo_root)
    cache_dir: Path = Field(default_factory=_default_cache_dir)
    # None means <repo_root>/.hive, resolved in the validator below.
    state_dir: Path | None = None
    policies_dir: Path | None = None

    kafka_port: int = 19092
    kafka_controller_port: int = 19093
    registry_port: int = 18081
    opa_port: int = 18181
    pg_port: int = 15432
    prometheus_port: int = 19090

    pg_user: str = "hive"
    pg_password: str = "hive"  # noqa: S105 - local development default
    pg_database: str = "hive"
    pg_bin_dir: Path = Path(f"/usr/lib/postgresql/{POSTGRES_MAJOR}/bin")
    prometheus_bin: Path = Path("/usr/bin/prometheus")

    kafka_heap: str = "512m"
    registry_heap: str = "384m"
    # Seconds to wait for a server to answer its readiness check / to exit after a signal.
    start_timeout: float = 120.0
    stop_timeout: float = 30.0
    prometheus_scrape_interval: str = "5s"

    @field_validator("repo_root", "cache_dir", "state_dir", "policies_dir", "pg_bin_dir")
    @classmethod
    def _absolute(cls, v: Path | None) -> Path | None:
        return None if v is None else v.expanduser().resolve()

    @field_validator(
        "kafka_port",
        "kafka_controller_port",
        "registry_port",
        "opa_port",
        "pg_port",
        "prometheus_port",
    )
    @classmethod
    def _port(cls, v: int) -> int:
        if not 1024 <= v <= 65535:
            raise ValueError(f"port {v} must be between 1024 and 65535")
        return v

    @property
    def state(self) -> Path:
        """The project-local state directory (``make clean`` removes it)."""
        return self.state_dir if self.state_dir is not None else self.repo_root / ".hive"

    @property
    def policies(self) -> Path:
        return self.policies_dir if self.policies_dir is not None else self.repo_root / "policies"
