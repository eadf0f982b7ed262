"""Entry point: `python -m hive_governor`."""

from __future__ import annotations

import logging

from hive.audit import AuditChain
from hive.config import load_settings
from hive.logs import configure_logging
from hive.runtime.metrics import ServiceMetrics
from hive.runtime.records import InboundRecord
from hive.runtime.service import run_service
from hive.runtime.state_store import StateStore
from hive.topics import AUDIT_EVENTS, CONTROL_BREAKERS
from hive_governor.governor import Governor
from hive_governor.service import CHAIN_ID, INPUTS, OUTPUTS, TABLES, BreakerGauges, GovernorService
from hive_governor.settings import GovernorSettings

log = logging.getLogger("hive_governor")


def state_store(governor: Governor, chain: AuditChain, gauges: BreakerGauges) -> StateStore:
    """Breaker states from the compacted topic; the audit chain (and the change guard's
    history in it) from the governor's own chain, oldest first."""
    breakers: dict[str, dict[str, object]] = {}
    own: list[dict[str, object]] = []

    def keep(rec: InboundRecord) -> None:
        if rec.topic == CONTROL_BREAKERS and not rec.tombstone:
            breakers[f"{rec.value['scope_level']}:{rec.value['scope_id']}"] = rec.value
        elif rec.topic == AUDIT_EVENTS and rec.value.get("chain_id") == CHAIN_ID:
            own.append(rec.value)

    def restored() -> None:
        for record in breakers.values():
            governor.restore_breaker(record)
        for event in own:
            governor.restore_audit(event)
        chain.resume_after(own[-1] if own else None)
        for state in governor.breaker_states():  # what was restored is what is in force
            gauges.observe(state)
        log.info("restored %d breaker state(s) and %d audit event(s)", len(breakers), len(own))

    return StateStore(topics=(CONTROL_BREAKERS, AUDIT_EVENTS), keep=keep, restored=restored)


def main() -> int:
    settings = load_settings(GovernorSettings)
    configure_logging(settings.service_name)
    chain = AuditChain(CHAIN_ID)
    governor = Governor(
        settings.breaker_config(),
        required_services=settings.required_services(),
        heartbeat_timeout_ms=settings.governor_heartbeat_timeout_ms,
        chain=chain,
        escalation=settings.escalation_config(),
    )
    metrics = ServiceMetrics(settings.service_name)
    gauges = BreakerGauges(metrics.registry)
    service = GovernorService(governor, gauges=gauges)
    return run_service(
        settings,
        INPUTS,
        OUTPUTS,
        service.handle,
        tables=TABLES,
        metrics=metrics,
        state_store=state_store(governor, chain, gauges),
    )


if __name__ == "__main__":
    raise SystemExit(main())
