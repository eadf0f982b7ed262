"""Engines and migrations. PostgreSQL through asyncpg in deployment and tests; SQLite through
aiosqlite as the embedded default (`make run` without a database URL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from hive_hub.settings import async_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str, schema: str | None = None, **kwargs: Any) -> AsyncEngine:
    """`schema`: a PostgreSQL schema to keep the read models in (first on the search_path)."""
    url = async_url(url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(conn: Any, _record: Any) -> None:
            # WAL: the projection thread writes while the API reads.
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    if schema:
        kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
    return create_async_engine(url, **kwargs)


def sessions(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str, schema: str | None = None) -> Config:
    cfg = Config()
    cfg.attributes["schema"] = schema
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", async_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head", schema: str | None = None) -> None:
    """Bring the database to `revision` (blocking: runs its own event loop; call it from a
    thread when one is already running)."""
    if schema and not async_url(url).startswith("sqlite"):
        import asyncio

        from sqlalchemy import text

        async def create() -> None:
            engine = make_engine(url)
            try:
                async with engine.begin() as conn:
                    await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            finally:
                await engine.dispose()

        asyncio.run(create())
    command.upgrade(alembic_config(url, schema), revision)
