"""An audit chain to test verification on: `n` card swaps, on chain "risk-gate" unless told."""

from __future__ import annotations

from typing import Any

from hive.audit import AuditChain
from hive.audit_keys import AuditSigner


def card_swap_chain(
    n: int = 5, signer: AuditSigner | None = None, chain_id: str = "risk-gate"
) -> list[dict[str, Any]]:
    chain = AuditChain(chain_id, signer)
    return [
        chain.append(
            ts_event=1_497_427_200_000 + i,
            actor="ops",
            role="OPERATOR",
            action="CARD_SWAPPED",
            scope_level="BOT",
            scope_id=f"bot-{i}",
            details={"new_card": "follow", "i": i},
        )
        for i in range(n)
    ]
