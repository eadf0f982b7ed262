"""Trading Hive governor: circuit breakers at bot, cell and global level, hard limits, kill switch, change guard, audit."""

from hive_governor.breakers import BreakerConfig, LevelConfig
from hive_governor.errors import GovernorInputError
from hive_governor.escalation import EscalationConfig
from hive_governor.governor import Governor
from hive_governor.outputs import Output
from hive_governor.scopes import permits

__all__ = [
    "BreakerConfig",
    "EscalationConfig",
    "Governor",
    "GovernorInputError",
    "LevelConfig",
    "Output",
    "permits",
]
