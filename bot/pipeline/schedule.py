"""When to poll a feed next: a pure decision from (now, config, last response, failures).

    base = every                       (configured), or
           publishing interval / 2     (`every: auto`, clamped to [min_interval, max_interval])
    base = max(base, server hint)      RSS <ttl>, Cache-Control max-age, Expires (≤ max_interval)
    base = base × 2^(errors-1)         after failures, capped at backoff_max: never silence
    base = max(base, Retry-After)      on 429/503 (RFC 9110 §10.2.3), capped at backoff_max
    next = now + base ± jitter         stable per (feed, now), so feeds do not fire in lockstep

The APScheduler wiring that acts on it lives in `bot.service`; the concurrency in `bot.poll`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from bot.settings import PollingSettings

AUTO_DEFAULT = timedelta(minutes=30)     # `every: auto` before the feed has shown a rate
RATE_ITEMS = 10                          # publishing rate from the newest N dated items
OUTAGE_RETRY = timedelta(minutes=1)      # while our own network is down: a short retry
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(?:no-store|no-cache)\b", re.IGNORECASE)


def next_poll(now: datetime, *, every: timedelta | None, polling: PollingSettings,
              headers: Mapping[str, str], ttl_minutes: int | None, error_count: int,
              seed: str, retry_after: float | None = None,
              publish_interval: timedelta | None = None) -> datetime:
    """The configured interval (or, for `every: auto`, half the feed's publishing interval),
    stretched (never shortened) by the server's hints, backed off exponentially after
    failures (capped, never permanent), with ± jitter."""
    base = every or auto_interval(publish_interval, polling)
    hint = server_hint(now, headers, ttl_minutes)
    if hint is not None:
        base = max(base, min(hint, polling.max_interval))
    if error_count:
        base = min(base * 2 ** min(error_count - 1, 20), polling.backoff_max)
    if retry_after is not None:
        # RFC 9110 §10.2.3: the server asked us to wait at least this long.
        base = max(base, timedelta(seconds=min(retry_after, polling.backoff_max.total_seconds())))
    return now + jittered(base, polling.jitter, seed, now)


def auto_interval(publish_interval: timedelta | None, polling: PollingSettings) -> timedelta:
    """Poll twice per publishing interval (miniflux's entry-frequency idea), clamped."""
    if publish_interval is None:
        return min(max(AUTO_DEFAULT, polling.min_interval), polling.max_interval)
    return min(max(publish_interval / 2, polling.min_interval), polling.max_interval)


def publishing_interval(dates: Iterable[datetime | None], *,
                        items: int = RATE_ITEMS) -> timedelta | None:
    """Mean gap between the newest `items` distinct publication dates; None with < 2."""
    newest = sorted({d for d in dates if d is not None}, reverse=True)[:items]
    if len(newest) < 2:
        return None
    return (newest[0] - newest[-1]) / (len(newest) - 1)


def server_hint(now: datetime, headers: Mapping[str, str],
                ttl_minutes: int | None) -> timedelta | None:
    """The longest of RSS <ttl>, Cache-Control max-age (RFC 9111 §5.2.2.1) and Expires
    (RFC 9111 §5.3, ignored when max-age is present). no-cache/no-store give no hint."""
    hints = []
    if ttl_minutes:
        hints.append(timedelta(minutes=ttl_minutes))
    cache_control = headers.get("cache-control", "")
    m = _MAX_AGE.search(cache_control)
    if m:
        hints.append(timedelta(seconds=int(m[1])))
    elif headers.get("expires") and not _NO_CACHE.search(cache_control):
        try:
            expires = parsedate_to_datetime(headers["expires"])
            if expires.tzinfo is not None:
                hints.append(expires - now)
        except (TypeError, ValueError, IndexError):
            pass
    positive = [h for h in hints if h > timedelta(0)]
    return max(positive) if positive else None


def jittered(interval: timedelta, fraction: float, seed: str, now: datetime) -> timedelta:
    """± fraction of the interval, stable for a given (feed, now): feeds don't fire in
    lockstep, and the decision stays a pure function."""
    digest = hashlib.blake2b(f"{seed}|{now.timestamp()}".encode(), digest_size=8).digest()
    unit = int.from_bytes(digest, "big") / 2**64        # uniform in [0, 1)
    return interval * (1 + fraction * (2 * unit - 1))
