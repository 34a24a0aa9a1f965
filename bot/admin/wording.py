"""The admin commands' words, apart from what they do (`bot.admin.commands`): the one
table of commands, their arguments as an admin types them (a topic name, /addfeed's URL,
name and interval, quotes a phone keyboard curled), and how replies show how long ago,
a feed's failure and a long text (a span of time itself is `bot.text.span`). Pure text in,
text out."""

from __future__ import annotations

import re
import shlex
from datetime import datetime

from bot.config import duration, web_url
from bot.models import FeedState
from bot.text import span

TOPIC_NAME = re.compile(r"[A-Za-z0-9_]{1,40}")      # it becomes a #hashtag in posts
SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})
ADDFEED_USAGE = ('Usage: /addfeed URL [name="..."] [every], with an http(s) URL, e.g. '
                 '/addfeed https://example.com/rss.xml name="Example News" 15m')

# The commands, their arguments and what they do: /help and the command menu that
# setMyCommands puts beside the message box (bot.admin.bot) read this one table.
MENU: tuple[tuple[str, str, str], ...] = (
    ("status", "", "feeds ok and failing, queue, last post, uptime"),
    ("topics", "", "watched topics and their queries"),
    ("watch", " NAME QUERY", "add a topic, or replace its query"),
    ("unwatch", " NAME", "stop watching a topic"),
    ("feeds", "", "configured feeds and their state"),
    ("addfeed", ' URL [name="..."] [every]', "check a feed and add it (every: 10m, 1h, auto)"),
    ("rmfeed", " URL", "remove a feed"),
    ("undo", "", "take back the last config change made here"),
    ("test", " QUERY", "what a query would have matched in recent articles"),
    ("pause", "", "stop posting (kept across restarts; matches keep queueing)"),
    ("resume", "", "post again"),
    ("help", "", "this list"),
)
HELP = "newsbot admin commands\n" + "\n".join(f"/{c}{a} – {d}" for c, a, d in MENU)


def addfeed_args(args: str) -> tuple[str, str | None, str | None]:
    """`URL [name="..."] [every]` -> (url, name, every); ValueError saying what is wrong."""
    try:
        words = shlex.split(args)
    except ValueError as exc:                   # an unclosed quote
        raise ValueError(f"could not read that ({exc})") from None
    if not words:
        raise ValueError("which feed?")
    url, name, every = web_url(words[0]), None, None
    for word in words[1:]:
        if word.startswith("name="):
            name = word[5:].strip() or None
        elif every is None:
            if word != "auto":
                duration(word)
            every = word
        else:
            raise ValueError(f"unexpected {word!r}")
    return url, name, every


def ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    return f"{span(now - when)} ago"


def reason(state: FeedState) -> str:
    """Why a feed fails, without the URL its stored error starts with (FeedError's
    "URL: reason"): /status names the feed once, before it."""
    error = state.last_error or ("gone (410)" if state.gone else "failing")
    for url in (state.url, state.moved_to):
        if url and error.startswith(f"{url}: "):
            return error[len(url) + 2:]
    return error


def clip(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n - 1] + "…"
