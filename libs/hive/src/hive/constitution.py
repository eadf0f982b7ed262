"""The constitution's numbers and names shared by the services.

Filled in by the constitution helper: for now only what the bot contract needs.
"""

from __future__ import annotations

from typing import Final, Literal

# The constitution (DESIGN.md): cannot be changed at run time.
MAX_RISK_PER_POSITION_PCT: Final = 5.0  # % of equity

RULE_SETS: Final = ("ftmo_2step", "ftmo_2step_swing", "strict", "constitution")
RuleSet = Literal["ftmo_2step", "ftmo_2step_swing", "strict", "constitution"]
