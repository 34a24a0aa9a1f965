"""bot.text.span: how long something lasted, in its two largest units, the one way every
stage says it (the admin's /status and /feeds, the outage summary in the log)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.text import span


@pytest.mark.parametrize(("delta", "expected"), [
    (timedelta(0), "0s"),
    (timedelta(seconds=45), "45s"),
    (timedelta(seconds=45, milliseconds=999), "45s"),          # whole seconds, cut not rounded
    (timedelta(minutes=2), "2m 0s"),
    (timedelta(minutes=4, seconds=5), "4m 5s"),
    (timedelta(hours=2, minutes=3, seconds=59), "2h 3m"),       # two units, not three
    (timedelta(days=1, hours=4, minutes=30), "1d 4h"),
    (timedelta(days=400), "400d 0h"),
    (timedelta(seconds=-30), "0s"),                               # clocks that disagree
])
def test_a_span_reads_in_its_two_largest_units(delta: timedelta, expected: str) -> None:
    assert span(delta) == expected
