"""Trading Hive risk gate: for each bot following a scored signal's source, its strategy card,
the conflict vote, the OPA policies and the position size give a decision with reasons and,
when approved, an order intent. Plain Python here; the Kafka service wires it up."""

from hive.fx import RateBook
from hive_risk_gate.account import AccountBook, AccountState, account_state
from hive_risk_gate.cards import (
    CardBook,
    CardContext,
    CardLoader,
    CardParameterError,
    CardSwapError,
    Intent,
    StrategyCard,
    UnknownCardError,
)
from hive_risk_gate.conflicts import ConflictResolver, ConflictVerdict, Vote
from hive_risk_gate.control import BreakerBook, ModelBook, ModelInfo
from hive_risk_gate.decide import Decision, decide, decide_exit, decision_id_for, order_id_for
from hive_risk_gate.gate import RiskGate
from hive_risk_gate.policy_input import (
    OrderRisk,
    PolicyDecision,
    PolicyFn,
    PolicyOutputError,
    build_policy_input,
    read_policy_output,
)
from hive_risk_gate.reasons import Reason
from hive_risk_gate.signals import ScoredSignal, SignalInputError, signal_features
from hive_risk_gate.sizing import SizingConfig, SizingError, confidence_scale, size_position

__all__ = [
    "AccountBook",
    "AccountState",
    "BreakerBook",
    "CardBook",
    "CardContext",
    "CardLoader",
    "CardParameterError",
    "CardSwapError",
    "ConflictResolver",
    "ConflictVerdict",
    "Decision",
    "Intent",
    "ModelBook",
    "ModelInfo",
    "OrderRisk",
    "PolicyDecision",
    "PolicyFn",
    "PolicyOutputError",
    "RateBook",
    "Reason",
    "RiskGate",
    "ScoredSignal",
    "SignalInputError",
    "SizingConfig",
    "SizingError",
    "StrategyCard",
    "UnknownCardError",
    "Vote",
    "account_state",
    "build_policy_input",
    "confidence_scale",
    "decide",
    "decide_exit",
    "decision_id_for",
    "order_id_for",
    "read_policy_output",
    "signal_features",
    "size_position",
]
