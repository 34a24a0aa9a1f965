"""The next-poll decision is pure: (now, config, last response, failures) in, a time out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.pipeline.schedule import (
    auto_interval,
    jittered,
    next_poll,
    publishing_interval,
    server_hint,
)
from bot.settings import PollingSettings

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
EXACT = PollingSettings(jitter=0.0)


def wait(**kw: object) -> timedelta:
    args: dict[str, object] = {"every": timedelta(minutes=10), "polling": EXACT, "headers": {},
                               "ttl_minutes": None, "error_count": 0, "seed": "feed"}
    args.update(kw)
    return next_poll(NOW, **args) - NOW  # type: ignore[arg-type]


def test_configured_interval_is_used_as_is() -> None:
    assert wait() == timedelta(minutes=10)


@pytest.mark.parametrize("headers, ttl, expected", [
    ({"cache-control": "public, max-age=3600"}, None, timedelta(hours=1)),
    ({"cache-control": 's-maxage=10, max-age="1800"'}, None, timedelta(minutes=30)),
    ({"expires": format_datetime(NOW + timedelta(minutes=45), usegmt=True)}, None,
     timedelta(minutes=45)),
    ({}, 60, timedelta(hours=1)),
    ({"cache-control": "max-age=600"}, 90, timedelta(minutes=90)),   # the longest hint wins
])
def test_server_hints_stretch_the_interval(headers: dict[str, str], ttl: int | None,
                                           expected: timedelta) -> None:
    assert wait(headers=headers, ttl_minutes=ttl) == expected


def test_server_hints_never_shorten_the_configured_interval() -> None:
    assert wait(headers={"cache-control": "max-age=60"}, ttl_minutes=1) == timedelta(minutes=10)


def test_server_hints_are_capped_at_max_interval() -> None:
    assert wait(ttl_minutes=7 * 24 * 60) == EXACT.max_interval


def test_expires_is_ignored_when_max_age_is_present_or_in_the_past() -> None:
    # RFC 9111 §5.3: max-age overrides Expires.
    later = format_datetime(NOW + timedelta(hours=5), usegmt=True)
    assert server_hint(NOW, {"cache-control": "max-age=60", "expires": later}, None) == \
        timedelta(seconds=60)
    past = format_datetime(NOW - timedelta(hours=1), usegmt=True)
    assert server_hint(NOW, {"expires": past}, None) is None
    assert server_hint(NOW, {"expires": "0"}, None) is None


def test_failures_back_off_exponentially_up_to_the_cap_and_never_stop() -> None:
    waits = [wait(error_count=n) for n in range(1, 12)]
    assert waits[:4] == [timedelta(minutes=m) for m in (10, 20, 40, 80)]
    assert waits[-1] == EXACT.backoff_max
    assert wait(error_count=10_000) == EXACT.backoff_max


def test_retry_after_is_honoured_and_capped() -> None:
    assert wait(error_count=1, retry_after=3600) == timedelta(hours=1)
    assert wait(error_count=1, retry_after=10) == timedelta(minutes=10)
    assert wait(error_count=1, retry_after=10**9) == EXACT.backoff_max


def test_auto_polls_at_half_the_publishing_interval_clamped() -> None:
    hourly = timedelta(hours=1)
    assert wait(every=None, publish_interval=hourly) == timedelta(minutes=30)
    assert wait(every=None, publish_interval=timedelta(seconds=10)) == EXACT.min_interval
    assert wait(every=None, publish_interval=timedelta(days=30)) == EXACT.max_interval
    assert auto_interval(None, EXACT) == timedelta(minutes=30)     # no rate seen yet


def test_auto_backs_off_from_its_own_interval() -> None:
    assert wait(every=None, publish_interval=timedelta(hours=1), error_count=2) == \
        timedelta(hours=1)


def test_publishing_interval_is_the_mean_gap_of_the_newest_items() -> None:
    dates = [NOW - timedelta(hours=h) for h in (0, 2, 4, 6)] + [None]
    assert publishing_interval(dates) == timedelta(hours=2)
    many = [NOW - timedelta(minutes=10 * i) for i in range(10)] + [NOW - timedelta(days=300)]
    assert publishing_interval(many, items=10) == timedelta(minutes=10)
    assert publishing_interval([NOW, NOW, None]) is None            # one distinct date
    assert publishing_interval([]) is None


def test_jitter_is_bounded_stable_and_spreads_feeds() -> None:
    polling = PollingSettings(jitter=0.1)
    hour = timedelta(hours=1)
    spread = {jittered(hour, 0.1, f"feed{i}", NOW) for i in range(50)}
    assert len(spread) > 40
    assert all(timedelta(minutes=54) <= s <= timedelta(minutes=66) for s in spread)
    args = {"every": hour, "polling": polling, "headers": {}, "ttl_minutes": None,
            "error_count": 0, "seed": "a"}
    assert next_poll(NOW, **args) == next_poll(NOW, **args)  # type: ignore[arg-type]
