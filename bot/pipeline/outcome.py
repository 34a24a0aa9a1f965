"""What a poll's outcome does to its feed: state, next poll, backoff and operator alerts.

Called by `pipeline.refresh_feed` once per poll, success or failure. A success resets the
failure count and says so to the operator if the feed had been reported failing; a failure
backs off (`schedule.next_poll`), and is reported once when the feed has failed for
`polling.alert_after` (at once for a 410) -- unless our own network is down, which counts
against no feed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import bot.pipeline.schedule as schedule
from bot import metrics
from bot.errors import FeedError, FeedGone, FetchTimeout, NetworkError
from bot.models import Fetched, NotModified
from bot.settings import FeedConfig
from bot.store import queue_alert

if TYPE_CHECKING:
    from bot.pipeline.context import Context, FeedReport

__all__ = ["body_was_sent", "record_failure", "record_success"]

log = logging.getLogger("newsbot.pipeline")    # the poll's own logger: one name to filter on


def body_was_sent(result: NotModified) -> bool:
    """A NotModified built from a 200 (unchanged body hash) rather than a 304: a 304 carries
    no content (RFC 9110 §15.4.5), so no Content-Length/Transfer-Encoding/Content-Type."""
    status = getattr(result, "status", None)
    if status is not None:
        return bool(status != 304)
    return any(h in result.headers for h in ("content-length", "transfer-encoding",
                                             "content-type"))


def record_success(ctx: Context, feed: FeedConfig, state: Any, result: Fetched | NotModified,
                   ttl_minutes: int | None, now: datetime, report: FeedReport,
                   publish_interval: timedelta | None = None) -> None:
    if ctx.outage is not None:
        ctx.outage.record(now, network_failure=False)
    values: dict[str, Any] = {"last_attempt": now, "last_success": now, "error_count": 0,
                              "failing_since": None, "last_error": None, "alerted": False,
                              "poll_count": state.poll_count + 1}
    if isinstance(result, Fetched):
        values.update(etag=result.etag, last_modified=result.last_modified,
                      body_hash=result.body_hash)
        if result.moved_to and result.moved_to != state.moved_to:
            values["moved_to"] = result.moved_to
            log.warning("feed %s moved permanently (301/308) to %s; polling the new URL from "
                        "now on. Update your config: replace %s with %s", feed.url,
                        result.moved_to, feed.url, result.moved_to)
        if publish_interval is not None:
            values["publish_interval"] = int(publish_interval.total_seconds())
    if state.alerted:
        log.warning("feed %s recovered after %d failures", feed.url, state.error_count)
        queue_alert(ctx.store, ctx.settings.operator_chat,
                    f"✅ Feed recovered: {feed.name or feed.url} (after {state.error_count} "
                    "failed polls)", now)
    interval = values.get("publish_interval", state.publish_interval)
    report.next_poll_at = values["next_poll_at"] = schedule.next_poll(
        now, every=feed.every, polling=ctx.settings.polling,
        headers=getattr(result, "headers", {}), ttl_minutes=ttl_minutes, error_count=0,
        seed=feed.url, publish_interval=timedelta(seconds=interval) if interval else None)
    # Bookkeeping, written with the cycle's next batch (bot.feed_writes): the items are
    # recorded already, so losing it costs a re-fetch at most. A recovery or a move is
    # written at once.
    quiet = not state.alerted and not state.error_count and "moved_to" not in values
    ctx.store.update_feed(feed.url, defer=quiet, **values)
    metrics.FEEDS_POLLED.labels(report.outcome).inc()


def record_failure(ctx: Context, feed: FeedConfig, state: Any, exc: FeedError,
                   now: datetime, report: FeedReport) -> None:
    gone = isinstance(exc, FeedGone)
    report.outcome, report.error = ("gone" if gone else "error"), str(exc)
    metrics.FEEDS_POLLED.labels(report.outcome).inc()
    metrics.FEED_FAILURES.inc()
    network = isinstance(exc, NetworkError | FetchTimeout)
    if ctx.outage is not None and ctx.outage.record(now, network_failure=network) and network:
        # Our network, not this feed: retry soon, and count nothing toward backoff/alerts.
        log.info("feed %s: %s (our network is down: not counted)", feed.url, exc.reason)
        report.next_poll_at = now + schedule.jittered(
            max(schedule.OUTAGE_RETRY, ctx.settings.polling.min_interval / 2),
            ctx.settings.polling.jitter, feed.url, now)
        ctx.store.update_feed(feed.url, last_attempt=now, last_error=str(exc)[:500],
                              next_poll_at=report.next_poll_at)
        return
    errors = state.error_count + 1
    failing_since = state.failing_since or now
    log.warning("feed %s failed (%d in a row): %s", feed.url, errors, exc.reason)
    interval = state.publish_interval
    report.next_poll_at = schedule.next_poll(
        now, every=feed.every, polling=ctx.settings.polling,
        headers={}, ttl_minutes=None, error_count=errors, seed=feed.url,
        retry_after=getattr(exc, "retry_after", None),
        publish_interval=timedelta(seconds=interval) if interval else None)
    alerted = state.alerted
    if not alerted and (gone or now - failing_since >= ctx.settings.polling.alert_after):
        alerted = True
        what = "is gone (410): polling stopped" if gone else (
            f"has been failing since {failing_since:%Y-%m-%d %H:%M} UTC ({errors} polls)")
        log.error("ALERT: feed %s %s: %s", feed.url, what, exc.reason)
        queue_alert(ctx.store, ctx.settings.operator_chat,
                    f"⚠️ Feed {feed.name or feed.url} {what}.\n{exc.reason}", now)
    ctx.store.update_feed(feed.url, last_attempt=now, error_count=errors,
                          failing_since=failing_since, last_error=str(exc)[:500],
                          gone=gone, alerted=alerted, next_poll_at=report.next_poll_at)
