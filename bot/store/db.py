"""Engines for SQLite and PostgreSQL, and the few dialect-aware helpers every store uses."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite

READ_ONLY = "newsbot_read_only"     # execution option: a transaction that never writes


def engine_for(url: str) -> Engine:
    """`postgresql://` uses psycopg 3; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE."""
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON",
                       "synchronous=NORMAL"):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front, so two never deadlock upgrading a read lock;
        # readers (Store.reader) take none: in WAL mode they never wait for a writer.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def dialect_insert(conn: Connection, table: Any) -> Any:
    """An INSERT that knows ON CONFLICT, for either dialect."""
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def upsert_ignore(conn: Connection, table: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING. One object per dialect and table: SQLAlchemy
    memoises a statement's cache key on the object, so a reused statement compiles once."""
    return _upsert_ignore(conn.dialect.name, table)


@functools.cache
def _upsert_ignore(dialect: str, table: Any) -> Any:
    return (postgresql if dialect == "postgresql" else sqlite).insert(table) \
        .on_conflict_do_nothing()


def reader_of(engine: Engine) -> Engine:
    """The same pool, for transactions that only read (no write lock on SQLite)."""
    return engine.execution_options(**{READ_ONLY: True})
