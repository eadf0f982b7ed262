"""The shared consume-handle-produce runtime every hive service runs on."""

from hive.runtime.loop import ServiceLoop
from hive.runtime.records import (
    Handler,
    InboundRecord,
    OutboundRecord,
    RejectRecord,
    TransientError,
)

__all__ = [
    "Handler",
    "InboundRecord",
    "OutboundRecord",
    "RejectRecord",
    "ServiceLoop",
    "TransientError",
]
