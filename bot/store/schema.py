"""The tables (SQLAlchemy Core), shared by SQLite and PostgreSQL.

feeds ─┬─< articles >── stories ─┬─< story_bands    (near-duplicate candidates by LSH band)
       │                         └─< outbox          (one row per destination × story × kind)
leases (singleton work: the admin update reader, digests)
state  (small key/value facts every process shares: posting paused, by whom)
chat_aliases (a configured chat that migrated to a supergroup -> its new id)
chat_pauses  (nothing to this chat before `until`: a 429, an outage backoff; "*": every chat)

All timestamps are stored as timezone-aware UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out: SQLite keeps no zone, so store naive UTC there."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None


metadata = MetaData()
TS = UTCDateTime()
# BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
ID = BigInteger().with_variant(Integer, "sqlite")

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

feeds = Table(
    "feeds", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False, unique=True),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("body_hash", String(64)),
    Column("created_at", TS, nullable=False),
    Column("last_attempt", TS),
    Column("last_success", TS),
    Column("error_count", Integer, nullable=False, default=0),
    Column("failing_since", TS),
    Column("last_error", Text),
    Column("alerted", Boolean, nullable=False, default=False),
    Column("next_poll_at", TS),
    Column("gone", Boolean, nullable=False, default=False),
    Column("moved_to", Text),
    Column("poll_count", Integer, nullable=False, default=0),
    Column("publish_interval", Integer),            # seconds between items (every: auto)
    Column("lease_owner", String(64)),
    Column("lease_until", TS),
)

stories = Table(
    "stories", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("created_at", TS, nullable=False),
    Column("url_key", Text),
    Column("title_key", Text),
    Column("signature", Text, nullable=False),      # dedupe.StoryFingerprint.dumps()
    Column("render", Text, nullable=False),         # JSON: what the post was rendered from
    Column("embedding", LargeBinary),               # first report's vector (bot.semantic.pack)
    Index("ix_stories_url_key", "url_key"),
    Index("ix_stories_title_key", "title_key"),
    Index("ix_stories_created", "created_at"),
)

story_bands = Table(
    "story_bands", metadata,
    Column("band", String(48), nullable=False),
    Column("story_id", ID, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", TS, nullable=False),
    Index("ix_story_bands_band", "band", "created_at"),
)

articles = Table(
    "articles", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("feed_id", ID, ForeignKey("feeds.id", ondelete="CASCADE"), nullable=False),
    Column("key", Text, nullable=False),
    Column("url", Text),
    Column("title", Text, nullable=False, default=""),
    Column("summary", Text, nullable=False, default=""),
    Column("source", Text, nullable=False, default=""),
    Column("published_at", TS),
    Column("seen_at", TS, nullable=False),
    Column("story_id", ID, ForeignKey("stories.id", ondelete="SET NULL")),
    Column("topics", Text),                         # comma-separated topic names, if matched
    UniqueConstraint("feed_id", "key", name="uq_articles_feed_key"),
    Index("ix_articles_seen", "seen_at"),
    Index("ix_articles_story", "story_id"),
)

outbox = Table(
    "outbox", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("chat", Text, nullable=False),           # as configured: @name or id[:topic]
    Column("story_id", ID, ForeignKey("stories.id", ondelete="CASCADE")),  # NULL: alert
    Column("kind", String(16), nullable=False),     # post | edit | digest | alert
    Column("topic", Text),
    Column("body", Text, nullable=False),
    Column("state", String(16), nullable=False),    # pending | sent | folded | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("not_before", TS, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("sent_at", TS),
    Column("published_at", TS),
    Column("chat_id", BigInteger),                  # numeric id Telegram answered with
    Column("message_id", BigInteger),
    Column("target_message_id", BigInteger),        # for edits: the message being edited
    Column("last_error", Text),
    Column("lease_owner", String(64)),
    Column("lease_until", TS),
    # Sends that went out and got no answer (Telegram may have posted them): v5.
    Column("unanswered", Integer, nullable=False, server_default="0", default=0),
    # The first row of the digest this row was in when it went unanswered: a retry resends
    # exactly that digest, never one with more stories folded in. v5.
    Column("batch", BigInteger),
    # The article's image: a post and its edits show it as a large link preview. v6.
    Column("image", Text),
    UniqueConstraint("chat", "story_id", "kind", name="uq_outbox_chat_story_kind"),
    Index("ix_outbox_due", "state", "not_before"),
)

leases = Table(
    "leases", metadata,
    Column("name", String(128), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("until", TS, nullable=False),
)

state = Table(
    "state", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", TS, nullable=False),
)

chat_pauses = Table(
    "chat_pauses", metadata,
    Column("chat", Text, primary_key=True),         # as in outbox.chat; "*": every chat
    Column("until", TS, nullable=False),
    Column("failures", Integer, nullable=False, default=0),   # in a row, for the backoff
    Column("reason", Text),
    Column("since", TS, nullable=False),            # when this run of failures began
    Column("alerted", Boolean, nullable=False, default=False),
)

chat_aliases = Table(
    "chat_aliases", metadata,
    Column("chat", Text, primary_key=True),         # as configured / as queued before
    Column("new_chat", Text, nullable=False),       # where Telegram says it lives now
    Column("created_at", TS, nullable=False),
)
