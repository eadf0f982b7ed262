"""How far out of event-time order an input may be read, for the services whose decisions must
not depend on reading order (the governor's breakers, the learner's trigger).

An input topic has several partitions, so a consumer reads their records in an arbitrary
interleaving: a record may be read after records of later event time. A lockstep replay reads
everything before each signal message and lets bars flow freely in between, so records are out
of order by at most the longest stretch between two messages (86 hours in the bundled 2017
channel, over a holiday); live, partitions drift apart by seconds. A week covers both.
"""

from __future__ import annotations

from typing import Final

REORDER_HORIZON_MS: Final = 7 * 86_400_000
