"""Trading Hive executor: paper broker, trade lifecycle, account state per bot, broker adapters with failover.

The domain logic is plain Python (`Executor`, tested without Kafka); `service.py` wires it to
the topics.
"""

from hive_executor.brokers import (
    Broker,
    BrokerAccount,
    BrokerAck,
    BrokerChange,
    BrokerError,
    BrokerOrder,
    BrokerPosition,
    PaperBroker,
)
from hive_executor.config import ExecutorConfig
from hive_executor.engine import BrokerFactory, Executor
from hive_executor.errors import ExecutorInputError
from hive_executor.failover import FailoverBroker
from hive_executor.outputs import Output
from hive_executor.state import STATE_VERSION, StateError

__all__ = [
    "STATE_VERSION",
    "Broker",
    "BrokerAccount",
    "BrokerAck",
    "BrokerChange",
    "BrokerError",
    "BrokerFactory",
    "BrokerOrder",
    "BrokerPosition",
    "Executor",
    "ExecutorConfig",
    "ExecutorInputError",
    "FailoverBroker",
    "Output",
    "PaperBroker",
    "StateError",
]
