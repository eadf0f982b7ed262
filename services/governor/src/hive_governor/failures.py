"""What counts as a failure (and as a successful probe) for the breakers, and as a violation for
escalation.

Failures (one at most per input record, counted at the bot's, its cell's and the global breaker):

- LOSING_TRADE: a `trades.closed` record with pnl < 0. A winning trade (pnl > 0) is a success;
  pnl == 0 (breakeven) is neither.
- EXECUTION_REJECTED / EXECUTION_FAILED: an `orders.executions` record with status REJECTED /
  FAILED; an execution in limp mode (primary and backup venues failed, the change simulated)
  is EXECUTION_FAILED whatever its status. FILLED and PARTIALLY_FILLED (an entry reached the
  market) are successes; other statuses are neither.
- POLICY_VIOLATION: an `orders.decisions` denial with a reason code starting with
  `constitution.` or `profile.` (policies/README.md lists them), `profile.unknown` and
  `profile.invalid` included: a bot whose rules cannot be checked should not go on trading.
- STALE_DATA: an `orders.decisions` denial with `signal.stale` or `signal.no_market_data` (the
  enricher's flags the policy turns into reasons; a decision carries no other staleness field).
  A denial with both a violation and a stale code is one POLICY_VIOLATION.

Not counted at all:
- shadow records (trades and executions that never touched an account: a bot already in shadow
  mode, or the learner's counterfactuals), neither as failures nor as probes;
- decisions taken while the bot was under SAFE_MODE or HALTED (`breaker_mode`): the denial is
  the halt working, not a new failure, and a halted bot must not escalate by being halted.

Violations (escalation): POLICY_VIOLATION decisions and hard-limit breaches; a losing trade or a
venue failure is bad luck, not a violation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from hive.constitution import NO_NEW_POSITIONS
from hive_governor.inputs import Decision, Execution, Trade

LOSING_TRADE: Final = "LOSING_TRADE"
EXECUTION_REJECTED: Final = "EXECUTION_REJECTED"
EXECUTION_FAILED: Final = "EXECUTION_FAILED"
POLICY_VIOLATION: Final = "POLICY_VIOLATION"
STALE_DATA: Final = "STALE_DATA"

VIOLATION_PREFIXES: Final = ("constitution.", "profile.")
STALE_REASONS: Final = frozenset({"signal.stale", "signal.no_market_data"})
SUCCESSFUL_EXECUTIONS: Final = frozenset({"FILLED", "PARTIALLY_FILLED"})


@dataclass(frozen=True)
class Outcome:
    """What one input says about its bot: a failure of `kind`, a success, or nothing."""

    kind: str | None  # failure kind; None for a success or nothing
    success: bool = False

    @property
    def is_failure(self) -> bool:
        return self.kind is not None

    @property
    def is_violation(self) -> bool:
        return self.kind == POLICY_VIOLATION


NOTHING: Final = Outcome(None)
SUCCESS: Final = Outcome(None, success=True)


def trade_outcome(trade: Trade) -> Outcome:
    if trade.shadow:
        return NOTHING
    if trade.pnl < 0:
        return Outcome(LOSING_TRADE)
    return SUCCESS if trade.pnl > 0 else NOTHING


# The executor's own refusals while a hold or limit is in force: the halt working, not a failure
# (counting them would let a halt feed the breakers that caused it).
CONTROL_REFUSALS: Final = ("breaker_no_new_positions", "governor_silent", "risk_limit.")


def execution_outcome(execution: Execution) -> Outcome:
    if execution.shadow:
        return NOTHING
    if execution.status == "REJECTED" and (execution.reason or "").startswith(CONTROL_REFUSALS):
        return NOTHING
    if execution.limp or execution.status == "FAILED":
        return Outcome(EXECUTION_FAILED)
    if execution.status == "REJECTED":
        return Outcome(EXECUTION_REJECTED)
    return SUCCESS if execution.status in SUCCESSFUL_EXECUTIONS else NOTHING


def decision_outcome(decision: Decision) -> Outcome:
    if decision.allowed or decision.breaker_mode in NO_NEW_POSITIONS:
        return NOTHING
    if any(r.startswith(VIOLATION_PREFIXES) for r in decision.reasons):
        return Outcome(POLICY_VIOLATION)
    if any(r in STALE_REASONS for r in decision.reasons):
        return Outcome(STALE_DATA)
    return NOTHING
