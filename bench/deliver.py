"""A burst of matches for one channel, delivered against a Bot API enforcing 20/minute.

    python bench/deliver.py [--stories 500] [--digest-after 10] [--db sqlite:///...]

Queues `--stories` matches for one channel the way the pipeline records them (article, story
and outbox row in one transaction each), then runs the real Sender (PTB over HTTP) against the
Bot API stand-in on 127.0.0.1 with `set_rate_limit(20)`: 20 sendMessage per chat per sliding
minute, then 429 with retry_after, as Telegram's flood control answers. Prints the 429s
received (target 0), the time until every story was posted or folded into a digest, and the
messages sent. A benchmark, not a test: it prints numbers and asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.deliver import Sender, TelegramDeliverer
from bot.settings import DeliverySettings
from bot.store import ArticleRecord, NewStory, OutboxItem, Store
from tests.fakes.telegram_api import TelegramAPIServer

FEED = "https://bench.example/feed.xml"
CHAT = "@bench_channel"
WORDS = ("steel exporters", "grain shipments", "oil tankers", "chip makers", "bank transfers",
         "shipping insurers", "arms brokers", "gas pipelines", "copper traders", "airlines")
PLACES = ("Oslo", "Ankara", "Lagos", "Hanoi", "Lima", "Tbilisi", "Doha", "Quito", "Riga")


def queue(store: Store, n: int, now: datetime) -> None:
    rng = random.Random(5)
    for i in range(n):
        title = (f"New sanctions on {rng.choice(WORDS)} as talks in {rng.choice(PLACES)} "
                 f"stall (report {i})")
        link = f"https://bench.example/story/{i}"
        art = ArticleRecord(key=f"b{i}", url=link, title=title, summary="", source="Wire",
                            published_at=now + timedelta(milliseconds=i))
        with store.story_tx(FEED, art, now) as tx:
            tx.open_story(
                NewStory(url_key=link, title_key=title, fingerprint=f"fp{i}", bands=(),
                         render={"title": title, "link": link}),
                [OutboxItem(chat=CHAT, kind="post", topic="sanctions",
                            body=f"<b>{title}</b>\n<a href=\"{link}\">Read more</a>",
                            not_before=now)])


async def deliver(sender: Sender) -> None:
    async with sender.deliverer:
        while True:
            await sender.drain()
            wake = await sender.next_wake()
            if wake is None:
                return
            await asyncio.sleep(max(0.01, (wake - datetime.now(UTC)).total_seconds()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--stories", type=int, default=500)
    ap.add_argument("--digest-after", type=int, default=10)
    ap.add_argument("--per-minute", type=int, default=20, help="our pacing per chat")
    ap.add_argument("--limit", type=int, default=20, help="the stand-in's 429 limit")
    ap.add_argument("--db", help="DATABASE_URL (default: a temporary SQLite file)")
    args = ap.parse_args(argv)

    tmp = tempfile.TemporaryDirectory()
    store = Store(args.db or f"sqlite:///{Path(tmp.name) / 'bench.db'}")
    store.migrate()
    now = datetime.now(UTC)
    store.ensure_feeds([FEED], now)
    t = time.perf_counter()
    queue(store, args.stories, now)
    queued = time.perf_counter() - t
    settings = DeliverySettings(per_chat_per_minute=args.per_minute,
                                digest_after=args.digest_after)
    with TelegramAPIServer() as api:
        api.set_rate_limit(args.limit)
        sender = Sender(store, TelegramDeliverer(api.token, api.base_url), settings, "bench")
        t = time.perf_counter()
        asyncio.run(deliver(sender))
        elapsed = time.perf_counter() - t
        statuses = Counter(c.status for c in api.calls("sendMessage"))
        texts = api.texts(CHAT)
    digests = [x for x in texts if " more stor" in x.split("\n")[0]]
    folded = sum(int(x.split(" ", 1)[0]) for x in digests)
    print(f"stories queued:         {args.stories} for {CHAT} ({queued:.1f} s to record)")
    print(f"pacing / stand-in:      {args.per_minute}/min per chat, stand-in 429s past "
          f"{args.limit}/min; digest_after={args.digest_after}")
    print(f"429s received:          {statuses.get(429, 0)}")
    print(f"messages sent:          {len(texts)} ({len(digests)} digests holding {folded} "
          f"stories, {len(texts) - len(digests)} single posts)")
    print(f"stories delivered:      {folded + len(texts) - len(digests)} of {args.stories}")
    print(f"time to deliver all:    {elapsed:.2f} s")
    print(f"outbox pending:         {store.outbox.pending()}")
    store.close()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
