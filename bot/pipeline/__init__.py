"""One feed from fetch to outbox: `refresh_feed(ctx, feed, now)`, top to bottom, and the
decisions around it (outcome, schedule, which outbox row), plus the `match` dry run."""

from bot.pipeline.context import (
    Context,
    FeedReport,
    OutageDetector,
    build_context,
    fetch_limits,
)
from bot.pipeline.dryrun import dry_run, meaning_line, render
from bot.pipeline.queue import queue_item
from bot.pipeline.refresh import refresh_feed

__all__ = ["Context", "FeedReport", "OutageDetector", "build_context", "dry_run", "fetch_limits",
           "meaning_line", "queue_item", "refresh_feed", "render"]
