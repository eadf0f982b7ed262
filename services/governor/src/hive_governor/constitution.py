"""The constitution's numbers the governor enforces, and the names of the records' enums.

Copied, not imported, from their sources so that the governor depends on no other service:
`policies/hive/constitution/constitution.rego` (the single source) and
`services/risk-gate/src/hive_risk_gate/constitution.py`. The loss limits themselves
(daily loss, drawdown floor) come from `hive.limits`, which the executor shares.
"""

from __future__ import annotations

from typing import Final, Literal

# The constitution (DESIGN.md): cannot be changed at run time.
MAX_RISK_PER_POSITION_PCT: Final = 5.0  # % of equity
MAX_DAILY_LOSS_PCT: Final = 3.0  # % of the day's starting balance
MAX_DRAWDOWN_PCT: Final = 10.0  # % below peak equity: hard stop
MIN_CONFIDENCE: Final = 0.40
MAX_CHANGES_PER_DAY: Final = 3
MAX_ACTIVE_RULES: Final = 50

ScopeLevel = Literal["BOT", "CELL", "GLOBAL"]
SCOPE_LEVELS: Final[tuple[ScopeLevel, ...]] = ("BOT", "CELL", "GLOBAL")
GLOBAL_ID: Final = "global"

# Fallback modes, least to most severe (the order the risk gate uses to combine scopes).
MODES: Final = ("NONE", "REDUCED_CAPACITY", "SHADOW_MODE", "SAFE_MODE", "HALTED")
SEVERITY: Final[dict[str, int]] = {m: i for i, m in enumerate(MODES)}
# Modes in which no new position may be opened; exits and reductions always may.
NO_NEW_POSITIONS: Final = frozenset({"SAFE_MODE", "HALTED"})

ROLES: Final = ("VIEWER", "OPERATOR", "ADMIN", "SYSTEM")

GOVERNOR: Final = "governor"  # actor, origin and audit chain id of the governor itself
