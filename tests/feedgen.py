"""Build small RSS documents for tests and benchmarks (our own text, never an outlet's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Item:
    guid: str
    title: str | None                # None: no <title> (RSS 2.0 allows it)
    description: str                 # HTML, escaped into the XML
    published: datetime | None = None
    link: str | None = None
    extra: str = ""                  # raw XML inside <item>: media:content, enclosure, ...


def rss(items: list[Item], *, title: str = "Test Feed", ttl: int | None = None) -> bytes:
    """RSS 2.0, newest first as feeds usually are."""
    parts = [f"<title>{escape(title)}</title><link>https://feed.example/</link>"
             "<description>test</description>"]
    if ttl:
        parts.append(f"<ttl>{ttl}</ttl>")
    for it in sorted(items, key=lambda i: i.published.timestamp() if i.published else 0,
                     reverse=True):
        parts.append("<item>"
                     + (f"<title>{escape(it.title)}</title>" if it.title is not None else "")
                     + f'<guid isPermaLink="false">{escape(it.guid)}</guid>'
                     + (f"<link>{escape(it.link)}</link>" if it.link else "")
                     + (f"<pubDate>{format_datetime(it.published)}</pubDate>"
                        if it.published else "")
                     + f"<description>{escape(it.description)}</description>"
                     + it.extra + "</item>")
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:media="http://search.yahoo.com/mrss/"><channel>'
            + "".join(parts) + "</channel></rss>").encode()
