"""Chat pauses (schema v5) on real SQLite and PostgreSQL: a pause holds every row of its chat,
also rows queued after it, for every process, and survives a restart; "*" holds all chats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, insert, inspect, select

from bot.store import EVERY_CHAT, Store
from bot.store.migrations import LATEST
from bot.store.schema import outbox, schema_version
from tests.outbox_helpers import open_store, queue

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def pause(store: Store, chat: str, seconds: float, *, failed: bool = True):
    return store.pauses.pause(chat, NOW, reason="test", failed=failed,
                              delay=lambda _n: timedelta(seconds=seconds))


@pytest.mark.parametrize("paused, held, free", [
    ("@a", {"@a"}, {"@b"}),
    (EVERY_CHAT, {"@a", "@b"}, set()),
], ids=["one-chat", "every-chat"])
def test_a_pause_holds_rows_queued_before_and_after_it_in_every_process(
        db_url: str, paused: str, held: set[str], free: set[str]) -> None:
    first = open_store(db_url)
    queue(first, [1], "@a", now=NOW)
    pause(first, paused, 60)
    queue(first, [2], "@a", now=NOW)                  # queued after the pause began
    queue(first, [3], "@b", now=NOW)
    other = Store(db_url)                             # another process, or a restart
    try:
        inside = {r.chat for r in other.outbox.claim("two", NOW + 59 * SECOND)}
        assert inside == free
        dues = other.outbox.due_by_chat()
        assert all(dues[c] == NOW + 60 * SECOND for c in held)
        after = {r.chat for r in other.outbox.claim("two", NOW + 60 * SECOND)}
        assert after == held
    finally:
        other.close()
        first.close()


def test_a_pause_is_never_shortened_counts_failures_and_ends_on_clear(db_url: str) -> None:
    store = open_store(db_url)
    assert pause(store, "@a", 60).failures == 1
    shorter = pause(store, "@a", 5)
    assert shorter.until == NOW + 60 * SECOND and shorter.failures == 2
    assert pause(store, "@a", 1, failed=False).failures == 2     # a 429 says how long
    assert store.pauses.mark_alerted("@a") and not store.pauses.mark_alerted("@a")
    ended = store.pauses.clear("@a")
    assert ended is not None and ended.alerted and ended.failures == 2
    assert store.pauses.all() == {} and store.pauses.clear("@a") is None
    store.close()


def test_v4_databases_upgrade_and_keep_their_rows(tmp_path) -> None:
    """A v4 outbox (before issue #18) gains the new columns and table; its rows stay valid."""
    url = f"sqlite:///{tmp_path / 'v4.db'}"
    store = open_store(url)
    queue(store, [1], "@a", now=NOW)
    with store.engine.begin() as conn:          # make it look like v4
        conn.exec_driver_sql("DROP TABLE chat_pauses")
        conn.exec_driver_sql("ALTER TABLE outbox DROP COLUMN unanswered")
        conn.exec_driver_sql("ALTER TABLE outbox DROP COLUMN batch")
        conn.exec_driver_sql("ALTER TABLE outbox DROP COLUMN image")     # v6
        conn.exec_driver_sql("ALTER TABLE stories DROP COLUMN embedding")       # v7
        conn.execute(schema_version.update().values(version=4))
    store.close()
    again = open_store(url)
    assert again.migrate() == LATEST
    [row] = again.outbox.claim("one", NOW)
    assert (row.unanswered, row.batch, row.chat) == (0, None, "@a")
    engine = create_engine(url)
    assert "chat_pauses" in inspect(engine).get_table_names()
    with engine.begin() as conn:                # old code's inserts (no new columns) still work
        conn.execute(insert(outbox).values(chat="@a", story_id=None, kind="alert", body="x",
                                           state="pending", attempts=0, not_before=NOW,
                                           created_at=NOW))
        assert conn.execute(select(outbox.c.unanswered).where(
            outbox.c.kind == "alert")).scalar() == 0
    engine.dispose()
    again.close()


def test_unanswered_rows_of_a_digest_come_back_only_together(db_url: str) -> None:
    store = open_store(db_url)
    queue(store, [1, 2, 3], "@a", now=NOW)
    rows = store.outbox.claim("one", NOW, chat="@a", limit=2)
    store.outbox.unanswered([r.id for r in rows], "one", error="no answer", batch=rows[0].id)
    singles = store.outbox.claim("two", NOW, chat="@a", limit=10)
    assert [r.story_id for r in singles] == [3]          # never mixed into another message
    batch = store.outbox.claim("two", NOW, chat="@a", batched=True, limit=10)
    assert [r.id for r in batch] == [r.id for r in rows]
    assert all(r.unanswered == 1 and r.batch == rows[0].id for r in batch)
    store.close()


def test_an_alert_body_never_holds_the_token(db_url: str) -> None:
    from bot.settings import redact
    from bot.store import queue_alert

    redact.add("555555:Secret-Half-Of-The-Token")
    store = open_store(db_url)
    queue_alert(store, "@ops", "refused: /bot555555:secret-half-of-the-token/getMe", NOW)
    queue(store, [1], "@a", now=NOW)
    [row] = store.outbox.claim("one", NOW, chat="@a")
    store.outbox.defer([row.id], "one", not_before=NOW, note="SECRET-HALF-OF-THE-TOKEN x")
    with store.engine.connect() as conn:
        text = " ".join(str(v) for r in conn.execute(select(outbox)) for v in r)
    assert "secret-half-of-the-token" not in text.lower()
    assert "<TELEGRAM_BOT_TOKEN>" in text
    store.close()

