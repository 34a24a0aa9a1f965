"""`newsbot check`: the config loaded; can we reach the Bot API and every feed?"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.deliver import TelegramDeliverer
from bot.errors import FeedError, NewsbotError
from bot.fetch import FetchLimits, fetch
from bot.models import NotModified
from bot.parse import parse
from bot.settings import Settings


def table(rows: list[tuple[str, str, str]], out: TextIO) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip(),
              file=out)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=out)


def _bot_api(settings: Settings) -> tuple[str, str, str]:
    if not settings.token:
        return ("Bot API", "SKIP", "TELEGRAM_BOT_TOKEN not set: posts go to the terminal")

    async def get_me() -> dict[str, object]:
        assert settings.token is not None
        bot = TelegramDeliverer(settings.token.reveal(), settings.api_url)
        try:
            await bot.start()
            return await bot.get_me()
        finally:
            await bot.close()

    try:
        me = asyncio.run(get_me())
    except NewsbotError as exc:
        return ("Bot API getMe", "FAIL", str(exc))
    return ("Bot API getMe", "OK", f"@{me.get('username')} via {settings.api_url}")


def _feed(url: str, name: str | None, limits: FetchLimits) -> tuple[str, str, str]:
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


def check(settings: Settings, out: TextIO = sys.stdout) -> int:
    p = settings.polling
    limits = FetchLimits(connect_timeout=p.connect_timeout, read_timeout=p.read_timeout,
                         total_timeout=p.total_timeout, max_bytes=p.max_bytes)
    print(f"config {settings.path}: OK ({len(settings.feeds)} feeds, "
          f"{len(settings.topics)} topics)", file=out)
    rows = [("what", "status", "detail"), _bot_api(settings)]
    rows += [_feed(f.url, f.name, limits) for f in settings.feeds]
    table(rows, out)
    failed = sum(r[1] == "FAIL" for r in rows)
    print(f"{failed} problem(s)" if failed else "all good", file=out)
    return 1 if failed else 0
