"""Entry point: `python -m hive_governor` (wiring only: settings, governor, service, runtime)."""

from __future__ import annotations

from hive.audit import AuditChain
from hive.audit_keys import audit_signer
from hive.config import load_settings
from hive.logs import configure_logging
from hive.runtime.metrics import ServiceMetrics
from hive.runtime.service import run_service
from hive_governor.governor import Governor
from hive_governor.service import (
    CHAIN_ID,
    INPUTS,
    OUTPUTS,
    TABLES,
    BreakerGauges,
    GovernorService,
)
from hive_governor.settings import GovernorSettings


def main() -> int:
    settings = load_settings(GovernorSettings)
    configure_logging(settings.service_name)
    governor = Governor(
        settings.breaker_config(),
        required_services=settings.required_services(),
        heartbeat_timeout_ms=settings.governor_heartbeat_timeout_ms,
        chain=AuditChain(CHAIN_ID, audit_signer()),
        escalation=settings.escalation_config(),
    )
    metrics = ServiceMetrics(settings.service_name)
    service = GovernorService(governor, gauges=BreakerGauges(metrics.registry))
    return run_service(
        settings,
        INPUTS,
        OUTPUTS,
        service.handle,
        tables=TABLES,
        metrics=metrics,
        state_store=service.state_store(),
    )


if __name__ == "__main__":
    raise SystemExit(main())
