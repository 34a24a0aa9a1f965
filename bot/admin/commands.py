"""What the admin commands do, without Telegram: each takes its argument text and returns
the reply text. `bot.admin.bot` wires them to Bot API updates; tests can call them directly.
Their words (the command table, the arguments' syntax, how replies show times and failures)
are in `bot.admin.wording`.

Config edits go through `bot.config.edit` (validated like the file, written back keeping
comments, atomic) and are applied at once through the host (the running Service).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from bot.admin.wording import (
    ADDFEED_USAGE,
    HELP,
    SMART_QUOTES,
    TOPIC_NAME,
    addfeed_args,
    ago,
    clip,
    reason,
)
from bot.config import ConfigEditor, Edited
from bot.errors import ConfigError, ConfigUnwritable, FeedError, QueryError
from bot.feedwork import fetch_parse
from bot.models import NotModified, utcnow
from bot.pipeline import dry_run, fetch_limits, meaning_line
from bot.settings import FeedConfig, Settings
from bot.store import SharedState, Store
from bot.text import span

log = logging.getLogger("newsbot.admin")
DRY_RUN_SHOWN = 10


class Host(Protocol):
    """What the commands need from the running service."""

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> Store: ...

    @property
    def started_at(self) -> datetime: ...

    async def apply_settings(self, settings: Settings, *, written: bool = False) -> None: ...

    def set_paused(self, by: str | None) -> None: ...


class Commands:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.table: dict[str, Callable[[str, str], Awaitable[str]]] = {
            "help": self.help, "start": self.help, "status": self.status,
            "topics": self.topics, "watch": self.watch, "unwatch": self.unwatch,
            "feeds": self.feeds, "addfeed": self.addfeed, "rmfeed": self.rmfeed,
            "undo": self.undo, "test": self.test, "pause": self.pause, "resume": self.resume}
        # The last config edit made by a command, and that command: what /undo takes back.
        # In memory: one process reads admin commands (the reader's lease), and after a
        # restart /undo says there is nothing to undo rather than guess.
        self._last: tuple[Edited, str] | None = None
        self._edited: Edited | None = None

    async def run(self, command: str, args: str, who: str) -> str:
        handler = self.table.get(command.lower())
        if handler is None:
            return f"Unknown command /{command}. Send /help for the list."
        self._edited = None
        try:
            reply = await handler(args.translate(SMART_QUOTES).strip(), who)
        except ConfigUnwritable as exc:
            log.error("admin %s: /%s not saved: %s", who, command, exc)
            return f"Not saved, nothing changed: {exc}"
        except ConfigError as exc:
            log.warning("admin %s: /%s refused: %s", who, command, exc)
            return f"Refused, nothing changed: {exc}"
        if self._edited is not None and handler != self.undo:
            self._last = (self._edited, clip(f"/{command.lower()} {args}", 80))
        return reply

    @property
    def settings(self) -> Settings:
        return self.host.settings

    async def _edit(self, do: Callable[[ConfigEditor], Edited]) -> Edited:
        editor = ConfigEditor(self.settings.path)
        edited = self._edited = await asyncio.to_thread(do, editor)
        await self.host.apply_settings(edited.settings, written=True)
        return edited

    # -- read-only ---------------------------------------------------------------------
    async def help(self, args: str, who: str) -> str:
        return HELP

    async def status(self, args: str, who: str) -> str:
        store, now = self.host.store, utcnow()
        states, pending, last, paused = await asyncio.to_thread(lambda: (
            {s.url: s for s in store.feed_states()}, store.outbox.pending(),
            store.outbox.last_sent(), SharedState(store.engine).paused()))
        failing = [f for f in self.settings.feeds
                   if (s := states.get(f.url)) is not None and (s.error_count or s.gone)]
        lines = [f"newsbot up {span(now - self.host.started_at)}",
                 f"feeds: {len(self.settings.feeds) - len(failing)} ok, {len(failing)} failing",
                 *(f"  ✗ {f.name + ' – ' if f.name else ''}{f.url}: "
                   f"{clip(reason(states[f.url]), 120)}" for f in failing),
                 f"topics: {len(self.settings.topics)}",
                 f"queue: {pending} waiting",
                 f"last post: {ago(last, now)}",
                 f"posting: PAUSED by {paused.by} {ago(paused.since, now)}" if paused
                 else "posting: on"]
        return "\n".join(lines)

    async def topics(self, args: str, who: str) -> str:
        lines = [f"{len(self.settings.topics)} topics"]
        for t in self.settings.topics:
            where = f" → {t.channel}" if t.channel else ""
            lines.append(f"• {t.name}{where}: {clip(t.source, 200)}")
        return "\n".join(lines)

    async def feeds(self, args: str, who: str) -> str:
        states = {s.url: s for s in await asyncio.to_thread(self.host.store.feed_states)}
        lines = [f"{len(self.settings.feeds)} feeds"]
        for f in self.settings.feeds:
            s = states.get(f.url)
            state = ("new" if s is None or s.last_attempt is None else "GONE" if s.gone
                     else f"failing ×{s.error_count}" if s.error_count else "ok")
            every = "auto" if f.every is None else span(f.every).replace(" 0s", "")
            lines.append(f"• {f.name + ' – ' if f.name else ''}{f.url} (every {every}, {state})")
        return "\n".join(lines)

    async def test(self, args: str, who: str) -> str:
        """A dry run over the stored recent articles, with bot.dryrun (`newsbot match`)."""
        if not args:
            return ("Usage: /test QUERY or /test TOPIC, e.g. /test summit AND (Putin OR Xi), "
                    "or /test summits (the topic as it decides: query, meaning, exclusions)")
        window = self.settings.dedupe_window
        try:
            looked_at, hits = await asyncio.to_thread(
                dry_run, args, self.settings, now=utcnow(), since=window,
                store=self.host.store)
        except QueryError as exc:
            return f"Query refused: {exc}"
        lines = [f"{len(hits)} of {looked_at} articles seen in the last {span(window)} "
                 "match (newest first)."]
        for hit in list(reversed(hits))[:DRY_RUN_SHOWN]:
            meaning = f" ({meaning_line(hit)})" if hit.scores else ""
            lines.append(f"• {clip(hit.title or '(untitled)', 120)} — {hit.source} "
                         f"[{hit.reason}]{meaning}")
        if len(hits) > DRY_RUN_SHOWN:
            lines.append(f"… and {len(hits) - DRY_RUN_SHOWN} more")
        return "\n".join(lines)

    # -- edits -------------------------------------------------------------------------
    async def watch(self, args: str, who: str) -> str:
        name, _, query = args.partition(" ")
        if not name or not query.strip():
            return "Usage: /watch NAME QUERY, e.g. /watch volcanoes volcano OR eruption"
        if not TOPIC_NAME.fullmatch(name):
            return "A topic name is letters, digits and _ (it becomes a #hashtag)."
        old = next((t.source for t in self.settings.topics if t.name == name), None)
        edited = await self._edit(lambda e: e.set_topic(name, query.strip()))
        log.info("admin %s: /watch %s %r (%s in %s)", who, name, query.strip(), edited.note,
                 edited.file)
        if old is None:
            return f"Topic {name} {edited.note} in {edited.file.name}; matching it from now on."
        # Replacing a tuned query is easy to do by accident: show what it was, and the way
        # back, in the same reply.
        return (f"Topic {name} {edited.note} in {edited.file.name}; matching the new query "
                f"from now on.\nIts query was:\n{old}\nSend /undo to put that back.")

    async def unwatch(self, args: str, who: str) -> str:
        if not args:
            return "Usage: /unwatch NAME"
        edited = await self._edit(lambda e: e.remove_topic(args))
        log.info("admin %s: /unwatch %s (%s)", who, args, edited.file)
        return f"Topic {args} removed from {edited.file.name}."

    async def addfeed(self, args: str, who: str) -> str:
        """Fetch the feed first, as it will be polled (from public addresses only: it comes
        from Telegram, bot.fetch.guard), and add it only if it reads as a feed."""
        try:
            url, name, every = addfeed_args(args)
        except ValueError as exc:
            return f"Refused, nothing changed: {exc}\n{ADDFEED_USAGE}"
        if any(f.url.rstrip("/") == url.rstrip("/") for f in self.settings.feeds):
            return f"Already in the config: {url}"
        feed = FeedConfig(url=url, name=name, origin="telegram")
        try:
            out = await asyncio.to_thread(
                fetch_parse, url, etag=None, last_modified=None, body_hash=None,
                limits=fetch_limits(self.settings, feed), source=name)
        except FeedError as exc:
            log.warning("admin %s: /addfeed %s not added: %s", who, url, exc.reason)
            return f"Not added, nothing changed: {exc.reason}"
        assert not isinstance(out, NotModified)     # no validators were sent
        parsed = out.parsed
        await self._edit(lambda e: e.add_feeds([(url, name, every)], origin="telegram"))
        log.info("admin %s: /addfeed %s %s %s", who, url, name or "", every or "")
        shown = f"“{parsed.title}”" + (f" as “{name}”" if name and name != parsed.title
                                       else "")
        count = len(parsed.articles) + parsed.left_out
        when = f"every {every}" if every else "at the default interval"
        return (f"Feed {shown} added: {count} item{'s' * (count != 1)} in it now; polled "
                f"{when}, the first time now. From here on its new items that match a topic "
                "are posted.")

    async def rmfeed(self, args: str, who: str) -> str:
        if not args:
            return "Usage: /rmfeed URL"
        await self._edit(lambda e: e.remove_feed(args))
        log.info("admin %s: /rmfeed %s", who, args)
        return f"Feed {args} removed; no longer polled."

    async def undo(self, args: str, who: str) -> str:
        """Put back the file the last command edit changed, as it was before that edit
        (comments and all); refused if the file changed since (by hand or by command)."""
        if self._last is None:
            return ("Nothing to undo: no config change was made with a command since newsbot "
                    "started.")
        edited, what = self._last
        restored = await self._edit(lambda e: e.restore(edited))
        self._last = None
        log.info("admin %s: /undo of %s (%s)", who, what, edited.file)
        return f"Undone: {what}\n{restored.file.name} is back as it was before it."

    async def pause(self, args: str, who: str) -> str:
        await asyncio.to_thread(self.host.set_paused, who)
        log.info("admin %s: /pause: posting paused", who)
        return "Posting paused. Matches keep queueing; /resume sends them."

    async def resume(self, args: str, who: str) -> str:
        await asyncio.to_thread(self.host.set_paused, None)
        log.info("admin %s: /resume: posting resumed", who)
        return "Posting resumed."
