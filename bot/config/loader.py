"""Load and validate `config/newsbot.yaml` into frozen `Settings`, once.

A refused config raises `ConfigError` naming the file, the line and the dotted key, and
saying what was expected. Secrets and deployment settings come from the environment:
TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL, DATABASE_URL, NEWSBOT_DATA_DIR.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

import bot.config.values as v
from bot.errors import ConfigError, QueryError
from bot.match import compile_query, terms_query
from bot.settings import (
    DeliverySettings,
    FeedConfig,
    PollingSettings,
    Secret,
    Settings,
    TopicConfig,
)

DEFAULT_PATH = Path("config/newsbot.yaml")
T = TypeVar("T")

TOP_KEYS = {"channel", "admins", "operator_chat", "defaults", "feeds", "topics", "lists",
            "include", "backfill", "dedupe", "polling", "delivery", "health_port", "log",
            "retention"}
FEED_KEYS = {"url", "name", "every", "fetch_article", "channel", "origin"}
TOPIC_KEYS = {"terms", "exclude", "query", "channel"}
POLLING = {"workers": v.positive_int, "per_host": v.positive_int, "jitter": float,
           "min_interval": v.duration, "max_interval": v.duration, "backoff_max": v.duration,
           "alert_after": v.duration, "max_bytes": v.size, "connect_timeout": float,
           "read_timeout": float, "total_timeout": float, "http_engine": v.http_engine,
           "allow_private": v.boolean}
DELIVERY = {"per_chat_per_minute": v.positive_int, "per_second": v.positive_int,
            "preview": v.boolean, "digest_after": v.positive_int, "quiet_hours": v.quiet_hours,
            "timezone": str, "edit_interval": v.duration, "digests": None,
            "retry_base": v.duration, "retry_max": v.duration,
            "unavailable_retry": v.duration, "lease": v.duration}


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
    doc = _read_yaml(file, texts)
    ctx = _Ctx(str(file))
    ctx.keys(doc, TOP_KEYS, "", None)
    base = file.resolve().parent

    defaults = ctx.mapping(doc, "defaults", {"every"})
    every = ctx.value(defaults, "every", v.duration, timedelta(minutes=10), "defaults.every")
    lists: dict[str, tuple[str, ...]] = {}
    topics_src: dict[str, tuple[Any, Any, str]] = {}
    for inc_file, inc in _includes(doc, ctx, base, texts):
        inc_ctx = _Ctx(inc_file)
        inc_ctx.keys(inc, {"lists", "topics"}, "", None)
        _collect_lists(inc_ctx, inc, lists)
        _collect_topics(inc_ctx, inc, topics_src)
    _collect_lists(ctx, doc, lists)
    _collect_topics(ctx, doc, topics_src)

    topics = tuple(_topic(cctx, name, node, lists, line)
                   for name, (node, cctx, line) in topics_src.items())
    feeds = _feeds(ctx, doc, base, every)
    if not feeds:
        raise ctx.error("feeds", "no feeds configured: add at least one under feeds:", None)
    if not topics:
        raise ctx.error("topics", "no topics configured: add at least one under topics:", None)

    log = ctx.mapping(doc, "log", {"json", "level"})
    dedupe_window = ctx.value(ctx.mapping(doc, "dedupe", {"window"}), "window", v.duration,
                              timedelta(hours=72), "dedupe.window")
    # Default: 30 days, or the dedupe window if that is longer (a story must outlive it).
    retention = ctx.value(doc, "retention", v.duration, max(timedelta(days=30), dedupe_window))
    if retention < dedupe_window:
        hours = dedupe_window.total_seconds() / 3600
        raise ctx.error("retention", f"must be at least dedupe.window ({hours:g}h): a story "
                        "must outlive the window in which later reports can join it",
                        key_line(doc, "retention"))
    data_dir = Path(env.get("NEWSBOT_DATA_DIR") or "data")
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    return Settings(
        path=file,
        channel=ctx.value(doc, "channel", v.channel, None),
        admins=ctx.value(doc, "admins", _admins, ()),
        operator_chat=ctx.value(doc, "operator_chat", v.channel, None),
        every=every,
        backfill=ctx.value(doc, "backfill", lambda x: v.positive_int(x, allow_zero=True), 0),
        dedupe_window=dedupe_window,
        retention=retention,
        feeds=feeds,
        topics=topics,
        lists=tuple(lists.items()),
        polling=_section(ctx, doc, "polling", POLLING, PollingSettings()),
        delivery=_section(ctx, doc, "delivery", DELIVERY, DeliverySettings()),
        token=Secret(token) if token else None,
        api_url=(env.get("TELEGRAM_API_URL") or "https://api.telegram.org").rstrip("/"),
        database_url=Secret(env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'newsbot.db'}"),
        health_port=ctx.value(doc, "health_port", v.positive_int, None),
        log_json=ctx.value(log, "json", v.boolean, False, "log.json"),
        log_level=ctx.value(log, "level", _level, "INFO", "log.level"),
    )


def _read_yaml(file: Path, texts: Mapping[Path, str] | None = None) -> Any:
    try:
        override = (texts or {}).get(file.resolve())
        text = override if override is not None else file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the config file: {exc.strerror or exc}",
                          file=str(file)) from None
    try:
        doc = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise ConfigError(f"not valid YAML: {exc.problem}", file=str(file),
                          line=mark.line + 1 if mark else None) from None
    if doc is None:
        doc = {}
    if not isinstance(doc, Mapping):
        raise ConfigError("expected a mapping of keys (channel:, feeds:, topics:, ...)",
                          file=str(file), line=1)
    return doc


class _Ctx:
    """Knows the file being read; builds errors that point at a key's line."""

    def __init__(self, file: str) -> None:
        self.file = file

    def error(self, key: str, message: str, line: int | None) -> ConfigError:
        return ConfigError(message, file=self.file, line=line, key=key)

    def keys(self, node: Any, allowed: set[str], prefix: str, line: int | None) -> None:
        if not isinstance(node, Mapping):
            raise self.error(prefix.rstrip("."), "expected a mapping", line)
        for key in node:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                maybe = f"; did you mean {hint[0]!r}?" if hint else ""
                raise self.error(f"{prefix}{key}", f"unknown key{maybe} (allowed: "
                                 f"{', '.join(sorted(allowed))})", key_line(node, key))

    def mapping(self, node: Mapping[str, Any], key: str, allowed: set[str]) -> Mapping[str, Any]:
        sub = node.get(key)
        if sub is None:
            return {}
        self.keys(sub, allowed, f"{key}.", key_line(node, key))
        return sub

    def value(self, node: Mapping[str, Any], key: str, parse: Callable[[Any], Any],
              default: T, dotted: str | None = None) -> T:
        if key not in node or node[key] is None:
            return default
        try:
            return parse(node[key])
        except (ValueError, TypeError) as exc:
            raise self.error(dotted or key, str(exc), key_line(node, key)) from None


def key_line(node: Any, key: Any) -> int | None:
    try:
        return int(node.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError):
        return None


def item_line(node: Any, index: int) -> int | None:
    try:
        return int(node.lc.item(index)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return None


def _includes(doc: Mapping[str, Any], ctx: _Ctx, base: Path,
              texts: Mapping[Path, str]) -> list[tuple[str, Any]]:
    names: tuple[str, ...] = ctx.value(doc, "include", v.string_list, ())
    out = []
    for name in names:
        path = base / str(name)
        if not path.is_file() and path.resolve() not in texts:
            raise ctx.error("include", f"included file {name!r} not found (looked at {path})",
                            key_line(doc, "include"))
        out.append((str(path), _read_yaml(path, texts)))
    return out


def _collect_lists(ctx: _Ctx, doc: Mapping[str, Any], lists: dict[str, tuple[str, ...]]) -> None:
    node = doc.get("lists") or {}
    if not isinstance(node, Mapping):
        raise ctx.error("lists", "expected a mapping of name: [terms]", key_line(doc, "lists"))
    for name in node:
        lists[str(name)] = ctx.value(node, name, v.string_list, (), f"lists.{name}")


def _collect_topics(ctx: _Ctx, doc: Mapping[str, Any],
                    topics: dict[str, tuple[Any, Any, str]]) -> None:
    node = doc.get("topics") or {}
    if not isinstance(node, Mapping):
        raise ctx.error("topics", "expected a mapping of topic name: {terms: [...]}",
                        key_line(doc, "topics"))
    for name in node:
        topics[str(name)] = (node[name], ctx, key_line(node, name))  # type: ignore[assignment]


def _topic(ctx: _Ctx, name: str, node: Any, lists: Mapping[str, tuple[str, ...]],
           line: Any) -> TopicConfig:
    key = f"topics.{name}"
    if not isinstance(node, Mapping):
        raise ctx.error(key, "expected a mapping with terms: [...] or query: '...'", line)
    ctx.keys(node, TOPIC_KEYS, f"{key}.", line)
    terms = ctx.value(node, "terms", v.string_list, (), f"{key}.terms")
    exclude = ctx.value(node, "exclude", v.string_list, (), f"{key}.exclude")
    query = ctx.value(node, "query", str, "", f"{key}.query").strip()
    if query and (terms or exclude):
        raise ctx.error(key, "give either query: or terms:/exclude:, not both", line)
    if not query and not terms:
        raise ctx.error(key, "empty topic: give terms: [...] or query: '...'", line)
    source = query or terms_query(terms, exclude)
    qkey = f"{key}.query" if query else f"{key}.terms"
    try:
        compiled = compile_query(source, lists=lists, key=qkey)
    except QueryError as exc:
        raise ConfigError(str(exc).split(": ", 1)[-1], file=ctx.file,
                          line=key_line(node, "query" if query else "terms"), key=qkey) from None
    return TopicConfig(name=name, source=source, query=compiled,
                       channel=ctx.value(node, "channel", v.channel, None, f"{key}.channel"))


def _feeds(ctx: _Ctx, doc: Mapping[str, Any], base: Path,
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
            url=url, name=ctx.value(item, "name", str, None, f"{key}.name"), every=every,
            fetch_article=ctx.value(item, "fetch_article", v.boolean, False,
                                    f"{key}.fetch_article"),
            channel=ctx.value(item, "channel", v.channel, None, f"{key}.channel"), line=line,
            origin=origin))
    return tuple(feeds)


def _section(ctx: _Ctx, doc: Mapping[str, Any], name: str, schema: Mapping[str, Any],
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


def _admins(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(
            isinstance(x, int) and not isinstance(x, bool) for x in value):
        raise ValueError(f"expected a list of numeric Telegram user ids, got {value!r}")
    return tuple(value)


def _level(value: Any) -> str:
    level = str(value).upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError(f"expected DEBUG, INFO, WARNING or ERROR, got {value!r}")
    return level
