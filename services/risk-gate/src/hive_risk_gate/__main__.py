"""Entry point: `python -m hive_risk_gate` (wiring only: settings, gate, service, runtime)."""

from __future__ import annotations

from hive.audit import AuditChain
from hive.audit_keys import audit_signer
from hive.config import load_settings
from hive.runtime.service import run_service
from hive_risk_gate.gate import RiskGate
from hive_risk_gate.model_loader import ReleaseLoader
from hive_risk_gate.service import (
    CHAIN_ID,
    INPUTS,
    OUTPUTS,
    TABLES,
    make_handler,
    restart_store,
)
from hive_risk_gate.settings import RiskGateSettings


def main() -> int:
    settings = load_settings(RiskGateSettings)
    card_dir = settings.trusted_card_dir()  # before any plugin code runs
    policy = settings.opa_policy()
    modification_policy = settings.opa_modification_policy()
    gate = RiskGate(
        policy,
        card_dir=card_dir,
        conflict_window_ms=settings.risk_conflict_window_ms,
        model_name=settings.risk_model_name,
        counterfactuals=settings.risk_counterfactuals,
        load_model=ReleaseLoader(settings.model_store),
        modification_policy=modification_policy,
    )
    chain = AuditChain(CHAIN_ID, audit_signer())
    try:
        return run_service(
            settings,
            INPUTS,
            OUTPUTS,
            make_handler(gate, chain, settings.governor_watch()),
            tables=TABLES,
            state_store=restart_store(gate, chain),
        )
    finally:
        policy.close()
        modification_policy.close()


if __name__ == "__main__":
    raise SystemExit(main())
