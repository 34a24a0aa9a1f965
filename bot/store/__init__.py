"""The store: `Store` over SQLite or PostgreSQL (SQLAlchemy Core): feeds, articles, stories
in one transaction with their outbox rows (`Store.story_tx`), the outbox, leases."""

from bot.store.alerts import queue_alert
from bot.store.pauses import EVERY_CHAT, ChatPause
from bot.store.records import ArticleRecord, NewStory, OutboxItem, OutboxRow, StoryMatch
from bot.store.shared_state import SharedState
from bot.store.store import Store

__all__ = ["EVERY_CHAT", "ArticleRecord", "ChatPause", "NewStory", "OutboxItem", "OutboxRow",
           "SharedState", "Store", "StoryMatch", "queue_alert"]
