"""Shared by the delivery tests: queue stories the way the pipeline does (one transaction
per article), and a real Sender posting through PTB to the Bot API stand-in on loopback."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.deliver import Sender, TelegramDeliverer
from bot.models import utcnow
from bot.settings import DeliverySettings
from bot.store import ArticleRecord, NewStory, OutboxItem, Store
from bot.store.schema import outbox
from tests.fakes.telegram_api import TelegramAPIServer

FEED = "https://news.example/feed.xml"


def record_article(store: Store, feed_url: str, art: ArticleRecord, now: datetime, *,
                   new_story: NewStory | None = None, story_id: int | None = None,
                   outbox: Sequence[OutboxItem] = ()) -> int | None:
    """Record one article the way the pipeline does, in one `Store.story_tx`: opening
    `new_story`, or joining story `story_id`, with its outbox rows. Returns the story id,
    or None when the article was recorded before."""
    with store.story_tx(feed_url, art, now) as tx:
        if tx.recorded_before:
            return None
        if new_story is not None:
            return tx.open_story(new_story, outbox)
        if story_id is not None:
            return tx.join_story(story_id, outbox)
    return None
T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def open_store(url: str) -> Store:
    store = Store(url)
    store.migrate()
    store.ensure_feeds([FEED], T0)
    return store


def title(n: int) -> str:
    return f"Story {n}: sanctions on exporters of item {n}"


def queue(store: Store, numbers: range | list[int], chat: str, *, now: datetime = T0,
          kind: str = "post", topic: str = "sanctions",
          not_before: datetime | None = None) -> list[int]:
    """Record one article + story + outbox row per number, oldest number first."""
    ids = []
    for n in numbers:
        record = ArticleRecord(key=f"k{n}", url=f"https://news.example/{n}", title=title(n),
                               summary="s", source="Wire",
                               published_at=now + timedelta(seconds=n))
        story = NewStory(url_key=f"u{n}", title_key=f"t{n}", fingerprint=f"fp{n}", bands=(),
                         render={"title": title(n), "link": f"https://news.example/{n}"})
        item = OutboxItem(chat=chat, kind=kind, topic=topic, body=f"<b>{title(n)}</b>",
                          not_before=not_before or now)
        sid = record_article(store, FEED, record, now, new_story=story, outbox=[item])
        assert sid is not None
        ids.append(sid)
    return ids


def rows(store: Store, chat: str | None = None) -> list[dict[str, Any]]:
    q = select(outbox).order_by(outbox.c.id)
    if chat is not None:
        q = q.where(outbox.c.chat == chat)
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def make_sender(store: Store, api: TelegramAPIServer, *, clock: Callable[[], datetime] = utcnow,
                operator_chat: str | None = None, **delivery: Any) -> Sender:
    settings = dataclasses.replace(DeliverySettings(), **delivery)
    return Sender(store, TelegramDeliverer(api.token, api.base_url), settings, "test-owner",
                  clock=clock, operator_chat=operator_chat)


async def drain_until_empty(sender: Sender, *, timeout: float = 20.0) -> None:
    """What the service loop does, on the real clock: drain, sleep until next_wake."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        await sender.drain()
        wake = await sender.next_wake()
        if wake is None:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"outbox not empty after {timeout} s (next wake {wake})")
        await asyncio.sleep(max(0.02, min(1.0, (wake - utcnow()).total_seconds())))


def run(sender: Sender, fn: Callable[[], Any]) -> Any:
    """Run `fn()` (a coroutine) with the sender's deliverer open."""
    async def go() -> Any:
        async with sender.deliverer:
            return await fn()
    return asyncio.run(go())
