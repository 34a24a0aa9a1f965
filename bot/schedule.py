"""When to poll a feed next: a pure decision from (now, config, last response, failures).

The APScheduler wiring that acts on it lives in `bot.service`.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from bot.settings import PollingSettings

AUTO_DEFAULT = timedelta(minutes=30)
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def next_poll(now: datetime, *, every: timedelta | None, polling: PollingSettings,
              headers: Mapping[str, str], ttl_minutes: int | None, error_count: int,
              seed: str, retry_after: float | None = None) -> datetime:
    """The configured interval, stretched (never shortened) by the server's hints, backed
    off exponentially after failures (capped, never permanent), with ± jitter."""
    base = every or AUTO_DEFAULT
    hint = server_hint(now, headers, ttl_minutes)
    if hint is not None:
        base = max(base, min(hint, polling.max_interval))
    if error_count:
        base = min(base * 2 ** min(error_count - 1, 20), polling.backoff_max)
    if retry_after is not None:
        # RFC 9110 §10.2.3: the server asked us to wait at least this long.
        base = max(base, timedelta(seconds=min(retry_after, polling.backoff_max.total_seconds())))
    return now + jittered(base, polling.jitter, seed, now)


def server_hint(now: datetime, headers: Mapping[str, str],
                ttl_minutes: int | None) -> timedelta | None:
    """The longest of RSS <ttl>, Cache-Control max-age (RFC 9111 §5.2.2.1) and Expires."""
    hints = []
    if ttl_minutes:
        hints.append(timedelta(minutes=ttl_minutes))
    m = _MAX_AGE.search(headers.get("cache-control", ""))
    if m:
        hints.append(timedelta(seconds=int(m[1])))
    elif headers.get("expires"):
        try:
            expires = parsedate_to_datetime(headers["expires"])
            if expires.tzinfo is not None:
                hints.append(expires - now)
        except (TypeError, ValueError):
            pass
    positive = [h for h in hints if h > timedelta(0)]
    return max(positive) if positive else None


def jittered(interval: timedelta, fraction: float, seed: str, now: datetime) -> timedelta:
    """± fraction of the interval, stable for a given (feed, now): feeds don't fire in
    lockstep, and the decision stays a pure function."""
    digest = hashlib.blake2b(f"{seed}|{now.timestamp()}".encode(), digest_size=8).digest()
    rng = random.Random(int.from_bytes(digest, "big"))
    return interval * (1 + rng.uniform(-fraction, fraction))
