"""`newsbot check`: the config loaded; may the bot post to every chat it names (getMe,
getChat, getChatMember: bot.cli.destinations); can we read every feed? `--offline`
validates the config alone, asking nobody (for a deploy step without network)."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.cli.destinations import Row, destinations, telegram_rows
from bot.errors import FeedError
from bot.fetch import FetchLimits, fetch
from bot.models import NotModified
from bot.parse import parse
from bot.settings import Settings


def table(rows: list[Row], out: TextIO) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip(),
              file=out)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=out)


def _feed(url: str, name: str | None, limits: FetchLimits) -> Row:
    try:
        result = fetch(url, limits=limits)
        if isinstance(result, NotModified):
            return (name or url, "OK", "not modified")
        parsed = parse(result.body, result.headers, result.url, source=name)
    except FeedError as exc:
        return (name or url, "FAIL", exc.reason)
    note = f"{len(parsed.articles)} items, {parsed.version or 'unknown format'}"
    if parsed.bozo:
        note += f" (malformed: {parsed.bozo})"
    return (name or url, "OK", note)


def check(settings: Settings, out: TextIO | None = None, *, offline: bool = False) -> int:
    out = out or sys.stdout
    p = settings.polling
    limits = FetchLimits(connect_timeout=p.connect_timeout, read_timeout=p.read_timeout,
                         total_timeout=p.total_timeout, max_bytes=p.max_bytes)
    print(f"config {settings.path}: OK ({len(settings.feeds)} feeds, "
          f"{len(settings.topics)} topics)", file=out)
    if offline:
        chats = ", ".join(f"{c} ({', '.join(k)})" for c, k in destinations(settings).items())
        print(f"posts go to: {chats or 'the terminal (no channel set)'}", file=out)
        print("offline: Telegram and the feeds were not asked (without --offline, they are)",
              file=out)
        return 0
    rows: list[Row] = [("what", "status", "detail"), *telegram_rows(settings)]
    rows += [_feed(f.url, f.name, limits) for f in settings.feeds]
    table(rows, out)
    failed = sum(r[1] == "FAIL" for r in rows)
    print(f"{failed} problem(s)" if failed else "all good", file=out)
    return 1 if failed else 0
