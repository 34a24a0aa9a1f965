"""What a running service reports about itself: the `/healthz` answer (`health_report`)
and the `/metrics` gauges refreshed on every config-watch tick (`update_gauges`,
`failing_feeds`).

Kept apart from bot/service/host.py, which acts (admin commands, reload, alerts): these
only read the service, the shared state and the store, so what a probe or a scrape sees
is decided in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from bot import metrics
from bot.models import FeedState, utcnow
from bot.service.types import Runner
from bot.settings import Settings
from bot.store import EVERY_CHAT, SharedState, Store

if TYPE_CHECKING:
    from bot.admin import AdminBot

__all__ = ["failing_feeds", "health_report", "update_gauges"]


def failing_feeds(settings: Settings, states: Iterable[FeedState]) -> int:
    """Feeds in the config whose last poll failed: the database may still hold feeds
    removed from the config while newsbot was stopped (the live removal forgets them)."""
    configured = {f.url for f in settings.feeds}
    return sum(1 for s in states if s.error_count and s.url in configured)


def update_gauges(settings: Settings, store: Store) -> None:
    """The queue depth and the failing feeds, read from the database (blocking)."""
    metrics.QUEUE_DEPTH.set(store.outbox.pending())
    metrics.FEEDS_FAILING.set(failing_feeds(settings, store.feed_states()))


def health_report(service: Runner, shared: SharedState, admin_bot: AdminBot | None
                  ) -> tuple[bool, dict[str, Any]]:
    """Healthy while running; "degraded" (still 200: a restart fixes neither) when
    admin commands are down or Telegram refuses the bot."""
    svc, now = service, utcnow()
    paused = shared.paused()                # also proves the database answers
    pauses = {c: p for c, p in svc.store.pauses.all().items() if p.until > now}
    admin = admin_bot.state.as_dict() if admin_bot is not None else {
        "state": "off" if not (svc.settings.token and svc.settings.admins)
        else "another process"}
    degraded = [what for what, bad in (
        ("admin commands down", admin["state"] == "down"),
        ("Telegram refuses the bot: every chat paused", EVERY_CHAT in pauses)) if bad]
    return (not svc.stopping, {
        "uptime_seconds": int((now - svc.started_at).total_seconds()),
        "feeds": len(svc.settings.feeds), "topics": len(svc.settings.topics),
        "paused": paused is not None, "stopping": svc.stopping,
        "admin_commands": admin,
        "delivery": {"paused_chats": {c: f"{p.until:%Y-%m-%dT%H:%M:%SZ}: {p.reason}"
                                      for c, p in pauses.items()}},
        "degraded": degraded})
