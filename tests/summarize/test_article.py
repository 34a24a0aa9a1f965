"""fetch_article: a teaser-only feed gets its summary from the article page (trafilatura),
through the real pipeline, a real feed server and a real SQLite store."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import load
from bot.pipeline import FeedReport, build_context, refresh_feed
from bot.store import OutboxRow, Store
from bot.summarize.article import DomainThrottle, is_teaser
from tests.feedgen import Item, rss

pytest.importorskip("trafilatura", reason="the `article` extra is not installed")

PAGE = """<html><head><title>Leaders meet</title></head><body>
<nav>Home | World | Sport</nav>
<article><h1>Leaders meet in Geneva</h1>
<p>President Ana Ruiz and Prime Minister Lars Holm met in Geneva on Tuesday for a summit on
the disputed river border, their first in a decade.</p>
<p>Both sides agreed to set up a joint commission that will report within six months, and to
meet again in the spring.</p></article>
<footer>Copyright Example News. All rights reserved.</footer></body></html>"""


@pytest.mark.parametrize("summary, teaser", [
    ("Leaders meet…", True),
    ("Short.", True),
    ("A long first paragraph " * 20, False),
    ("A long first paragraph " * 20 + "[…]", True),
])
def test_teaser_detection(summary: str, teaser: bool) -> None:
    assert is_teaser(summary) is teaser


def test_domain_throttle_spaces_requests_to_one_domain() -> None:
    throttle = DomainThrottle(0.2)
    start = time.monotonic()
    for _ in range(3):
        throttle.wait("https://www.example.com/a")
    throttle.wait("https://other.example/a")    # another domain does not wait
    assert time.monotonic() - start >= 0.4


def poll_teaser(feed_server, tmp_path: Path, page: str, now: datetime, *, fetch_article: bool,
                extra: str = "") -> tuple[FeedReport, OutboxRow]:
    """A teaser-only feed linking `page`, polled once through the real pipeline into a real
    SQLite store: the report and the one outbox row it queued."""
    feed = feed_server.set_feed("/teasers.xml", rss([Item(
        guid="t1", title="Leaders meet in Geneva", description="Leaders meet…",
        published=now + timedelta(minutes=1), link=page, extra=extra)]))
    config = tmp_path / "newsbot.yaml"
    config.write_text(f"""channel: "@chan_test"
feeds:
  - url: {feed}
    fetch_article: {str(fetch_article).lower()}
topics:
  summits: {{terms: [summit, meet]}}
""")
    settings = load(config, env={})
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store.migrate()
    store.ensure_feeds([feed], now)
    report = refresh_feed(build_context(settings, store), settings.feeds[0], now)
    [row] = store.outbox.claim("t", now + timedelta(minutes=1))
    return report, row


@pytest.mark.parametrize("fetch_article, expect", [(True, "joint commission"),
                                                   (False, "Leaders meet in Geneva")])
def test_teaser_feed_gets_the_article_text(feed_server, tmp_path: Path, fetch_article: bool,
                                           expect: str) -> None:
    page = feed_server.set_html("/story.html", PAGE)
    now = datetime.now(UTC)
    report, row = poll_teaser(feed_server, tmp_path, page, now, fetch_article=fetch_article)
    assert report.queued == 1
    assert expect in row.body
    assert "Copyright" not in row.body and "Home | World" not in row.body


@pytest.mark.parametrize(("feed_image", "expect"), [
    ("", "/pics/og.jpg"),                                  # the page's og:image, resolved
    ('<media:content url="https://img.example/feed.jpg" medium="image"/>',
     "https://img.example/feed.jpg"),                      # the feed's own image first
])
def test_a_fetched_article_page_gives_its_og_image(feed_server, tmp_path: Path,
                                                   feed_image: str, expect: str) -> None:
    page = feed_server.set_html("/story.html", PAGE.replace(
        "<title>", '<meta property="og:image" content="/pics/og.jpg"><title>'))
    now = datetime.now(UTC)
    _, row = poll_teaser(feed_server, tmp_path, page, now, fetch_article=True,
                         extra=feed_image)
    assert row.image == (feed_server.url(expect) if expect.startswith("/") else expect)
    assert "joint commission" in row.body
