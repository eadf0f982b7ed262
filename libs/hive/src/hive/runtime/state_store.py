"""A service's own state kept on Kafka topics, read back whole by the runtime at start-up.

The executor keeps its accounts and orders on a compacted recovery topic; the governor keeps
its breakers on a compacted topic and its history in its audit chain. Both must have that
state back before a table is loaded or an input handled (a bot the store knows must not be
opened again as new). The loop reads the store's topics up to their current end (committed
records only), hands every record to `keep` in offset order per partition, then calls
`restored` once.

A store can instead be read after the tables and the consumed inputs are replayed
(`after_replay`): for state the replay itself moves in memory, which what was published must
overrule. The risk gate's audit chain is one: replayed card-swap commands append to it again,
so the chain continues after its last published event, not after the replayed ones.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hive.contracts.serde import CodecRegistry
from hive.runtime.records import InboundRecord
from hive.runtime.replay import end_offsets, read_until

log = logging.getLogger(__name__)


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class StateStore:
    """What a service reads back at start: its topics and what to do with each record.

    `after_replay`: read once the tables are loaded and the consumed inputs replayed, rather
    than before them (see the module's docstring)."""

    topics: Sequence[str]
    keep: Callable[[InboundRecord], None]
    restored: Callable[[], None] = _nothing
    after_replay: bool = False


def restore_state_store(bootstrap: str, store: StateStore, codecs: CodecRegistry) -> int:
    """Read every record of the store's topics up to their end into `keep`; returns the count."""
    count = read_until(bootstrap, end_offsets(bootstrap, list(store.topics)), codecs, store.keep)
    store.restored()
    log.info("read %d record(s) of %s back", count, ", ".join(store.topics))
    return count
