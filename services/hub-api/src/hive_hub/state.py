"""What a bot looks like at a glance: its registry status combined with its breaker."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# A HALTED breaker's cause says which hold it is (the governor's control.breakers records).
_HOLD_NAMES = {
    "PAUSED": "PAUSED",
    "LOCKED": "LOCKED",
    "COMMAND": "HALTED",
    "KILL_SWITCH": "KILLED",
    "DAILY_LOSS": "DAILY_LOSS_HALT",
    "MAX_LOSS": "MAX_LOSS_HALT",
    "MAX_DRAWDOWN": "MAX_LOSS_HALT",
    "ESCALATION_PAUSED": "PAUSED",
    "ESCALATION_LOCKED": "LOCKED",
    "ESCALATION_SHADOW": "SHADOW_MODE",
    "SERVICE_SILENT": "SAFE_MODE",
}


def effective_state(status: str, deleted: bool, breaker: Mapping[str, Any] | None) -> str:
    """ACTIVE, PAUSED, LOCKED, HALTED, KILLED, DAILY_LOSS_HALT, MAX_LOSS_HALT, SHADOW_MODE,
    REDUCED_CAPACITY, SAFE_MODE, PROBING (half-open) or DELETED."""
    if deleted:
        return "DELETED"
    if breaker is not None and breaker.get("state") == "OPEN":
        cause = str(breaker.get("cause") or "")
        if breaker.get("fallback_mode") == "HALTED" or cause in _HOLD_NAMES:
            return _HOLD_NAMES.get(cause, "HALTED")
        return str(breaker.get("fallback_mode") or "HALTED")
    if status in ("PAUSED", "LOCKED"):
        return status
    if breaker is not None and breaker.get("state") == "HALF_OPEN":
        return "PROBING"
    return "ACTIVE"
