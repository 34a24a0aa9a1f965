"""An entry's image (issue #19): Media RSS, enclosures and Atom enclosure links, through
both parsers, and never a URL that is not a plain web link."""

from __future__ import annotations

import pytest

from bot.parse import MAX_IMAGE_URL, image_url, parse

FEED = "https://feeds.example/world/rss.xml"
LONG = "https://img.example/" + "a" * MAX_IMAGE_URL + ".jpg"


def rss(item_xml: str, *, broken: bool = False) -> bytes:
    """One item; `broken` makes the XML malformed, so feedparser reads it (not the fast
    parser): both parsers are checked with the same table."""
    tail = "<oops>" if broken else ""
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:media="http://search.yahoo.com/mrss/"><channel><title>T</title>'
            f'<item><title>Summit</title><link>https://news.example/a</link><guid>a</guid>'
            f'{item_xml}</item>{tail}</channel></rss>').encode()


CASES = [
    # media:content of an image first, however the item also has others
    ('<media:thumbnail url="https://img.example/t.jpg"/>'
     '<enclosure url="https://img.example/e.png" type="image/png" length="1"/>'
     '<media:content url="https://img.example/c.jpg" medium="image" width="1200"/>',
     "https://img.example/c.jpg"),
    ('<media:content url="https://img.example/c.webp" type="image/webp"/>',
     "https://img.example/c.webp"),
    # a video is not an image; the thumbnail is
    ('<media:content url="https://img.example/v.mp4" type="video/mp4"/>'
     '<media:thumbnail url="https://img.example/v.jpg"/>', "https://img.example/v.jpg"),
    # an enclosure of an image type; an mp3 one is not
    ('<enclosure url="https://cdn.example/a.mp3" type="audio/mpeg" length="1"/>', None),
    ('<enclosure url="https://img.example/e.png" type="image/png" length="1"/>',
     "https://img.example/e.png"),
    # no type given: by the file name
    ('<media:content url="https://img.example/n.JPG"/>', "https://img.example/n.JPG"),
    # relative: against the feed URL
    ('<enclosure url="/pics/r.jpg" type="image/jpeg" length="1"/>',
     "https://feeds.example/pics/r.jpg"),
    # untrusted: never a script, inline data, a local file or an endless URL
    ('<media:content url="javascript:alert(1)" medium="image"/>', None),
    ('<media:content url="data:image/png;base64,iVBORw0KGgo=" medium="image"/>', None),
    ('<enclosure url="file:///etc/passwd" type="image/png" length="1"/>', None),
    (f'<media:content url="{LONG}" medium="image"/>', None),
    ('<media:content url="https://img.example/a b.jpg" medium="image"/>', None),
    ("", None),
]


@pytest.mark.parametrize("broken", [False, True], ids=["fast parser", "feedparser"])
@pytest.mark.parametrize(("item_xml", "image"), CASES)
def test_an_entry_gets_its_image_from_the_feed(item_xml: str, image: str | None,
                                               broken: bool) -> None:
    parsed = parse(rss(item_xml, broken=broken), {"content-type": "application/rss+xml"},
                   FEED)
    assert bool(parsed.bozo) is broken
    [article] = parsed.articles
    assert article.image == image


def test_an_atom_enclosure_link_of_an_image_type() -> None:
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
<id>urn:x</id><updated>2026-12-01T00:00:00Z</updated><entry><title>Summit</title><id>a</id>
<link href="https://news.example/a"/><updated>2026-12-01T00:00:00Z</updated>
<link rel="enclosure" type="image/jpeg" href="https://img.example/atom.jpg"/></entry></feed>"""
    [article] = parse(atom, {}, FEED).articles
    assert article.image == "https://img.example/atom.jpg"


@pytest.mark.parametrize(("url", "base", "expected"), [
    ("/og.jpg", "https://news.example/a/b", "https://news.example/og.jpg"),
    ("//cdn.example/og.jpg", "https://news.example/", "https://cdn.example/og.jpg"),
    (" https://cdn.example/og.jpg ", "https://news.example/", "https://cdn.example/og.jpg"),
    ("javascript:alert(1)", "https://news.example/", None),
    ("https://cdn.example/\x00.jpg", "https://news.example/", None),
    ("http://[::1", "https://news.example/", None),
    (None, "https://news.example/", None),
    (42, "https://news.example/", None),
])
def test_image_urls_are_checked_web_links(url: object, base: str,
                                          expected: str | None) -> None:
    assert image_url(url, base) == expected
