"""Row writes (mapping.Upsert / Delete) as idempotent SQL upserts, one transaction per batch.

INSERT … ON CONFLICT (PostgreSQL and SQLite both have it): facts DO NOTHING; latest-wins rows
DO UPDATE only WHERE the stored counter is NULL or <= the incoming one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, and_, delete, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hive_hub.models import Base
from hive_hub.projections.mapping import Delete, Upsert, Write, coalesce

TABLES: dict[str, Table] = {t.name: t for t in Base.metadata.sorted_tables}
KEYS: dict[str, tuple[str, ...]] = {
    name: tuple(c.name for c in t.primary_key.columns) for name, t in TABLES.items()
}
_CHUNK = 200  # rows per statement: far below PostgreSQL's 32,767 bind parameters


def _insert(dialect: str, table: Table) -> Any:
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


async def apply(conn: AsyncConnection, writes: Sequence[Write]) -> int:
    """Apply the writes in order (grouped into multi-row statements where the order allows)."""
    dialect = conn.dialect.name
    groups: list[list[Write]] = []
    for w in coalesce(writes, KEYS):
        last = groups[-1][0] if groups else None
        same = isinstance(w, Upsert) and isinstance(last, Upsert) and last.kind == w.kind
        if same:
            groups[-1].append(w)
        else:
            groups.append([w])
    for group in groups:
        first = group[0]
        if isinstance(first, Delete):
            table = TABLES[first.table]
            cond = and_(*(table.c[k] == v for k, v in first.key.items()))
            await conn.execute(delete(table).where(cond))
            continue
        upserts = [g for g in group if isinstance(g, Upsert)]
        for i in range(0, len(upserts), _CHUNK):
            await conn.execute(
                _statement(dialect, first, [dict(u.values) for u in upserts[i : i + _CHUNK]])
            )
    return len(writes)


def _statement(dialect: str, kind: Upsert, rows: list[dict[str, Any]]) -> Any:
    table = TABLES[kind.table]
    stmt = _insert(dialect, table).values(rows)
    keys = list(KEYS[kind.table])
    if not kind.update:
        return stmt.on_conflict_do_nothing(index_elements=keys)
    new = stmt.excluded
    where = None
    if kind.when is not None:
        col = table.c[kind.when]
        where = or_(col.is_(None), col <= new[kind.when])
    return stmt.on_conflict_do_update(
        index_elements=keys, set_={c: new[c] for c in kind.update}, where=where
    )


async def apply_batch(engine: AsyncEngine, writes: Sequence[Write]) -> int:
    async with engine.begin() as conn:
        return await apply(conn, writes)
