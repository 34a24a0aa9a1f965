"""`newsbot status`: what the database says about feeds and the outbox."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from bot.cli.check import table
from bot.models import utcnow
from bot.settings import Settings
from bot.store import EVERY_CHAT, SharedState, Store


def status(settings: Settings, out: TextIO = sys.stdout) -> int:
    store = Store(settings.database_url.reveal())
    store.migrate()
    try:
        states = {s.url: s for s in store.feed_states()}
        now = utcnow()
        rows = [("feed", "status", "detail")]
        for feed in settings.feeds:
            s = states.get(feed.url)
            if s is None or s.last_attempt is None:
                rows.append((feed.name or feed.url, "NEW", "not polled yet"))
            elif s.gone:
                rows.append((feed.name or feed.url, "GONE", s.last_error or "410 Gone"))
            elif s.error_count:
                rows.append((feed.name or feed.url, "FAILING",
                             f"{s.error_count} failures since {s.failing_since:%Y-%m-%d %H:%M}"
                             f": {s.last_error}"))
            else:
                ago = int((now - (s.last_success or now)).total_seconds() // 60)
                rows.append((feed.name or feed.url, "OK", f"polled {ago} min ago"))
        table(rows, out)
        last = store.outbox.last_sent()
        print(f"outbox: {store.outbox.pending()} pending; last post "
              f"{last:%Y-%m-%d %H:%M UTC}" if last else
              f"outbox: {store.outbox.pending()} pending; nothing posted yet", file=out)
        shared = SharedState(store.engine)
        paused = shared.paused()
        if paused is not None:
            print(f"posting: PAUSED by {paused.by} since {paused.since:%Y-%m-%d %H:%M UTC} "
                  "(send /resume to the bot)", file=out)
        for chat, p in sorted(store.pauses.all().items()):
            if p.until > now:
                who = "every chat" if chat == EVERY_CHAT else chat
                print(f"delivery: {who} paused until {p.until:%Y-%m-%d %H:%M:%S UTC} "
                      f"({p.failures} failure(s) in a row since {p.since:%H:%M:%S}): "
                      f"{p.reason}", file=out)
        reader = shared.admin_reader()
        if reader is not None:
            print(_reader_line(reader), file=out)
    finally:
        store.close()
    return 0


def _reader_line(state: dict[str, Any]) -> str:
    since = str(state.get("since") or "")[:19].replace("T", " ")
    if state.get("state") == "down":
        return (f"admin commands: DOWN since {since} UTC ({state.get('error')}); the reader "
                "retries every 30 s at most")
    return f"admin commands: {state.get('state')} since {since} UTC"
