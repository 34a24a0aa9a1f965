"""The rows the store takes and gives back: plain frozen dataclasses, no SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["ArticleRecord", "NewStory", "OutboxItem", "OutboxRow", "StoryMatch", "StoryRow"]


@dataclass(frozen=True)
class NewStory:
    url_key: str | None
    title_key: str | None
    fingerprint: str                # dedupe.StoryFingerprint.dumps(): opaque to the store
    bands: tuple[str, ...]          # candidate lookup keys (LSH bands, name pairs)
    render: dict[str, Any]
    vector: bytes | None = None     # the first report's sentence vector, packed; opaque here


@dataclass(frozen=True)
class StoryRow:
    id: int
    fingerprint: str
    render: dict[str, Any]
    vector: bytes | None = None


@dataclass(frozen=True)
class StoryMatch:
    """An earlier story a new report belongs to, as seen inside the recording transaction."""

    story: StoryRow
    sources: list[tuple[str, str | None]]   # (source, url) of its earlier reports, first first
    chats: list[str]                        # where its post went, or is going
    queued: frozenset[str] = frozenset()    # every chat that has it: posts and digest rows


@dataclass(frozen=True)
class ArticleRecord:
    key: str
    url: str | None
    title: str
    summary: str
    source: str
    published_at: datetime | None
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutboxItem:
    chat: str
    kind: str               # post | edit | digest
    topic: str | None
    body: str
    not_before: datetime
    target_message_id: int | None = None
    image: str | None = None        # the article's image, shown as a large link preview


@dataclass(frozen=True)
class OutboxRow:
    id: int
    chat: str
    story_id: int | None
    kind: str               # post | edit | digest (waits for a scheduled digest) | alert
    topic: str | None
    body: str
    attempts: int
    created_at: datetime
    published_at: datetime | None
    target_message_id: int | None
    unanswered: int = 0     # sends of it that got no answer (Telegram may have posted it)
    batch: int | None = None  # the unanswered digest it belongs to
    image: str | None = None  # the article's image, shown as a large link preview
