"""The stream bench's world: labelled items, when each arrives, and the feeds that serve them.

`arrivals_timeline` gives every item a simulated arrival on its real date; `arrivals_burst` puts
them all within one hour. `poll_moments` groups arrivals into the moments `run --once` is run
at. `StreamFeeds` serves one RSS feed per outlet (`source`) from a `FeedServer` on 127.0.0.1:
at each moment, the items that have arrived by then (newest 50), pubDate = arrival; a feed
whose items did not change keeps its ETag, so it answers 304.

Items are read from ../shared/data at run time; nothing of them is stored in the repo.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item as FeedItem
from tests.feedgen import rss

FEED_ITEMS = 50                  # a feed lists its newest 50 items, as many real feeds do
DAY = timedelta(days=1)


@dataclass(frozen=True)
class DevItem:
    id: str
    file: str                    # which data file it came from
    source: str
    url: str
    title: str | None
    summary: str
    published: str | None        # as in the data: ISO timestamp, date, "YYYY-MM" or null
    story: str                   # its `story`, or its own id for a singleton
    storyline: str | None
    labels: dict[str, bool]


def load_items(paths: Iterable[Path]) -> list[DevItem]:
    out = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d: dict[str, Any] = json.loads(line)
                out.append(DevItem(id=d["id"], file=path.name, source=d["source"], url=d["url"],
                                   title=d.get("title"), summary=d.get("summary") or "",
                                   published=d.get("published"), story=d["story"] or d["id"],
                                   storyline=d.get("storyline"), labels=dict(d["labels"])))
    return out


def _unit(key: str) -> float:
    """A deterministic pseudo-random number in [0, 1) from `key`."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64


def _within(start: datetime, end: datetime, key: str) -> datetime:
    seconds = max(0.0, (end - start).total_seconds())
    return start + timedelta(seconds=int(_unit(key) * seconds))


def _known(item: DevItem) -> datetime | None:
    """The arrival an item's own date gives: a timestamp as is, a day at a pseudo-random
    time of that day; None for a month-only or missing date."""
    p = item.published
    if not p or len(p) == 7:
        return None
    if len(p) == 10:
        day = datetime.fromisoformat(p).replace(tzinfo=UTC)
        return _within(day, day + DAY, f"hour:{item.id}")
    when = datetime.fromisoformat(p)
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def _month(p: str) -> tuple[datetime, datetime]:
    start = datetime.fromisoformat(p + "-01").replace(tzinfo=UTC)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def arrivals_timeline(items: list[DevItem]) -> dict[str, datetime]:
    """Arrival per item id on the real timeline. Reports of one event arrive together: an
    item without a date to the day arrives within an hour after its story's anchor, which is
    the story's earliest dated report, else a time within the story's month, else within its
    storyline's dated days, else within the data's span."""
    out = {i.id: t for i in items if (t := _known(i)) is not None}
    anchor: dict[str, datetime] = {}
    line_days: dict[str, list[datetime]] = defaultdict(list)
    for item in items:
        if item.id in out:
            anchor[item.story] = min(anchor.get(item.story, out[item.id]), out[item.id])
            if item.storyline:
                line_days[item.storyline].append(_day(out[item.id]))
    span = (_day(min(out.values())), _day(max(out.values())) + DAY)
    for item in items:
        if item.id in out or item.story in anchor:
            continue
        months = sorted(i.published for i in items
                        if i.story == item.story and i.published and len(i.published) == 7)
        days = line_days.get(item.storyline or "")
        start, end = (_month(months[0]) if months else
                      (min(days), max(days) + DAY) if days else span)
        anchor[item.story] = _within(start, end, f"story:{item.story}")
    for item in items:
        if item.id not in out:
            out[item.id] = anchor[item.story] + timedelta(
                minutes=int(_unit(f"undated:{item.id}") * 60))
    return out


def _day(when: datetime) -> datetime:
    return when.replace(hour=0, minute=0, second=0, microsecond=0)


def arrivals_burst(items: list[DevItem], start: datetime) -> dict[str, datetime]:
    """Every item within one hour from `start`, at a pseudo-random second."""
    return {i.id: _within(start, start + timedelta(hours=1), f"burst:{i.id}") for i in items}


def poll_moments(arrivals: Iterable[datetime], every: timedelta) -> list[datetime]:
    """The end of each `every`-long bucket (aligned to the epoch) that has an arrival: one
    poll there sees everything that arrived in the bucket."""
    step = every.total_seconds()
    ends = {int(t.timestamp() // step + 1) * step for t in arrivals}
    return [datetime.fromtimestamp(s, UTC) for s in sorted(ends)]


class StreamFeeds:
    """One feed per outlet on a FeedServer; `advance(moment)` publishes what has arrived."""

    def __init__(self, server: FeedServer, items: list[DevItem],
                 arrivals: dict[str, datetime]) -> None:
        self.server, self.arrivals = server, arrivals
        self.by_source: dict[str, list[DevItem]] = defaultdict(list)
        for item in sorted(items, key=lambda i: (arrivals[i.id], i.id)):
            self.by_source[item.source].append(item)
        self.paths = {s: f"/feed/{n}.xml" for n, s in enumerate(sorted(self.by_source))}
        self._served: dict[str, tuple[str, ...]] = {}

    def urls(self) -> dict[str, str]:
        """source -> feed URL."""
        return {s: self.server.url(p) for s, p in self.paths.items()}

    def advance(self, moment: datetime | None) -> int:
        """Serve each feed's items arrived by `moment` (None: none yet); returns how many
        feeds changed. An unchanged feed is not touched, so it keeps answering 304."""
        changed = 0
        for source, path in self.paths.items():
            shown = [] if moment is None else [
                i for i in self.by_source[source] if self.arrivals[i.id] <= moment][-FEED_ITEMS:]
            ids = tuple(i.id for i in shown)
            if self._served.get(path) == ids:
                continue
            self._served[path] = ids
            self.server.set_feed(path, rss([self._entry(i) for i in shown], title=source))
            changed += 1
        return changed

    def _entry(self, item: DevItem) -> FeedItem:
        return FeedItem(guid=item.id, title=item.title,
                        description=f"<p>{html.escape(item.summary)}</p>",
                        published=self.arrivals[item.id], link=item.url)
