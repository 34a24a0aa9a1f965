"""Shared fixtures. Fakes live only at the outer seams (HTTP feed servers, the Bot API)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.store import Store

pytest_plugins = ["tests.fakes.feed_server", "tests.fakes.telegram_api"]

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Tests talk to servers on loopback only: keep any proxy out of the way.
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ["no_proxy"] = os.environ["NO_PROXY"]


try:
    import pycurl  # noqa: F401
    HAVE_CURL = True
except ImportError:
    HAVE_CURL = False
# Both HTTP engines (polling.http_engine), for tests that run every case through each.
HTTP_ENGINES = ["urllib3", pytest.param("curl", marks=pytest.mark.skipif(
    not HAVE_CURL, reason="pycurl is not installed (pip install 'newsbot[curl]')"))]


def need_shared(*parts: str) -> Path:
    """The path under ../shared, or skip: a user's own clone has no ../shared."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not present (only in the project's workspace)")
    return path


PG_URL = os.environ.get("NEWSBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3):
            return None
    except Exception as exc:  # any failure means "not here"
        return f"PostgreSQL not reachable at {PG_URL}: {exc.__class__.__name__}"


@pytest.fixture(scope="session")
def pg_base() -> str:
    """The PostgreSQL URL; skips where absent, but fails under CI=true (CI must run them)."""
    why = _pg_available()
    if why:
        if IN_CI:
            pytest.fail(f"{why} (CI=true: PostgreSQL tests must run)")
        pytest.skip(why)
    return PG_URL


@pytest.fixture
def pg_url(pg_base: str):
    """A fresh schema per test, selected through search_path in the URL itself, so
    subprocesses given the same DATABASE_URL see the same tables."""
    import uuid

    import psycopg

    schema = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{pg_base}?options=-csearch_path%3D{schema}"
    with psycopg.connect(pg_base, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run a storage test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'newsbot.db'}"
    return str(request.getfixturevalue("pg_url"))


def migrated_store(db_url: str, feeds: list[str], now: datetime) -> Iterator[Store]:
    """A migrated store that knows `feeds`, closed afterwards (for `yield from` fixtures)."""
    store = Store(db_url)
    store.migrate()
    store.ensure_feeds(feeds, now)
    yield store
    store.close()

