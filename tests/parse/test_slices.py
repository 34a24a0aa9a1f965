"""bot.parse.slices: a big document read a slice of items at a time gives what the whole
document gives; at most MAX_ITEMS items are read."""

from __future__ import annotations

from pathlib import Path

import pytest

import bot.parse.feed
import bot.parse.slices
from bot.parse import parse
from bot.parse.slices import slices

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
URL = "https://gazette.example/feed.xml"

RDF = (b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
       b' xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://r.example/">'
       b"<title>RDF desk</title><link>https://r.example/</link><description>d</description>"
       b"</channel>"
       + b"".join(b'<item rdf:about="https://r.example/%d"><title>Item %d</title>'
                  b"<link>https://r.example/%d</link></item>" % (n, n, n) for n in range(5))
       + b"</rdf:RDF>")
# An item text that looks like a tag, an empty item, CDATA and a comment between items.
TRICKY = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
          b"<item><title>One</title><guid>1</guid><description><![CDATA[<item>not one</item>]]>"
          b"</description></item><!-- <item> --><item/>"
          b"<item><title>Two &amp; &nbsp;more</title><guid>2</guid></item>"
          b"<item><title>Three</title><guid>3</guid></item></channel></rss>")


@pytest.fixture
def tiny_slices(monkeypatch):
    """Every document sliced, one item a slice."""
    monkeypatch.setattr(bot.parse.slices, "WHOLE_BYTES", 0)
    monkeypatch.setattr(bot.parse.slices, "SLICE_BYTES", 1)


def _fields(feed):
    return (feed.title, feed.version, feed.ttl_minutes, feed.left_out,
            [(a.key, a.title, a.link, a.summary_html, a.published, a.brief)
             for a in feed.articles])


@pytest.mark.parametrize(("body", "headers"), [
    ((FEEDS / "rss20.xml").read_bytes(), {"content-type": "application/rss+xml"}),
    ((FEEDS / "rss20_typical.xml").read_bytes(), {"content-type": "application/rss+xml"}),
    ((FEEDS / "atom.xml").read_bytes(), {"content-type": "application/atom+xml"}),
    ((FEEDS / "atom_typical.xml").read_bytes(), {"content-type": "application/atom+xml"}),
    (RDF, {"content-type": "application/rdf+xml"}),
    (TRICKY, {"content-type": "application/rss+xml"}),
], ids=["rss20", "rss20-typical", "atom", "atom-typical", "rdf", "cdata-comment-empty"])
def test_a_sliced_document_gives_what_the_whole_one_gives(body, headers, monkeypatch):
    whole = parse(body, headers, URL)
    known = [a.key for a in whole.articles[1:]]
    whole_known = parse(body, headers, URL, known=known)
    monkeypatch.setattr(bot.parse.slices, "WHOLE_BYTES", 0)
    monkeypatch.setattr(bot.parse.slices, "SLICE_BYTES", 1)
    assert slices(body) is not None     # sliced indeed, an item a slice
    assert _fields(parse(body, headers, URL)) == _fields(whole)
    assert _fields(parse(body, headers, URL, known=known)) == _fields(whole_known)


def test_the_slices_hold_every_item_once_with_the_document_around_it(tiny_slices):
    sliced = slices(TRICKY)
    assert sliced is not None and sliced.left_out == 0
    docs = list(sliced.docs)
    assert len(docs) == 4                       # One, the empty one, Two, Three
    head = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
    assert all(d.startswith(head) and d.endswith(b"</channel></rss>") for d in docs)
    assert docs[1] == head + b"<item/></channel></rss>"
    assert b"<![CDATA[<item>not one</item>]]>" in docs[0]


@pytest.mark.parametrize("body", [
    (FEEDS / "malformed.xml").read_bytes(),                             # expat cannot read it
    b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>1</title></item>'
    b"</channel></rss>",                                                # one item: nothing to cut
], ids=["malformed", "one-item"])
def test_what_cannot_or_need_not_be_sliced_is_read_whole(body, tiny_slices):
    assert slices(body) is None


@pytest.mark.parametrize("whole", [True, False], ids=["whole", "sliced"])
def test_at_most_max_items_are_read_and_the_rest_counted(whole, monkeypatch):
    if not whole:
        monkeypatch.setattr(bot.parse.slices, "WHOLE_BYTES", 0)
        monkeypatch.setattr(bot.parse.slices, "SLICE_BYTES", 1)
    monkeypatch.setattr(bot.parse.feed, "MAX_ITEMS", 3)
    feed = parse(RDF, {"content-type": "application/rdf+xml"}, URL)
    assert [a.title for a in feed.articles] == ["Item 0", "Item 1", "Item 2"]
    assert feed.left_out == 2
