"""Typed, immutable settings: what `config.load()` returns. Secrets are masked in reprs, and
`redact` blanks every registered secret out of any text, in any letter case."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any


class Secret:
    """A string that never shows itself in repr(), str() or a traceback's locals."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class Redactor:
    """Blank registered secrets out of text, in any letter case and URL-encoded.

    Case matters because Telegram's error texts reach us through python-telegram-bot, which
    strips "Bad Request: " and passes the rest through `str.capitalize()` (telegram/error.py):
    a token echoed in a 400 description comes back lower-cased. A bot token also gets its
    secret half (after the colon) registered: that half alone is the credential's entropy."""

    MASK = "<TELEGRAM_BOT_TOKEN>"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, secret: str | None) -> None:
        """Register a secret (and, for a bot token "id:secret", its secret half)."""
        secret = (secret or "").strip()
        parts = {secret, secret.split(":", 1)[-1]}
        forms = {p for p in parts if len(p) >= 4} | {p.replace(":", "%3A") for p in parts
                                                     if ":" in p and len(p) >= 4}
        with self._lock:
            if forms <= self._secrets:
                return
            self._secrets |= forms
            alternatives = sorted(self._secrets, key=len, reverse=True)   # longest first
            self._pattern = re.compile("|".join(map(re.escape, alternatives)), re.IGNORECASE)

    def __call__(self, text: str) -> str:
        pattern = self._pattern
        return text if pattern is None or not text else pattern.sub(self.MASK, text)

    def clear(self) -> None:
        with self._lock:
            self._secrets.clear()
            self._pattern = None


# The one redactor of the process: the deliverer and the admin reader register the token,
# logging, the store (last_error, alert bodies) and command output pass text through it.
redact = Redactor()


# A chat with a forum topic: "-1001234567890:45" or "@group:45" (chat:message_thread_id).
_THREAD = re.compile(r"(.+):([1-9]\d{0,9})")


def chat_thread(chat: str) -> tuple[str, int | None]:
    """A destination as configured -> (chat_id, message_thread_id or None). The thread is
    part of the destination everywhere newsbot keeps one (outbox rows, pauses, digests),
    and is split off only where a message is sent
    (https://core.telegram.org/bots/api#sendmessage message_thread_id)."""
    m = _THREAD.fullmatch(chat)
    return (m[1], int(m[2])) if m else (chat, None)


@dataclass(frozen=True)
class FeedConfig:
    url: str                            # http(s) URL, or an absolute local path / file:// URL
    name: str | None = None
    every: timedelta | None = None      # None = "auto": adapt to the feed's publishing rate
    fetch_article: bool = False
    channel: str | None = None          # route this feed's posts elsewhere
    line: int | None = None             # where it was declared, for messages
    # Who added it: "config" (the operator, by hand: trusted), or "telegram" (/addfeed) or
    # "opml" (`newsbot opml import`): untrusted, fetched from public addresses only
    # (bot.fetch.guard). Written back as `origin:` so a reload keeps the restriction.
    origin: str = "config"

    @property
    def trusted(self) -> bool:
        return self.origin == "config"


# A topic's meaning decides with its query (bench/fit_meaning.py fits both on the labelled dev
# items, cross-validated by storyline; docs/semantic.md): the meaning alone matches from
# MIN_SCORE, and a query match stands unless the meaning scores it below VETO_BELOW.
MIN_SCORE = 0.60
VETO_BELOW = 0.40


@dataclass(frozen=True)
class Meaning:
    """What a topic is about, in sentences: a description, examples, counter-examples."""

    description: str
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...] = ()
    min_score: float = MIN_SCORE
    veto_below: float = VETO_BELOW
    # min_score for an item in another language than English, which no list may name; None:
    # min_score (bot.match.matcher).
    foreign_min_score: float | None = None

    @property
    def positives(self) -> tuple[str, ...]:
        return (self.description, *self.examples) if self.description else self.examples

    @property
    def sentences(self) -> tuple[str, ...]:
        return (*self.positives, *self.counter_examples)


@dataclass(frozen=True)
class TopicConfig:
    name: str
    source: str                         # query source (the terms/exclude sugar is expanded)
    query: Any = field(repr=False)      # bot.match.query.Query, compiled once at load
    channel: str | None = None
    exclude: Any = field(default=None, repr=False)   # Query of `exclude:`: final for all signals
    meaning: Meaning | None = None


@dataclass(frozen=True)
class PollingSettings:
    workers: int = 8
    per_host: int = 2
    jitter: float = 0.1                 # ± fraction of the interval
    min_interval: timedelta = timedelta(minutes=2)
    max_interval: timedelta = timedelta(hours=6)
    backoff_max: timedelta = timedelta(hours=6)
    alert_after: timedelta = timedelta(hours=1)
    max_bytes: int = 10 * 1024 * 1024
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 60.0
    http_engine: str = "auto"           # auto | curl | urllib3 (bot.http_client)
    # Feeds from Telegram or OPML may also reach loopback and private networks (a local
    # RSS-Bridge, an intranet): on purpose only. Never link-local (cloud metadata).
    allow_private: bool = False


@dataclass(frozen=True)
class DeliverySettings:
    per_chat_per_minute: int = 20       # Telegram: ~20 messages/minute to one group or channel
    per_second: int = 30                # Telegram: ~30 messages/second in bulk
    preview: bool = False               # link previews under posts
    images: bool = True                 # the article's image as a large preview above a post
    digest_after: int = 10              # more queued than this for one chat -> fold into a digest
    quiet_hours: tuple[int, int] | None = None   # (start minute, end minute) of the day
    timezone: str = "UTC"
    edit_interval: timedelta = timedelta(minutes=5)   # throttle for "Also:" edits
    digests: tuple[tuple[str, str], ...] = ()         # (topic, "hourly" | "daily")
    retry_base: timedelta = timedelta(seconds=5)      # network/5xx backoff: base, doubling
    retry_max: timedelta = timedelta(minutes=10)      # ... up to this, forever
    unavailable_retry: timedelta = timedelta(minutes=30)  # 403 / chat not found: retry slowly
    lease: timedelta = timedelta(seconds=60)          # a claimed row is ours this long
    send_timeout: timedelta = timedelta(seconds=45)   # wait this long for Telegram's answer


@dataclass(frozen=True)
class Settings:
    path: Path
    channel: str | None
    admins: tuple[int, ...]
    operator_chat: str | None
    every: timedelta
    backfill: int
    dedupe_window: timedelta
    feeds: tuple[FeedConfig, ...]
    topics: tuple[TopicConfig, ...]
    lists: tuple[tuple[str, tuple[str, ...]], ...]
    polling: PollingSettings = field(default_factory=PollingSettings)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    token: Secret | None = None
    api_url: str = "https://api.telegram.org"
    database_url: Secret = field(default_factory=lambda: Secret("sqlite:///data/newsbot.db"))
    health_port: int | None = None
    log_json: bool = False
    log_level: str = "INFO"
    retention: timedelta = timedelta(days=30)   # see bot.retention
    semantic_model: str = "auto"        # "off": topics by query, stories by keys and text
    dedupe_merge: str = "balanced"      # bot.dedupe.identity.MERGE_BARS: which trade the bars make

    def feed(self, url: str) -> FeedConfig | None:
        return next((f for f in self.feeds if f.url == url), None)

    def destination(self, feed: FeedConfig | None, topic_channel: str | None) -> str | None:
        """Topic routing wins over feed routing, which wins over the default channel."""
        return topic_channel or (feed.channel if feed else None) or self.channel
