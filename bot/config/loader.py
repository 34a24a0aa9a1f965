"""Load and validate `config/newsbot.yaml` into frozen `Settings`, once.

A refused config raises `ConfigError` naming the file, the line and the dotted key, and
saying what was expected. Everything `run` will use is checked here, so a config that loads
does not fail later (a time zone, a port, a list entry no topic uses yet). Secrets and
deployment settings come from the environment: TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL,
DATABASE_URL, NEWSBOT_DATA_DIR.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import bot.config.values as v
from bot.config.meaning import semantic_model
from bot.config.queries import Queries
from bot.config.source import Ctx, did_you_mean, item_line, key_line, read_yaml
from bot.dedupe import MERGE, MERGE_BARS
from bot.errors import ConfigError
from bot.settings import (
    DeliverySettings,
    FeedConfig,
    PollingSettings,
    Secret,
    Settings,
)

DEFAULT_PATH = Path("config/newsbot.yaml")
T = TypeVar("T")

TOP_KEYS = {"channel", "admins", "operator_chat", "defaults", "feeds", "topics", "lists",
            "include", "backfill", "dedupe", "polling", "delivery", "health_port", "log",
            "retention", "semantic"}
FEED_KEYS = {"url", "name", "every", "fetch_article", "channel", "origin"}
POLLING = {"workers": v.bounded(256), "per_host": v.bounded(64), "jitter": v.fraction,
           "min_interval": v.duration, "max_interval": v.duration, "backoff_max": v.duration,
           "alert_after": v.duration, "max_bytes": v.size, "connect_timeout": v.seconds,
           "read_timeout": v.seconds, "total_timeout": v.seconds, "http_engine": v.http_engine,
           "allow_private": v.boolean}
DELIVERY = {"per_chat_per_minute": v.positive_int, "per_second": v.positive_int,
            "preview": v.boolean, "images": v.boolean, "digest_after": v.positive_int,
            "quiet_hours": v.quiet_hours,
            "timezone": v.timezone, "edit_interval": v.duration, "digests": None,
            "retry_base": v.duration, "retry_max": v.duration,
            "unavailable_retry": v.duration, "lease": v.duration, "send_timeout": v.duration}


def config_path(path: str | os.PathLike[str] | None = None,
                env: Mapping[str, str] = os.environ) -> Path:
    return Path(path or env.get("NEWSBOT_CONFIG") or DEFAULT_PATH)


def load(path: str | os.PathLike[str] | None = None,
         env: Mapping[str, str] = os.environ, *,
         texts: Mapping[Path, str] | None = None) -> Settings:
    """Parse the file and the environment into Settings, or raise ConfigError.

    `texts` maps resolved paths to in-memory contents that stand in for those files: an
    edit (bot.configedit) is validated exactly like the file, before anything is written.
    """
    file = config_path(path, env)
    texts = texts or {}
    doc = read_yaml(file, texts)
    ctx = Ctx(str(file))
    ctx.keys(doc, TOP_KEYS, "", None)
    base = file.resolve().parent

    defaults = ctx.mapping(doc, "defaults", {"every"})
    every = ctx.value(defaults, "every", v.duration, timedelta(minutes=10), "defaults.every")
    queries = Queries()
    for inc_file, inc in _includes(doc, ctx, base, texts):
        inc_ctx = Ctx(inc_file)
        inc_ctx.keys(inc, {"lists", "topics"}, "", None)
        queries.collect(inc_ctx, inc)
    queries.collect(ctx, doc)
    topics = queries.compile()
    feeds = _feeds(ctx, doc, base, every)
    if not feeds:
        raise ctx.error("feeds", "no feeds configured: add at least one under feeds:", None)
    if not topics:
        raise ctx.error("topics", "no topics configured: add at least one under topics:", None)

    log = ctx.mapping(doc, "log", {"json", "level"})
    dedupe = ctx.mapping(doc, "dedupe", {"window", "merge"})
    dedupe_window = ctx.value(dedupe, "window", v.duration, timedelta(hours=72), "dedupe.window")
    merge = ctx.value(dedupe, "merge", str, MERGE, "dedupe.merge")
    if merge not in MERGE_BARS:          # which trade the same-story bars make (bot.dedupe)
        raise ctx.error("dedupe.merge", f"expected one of {', '.join(MERGE_BARS)}, got "
                        f"{merge!r}{did_you_mean(merge, MERGE_BARS)}", key_line(dedupe, "merge"))
    # Default: 30 days, or the dedupe window if that is longer (a story must outlive it).
    retention = ctx.value(doc, "retention", v.duration, max(timedelta(days=30), dedupe_window))
    if retention < dedupe_window:
        hours = dedupe_window.total_seconds() / 3600
        raise ctx.error("retention", f"must be at least dedupe.window ({hours:g}h): a story "
                        "must outlive the window in which later reports can join it",
                        key_line(doc, "retention"))
    polling = _section(ctx, doc, "polling", POLLING, PollingSettings())
    if polling.min_interval > polling.max_interval:
        most = (doc.get("polling") or {}).get("max_interval") or "6h, the default"
        raise ctx.error("polling.min_interval", f"is longer than polling.max_interval "
                        f"({most})", key_line(doc.get("polling"), "min_interval"))
    delivery = _section(ctx, doc, "delivery", DELIVERY, DeliverySettings())
    _check_delivery(ctx, doc, delivery, {t.name for t in topics})
    data_dir = Path(env.get("NEWSBOT_DATA_DIR") or "data")
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'newsbot.db'}"
    try:
        v.database_url(database_url)
    except ValueError as exc:
        raise ConfigError(str(exc), key="DATABASE_URL") from None
    return Settings(
        path=file,
        channel=ctx.value(doc, "channel", v.channel, None),
        admins=ctx.value(doc, "admins", v.user_ids, ()),
        operator_chat=ctx.value(doc, "operator_chat", v.channel, None),
        every=every,
        backfill=ctx.value(doc, "backfill", v.bounded(1000, allow_zero=True), 0),
        dedupe_window=dedupe_window,
        dedupe_merge=merge,
        retention=retention,
        feeds=feeds,
        topics=topics,
        lists=tuple(queries.lists.items()),
        polling=polling,
        delivery=delivery,
        token=Secret(token) if token else None,
        api_url=(env.get("TELEGRAM_API_URL") or "https://api.telegram.org").rstrip("/"),
        database_url=Secret(database_url),
        health_port=ctx.value(doc, "health_port", v.port, None),
        log_json=ctx.value(log, "json", v.boolean, False, "log.json"),
        log_level=ctx.value(log, "level", v.log_level, "INFO", "log.level"),
        semantic_model=semantic_model(ctx, doc),
    )


def _includes(doc: Mapping[str, Any], ctx: Ctx, base: Path,
              texts: Mapping[Path, str]) -> list[tuple[str, Any]]:
    names: tuple[str, ...] = ctx.value(doc, "include", v.string_list, ())
    out = []
    for name in names:
        path = base / str(name)
        if not path.is_file() and path.resolve() not in texts:
            raise ctx.error("include", f"included file {name!r} not found (looked at {path})",
                            key_line(doc, "include"))
        out.append((str(path), read_yaml(path, texts)))
    return out


def _feeds(ctx: Ctx, doc: Mapping[str, Any], base: Path,
           default_every: timedelta) -> tuple[FeedConfig, ...]:
    node = doc.get("feeds") or []
    if not isinstance(node, list):
        raise ctx.error("feeds", "expected a list of {url: ...}", key_line(doc, "feeds"))
    seen: dict[str, int | None] = {}
    feeds = []
    for i, item in enumerate(node):
        key, line = f"feeds[{i}]", item_line(node, i)
        if isinstance(item, str):
            item = {"url": item}
        ctx.keys(item, FEED_KEYS, f"{key}.", line)
        if "url" not in item:
            raise ctx.error(f"{key}.url", "missing: every feed needs a url", line)
        # A feed from Telegram or OPML (bot.fetch.guard) is http(s) only, never a path.
        origin = ctx.value(item, "origin", v.origin, "config", f"{key}.origin")
        url = ctx.value(item, "url", (lambda x: v.feed_url(x, base)) if origin == "config"
                        else v.web_url, "", f"{key}.url")
        if url.rstrip("/") in seen:
            raise ctx.error(f"{key}.url", f"duplicate feed {url} (first at line "
                            f"{seen[url.rstrip('/')]})", line)
        seen[url.rstrip("/")] = line
        # `every: auto` (None) adapts to the feed's publishing rate; absent means defaults.every.
        every = None if item.get("every") == "auto" else ctx.value(
            item, "every", v.duration, default_every, f"{key}.every")
        feeds.append(FeedConfig(
            url=url, name=ctx.value(item, "name", v.text, None, f"{key}.name"), every=every,
            fetch_article=ctx.value(item, "fetch_article", v.boolean, False,
                                    f"{key}.fetch_article"),
            channel=ctx.value(item, "channel", v.channel, None, f"{key}.channel"), line=line,
            origin=origin))
    return tuple(feeds)


def _section(ctx: Ctx, doc: Mapping[str, Any], name: str, schema: Mapping[str, Any],
             default: T) -> T:
    node = ctx.mapping(doc, name, set(schema))
    changes: dict[str, Any] = {}
    for key, parse in schema.items():
        if key == "digests":
            changes[key] = ctx.value(node, key, _digests, (), f"{name}.{key}")
        elif key in node:
            changes[key] = ctx.value(node, key, parse, None, f"{name}.{key}")
    return replace(default, **changes)  # type: ignore[type-var]


def _digests(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping):
        raise ValueError("expected a mapping of topic: hourly|daily")
    out = []
    for topic, every in value.items():
        if every not in ("hourly", "daily"):
            raise ValueError(f"expected hourly or daily for {topic!r}, got {every!r}")
        out.append((str(topic), str(every)))
    return tuple(out)


def _check_delivery(ctx: Ctx, doc: Mapping[str, Any], delivery: DeliverySettings,
                    topics: set[str]) -> None:
    """What one value cannot say alone: digests name topics that exist; a quiet window
    has some length."""
    node = doc.get("delivery") or {}
    digests = node.get("digests") or {}
    for topic, _every in delivery.digests:
        if topic not in topics:
            raise ctx.error(f"delivery.digests.{topic}", f"no topic named {topic!r}"
                            f"{did_you_mean(topic, topics)}", key_line(digests, topic))
    if delivery.quiet_hours and delivery.quiet_hours[0] == delivery.quiet_hours[1]:
        raise ctx.error("delivery.quiet_hours", "starts and ends at the same time: give a "
                        "range such as 23:00-07:00", key_line(node, "quiet_hours"))
