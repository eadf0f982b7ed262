"""Deterministic ids: the same inputs give the same id on every replay and every machine."""

from __future__ import annotations

import uuid

# A fixed namespace so ids are stable across versions of the code.
HIVE_NAMESPACE = uuid.UUID("6f1c3e4a-9b7d-5c2e-8a41-7d3b2f0e9c15")


def deterministic_id(*parts: object) -> str:
    """A UUIDv5 over the parts joined with an unambiguous separator."""
    if not parts:
        raise ValueError("deterministic_id needs at least one part")
    text = "\x1f".join(str(p) for p in parts)
    return str(uuid.uuid5(HIVE_NAMESPACE, text))
