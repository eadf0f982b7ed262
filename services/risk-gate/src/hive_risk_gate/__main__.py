"""Entry point: `python -m hive_risk_gate`."""

from __future__ import annotations

from typing import Any

from hive.audit import AuditChain
from hive.config import load_settings
from hive.contracts import CodecRegistry, load_catalogue
from hive.contracts.serde import make_registry_client
from hive.liveness import GovernorWatch
from hive.runtime.records import InboundRecord
from hive.runtime.replay import end_offsets, read_until
from hive.runtime.service import run_service
from hive.topics import AUDIT_EVENTS
from hive_risk_gate.control import ModelRelease, Predict
from hive_risk_gate.gate import RiskGate
from hive_risk_gate.opa import OpaPolicy
from hive_risk_gate.service import CHAIN_ID, INPUTS, OUTPUTS, TABLES, make_handler
from hive_risk_gate.settings import RiskGateSettings


def main() -> int:
    settings = load_settings(RiskGateSettings)
    try:
        policy = OpaPolicy(settings.opa_url, timeout_s=settings.opa_timeout_s)
    except ValueError as exc:
        raise SystemExit(f"HIVE_OPA_URL: {exc}") from None

    def load_model(release: ModelRelease) -> Predict:
        """The learner's artifact, read without torch and checked against its SHA-256."""
        from hive.winprob import load_release

        return load_release(
            release.artifact_uri, release.sha256, store=settings.model_store
        ).predict

    gate = RiskGate(
        policy,
        card_dir=settings.risk_card_dir,
        conflict_window_ms=settings.risk_conflict_window_ms,
        model_name=settings.risk_model_name,
        counterfactuals=settings.risk_counterfactuals,
        load_model=load_model,
    )
    chain = AuditChain(CHAIN_ID)

    def resume_chain() -> None:
        """Replayed commands advanced the chain in memory: continue after what is published."""
        codecs = CodecRegistry(make_registry_client(settings.schema_registry_url), load_catalogue())
        last: list[dict[str, Any]] = []

        def keep(rec: InboundRecord) -> None:
            if rec.value.get("chain_id") == CHAIN_ID:
                last[:] = [rec.value]

        ends = end_offsets(settings.kafka_bootstrap, [AUDIT_EVENTS])
        read_until(settings.kafka_bootstrap, ends, codecs, keep)
        chain.resume_after(last[0] if last else None)

    try:
        return run_service(
            settings,
            INPUTS,
            OUTPUTS,
            make_handler(gate, chain, GovernorWatch(int(settings.governor_timeout_s * 1000))),
            after_restore=resume_chain,
            tables=TABLES,
        )
    finally:
        policy.close()


if __name__ == "__main__":
    raise SystemExit(main())
