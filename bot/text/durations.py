"""How long something lasted, as people read it in a reply or a log line (`span`): the two
largest units, "1d 4h", "2h 3m", "4m 5s", "45s". One helper for every stage that says how
long (the admin's /status, the outage summary), so the bot speaks of time one way."""

from __future__ import annotations

from datetime import timedelta

__all__ = ["span"]


def span(delta: timedelta) -> str:
    """`delta` in its two largest units, whole seconds; a negative delta (clocks that
    disagree) reads as 0s rather than as a nonsense count."""
    s = max(0, int(delta.total_seconds()))
    d, h, m = s // 86400, s % 86400 // 3600, s % 3600 // 60
    if d:
        return f"{d}d {h}h"
    if h:
        return f"{h}h {m}m"
    return f"{m}m {s % 60}s" if m else f"{s}s"
