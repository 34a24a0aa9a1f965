"""HTML → text, feed boilerplate, promo lines, lead-sentence summaries."""

from __future__ import annotations

import html

import pytest

from bot.summarize import feed_boilerplate, summarize
from bot.text import html_to_text, split_sentences
from tests.conftest import need_shared

SEED_TITLE = "With US-North Korea Relations Stalled, Russia Swoops in, Offers Bi-lateral Summit"
SEED_JUNK = ("Support Russia Insider - Go Ad-Free!", "Go Ad-Free", "Our commenting rules",
             "Source: Zerohedge", "Charles Bausman")


@pytest.mark.parametrize(("html_in", "text"), [
    ("<p>One</p><p>Two</p>", "One\nTwo"),
    ("a<br>b<br/>c", "a\nb\nc"),
    ("Tom&nbsp;&amp;&nbsp;Jerry &mdash; &#8217;99 &#x2019;", "Tom & Jerry — ’99 ’"),
    ("<p>  lots   of \n\t space </p>", "lots of space"),
    ("<p>x</p><script>alert('<p>no</p>')</script><style>p{}</style><iframe>bad</iframe>y",
     "x\ny"),
    ("<p>unclosed <b>bold <i>and <div>block", "unclosed bold and\nblock"),
    ("<p>dangling <script>var a = '</p>';", "dangling"),
    ("plain text\nwith lines\r\n\nand blanks", "plain text\nwith lines\nand blanks"),
    ("<<<>>> & < >", "<<<>>> & < >"),
    ("zero\u200bwidth\ufeff", "zerowidth"),
    ("", ""),
])
def test_html_to_text(html_in: str, text: str) -> None:
    assert html_to_text(html_in) == text


@pytest.mark.parametrize(("text", "sentences"), [
    ("Mr. Smith went to the U.S. Senate. He spoke.", ["Mr. Smith went to the U.S. Senate.",
                                                      "He spoke."]),
    ("Growth was 3.5 percent. Prices rose.", ["Growth was 3.5 percent.", "Prices rose."]),
    ("J. R. R. Tolkien wrote it. Really?", ["J. R. R. Tolkien wrote it.", "Really?"]),
    ('"We agree." Then he left!', ['"We agree."', "Then he left!"]),
    ("他来了。我走了", ["他来了。", "我走了"]),
])
def test_split_sentences_keeps_abbreviations_and_decimals(text: str,
                                                          sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


@pytest.mark.parametrize("promo", [
    "Support Example News - Go Ad-Free!",
    "Our commenting rules: be nice or be banned.",
    "Source: Reuters",
    "The post Big Story appeared first on Some Site.",
    "Read more",
    "Continue reading…",
    "Subscribe to our newsletter",
    "Click here to get the app",
    "Share this:",
    "Related: Another story",
    "Follow us on Telegram",
    "Photo: Getty Images",
    "(Photo by Jane Doe/AFP)",
])
def test_promo_lines_are_dropped(promo: str) -> None:
    item = f"<p>The summit starts today.</p><p>{html.escape(promo)}</p>"
    assert summarize(item) == "The summit starts today."


@pytest.mark.parametrize("real", [
    "Support for the sanctions grew among EU members after the vote on Monday.",
    "Sources said the talks would resume in Geneva next week.",
])
def test_real_sentences_resembling_promo_are_kept(real: str) -> None:
    assert summarize(f"<p>{real}</p>") == real


def test_feed_boilerplate_finds_lines_repeated_across_items() -> None:
    items = [f"<p>Story {i} body.</p><p>Visit Example.com for more!</p><p>© Example</p>"
             for i in range(4)] + ["<p>Only here.</p>"]
    boiler = feed_boilerplate(items)
    assert boiler == {"visit example com for more", "example"}
    assert summarize(items[0], boilerplate=boiler) == "Story 0 body."


@pytest.mark.parametrize(("items", "expected"), [
    (["<p>A</p><p>chrome</p>", "<p>B</p><p>chrome</p>"], {"chrome"}),          # 2 items: both
    (["<p>A</p><p>x</p>", "<p>B</p><p>x</p>", "<p>C</p>", "<p>D</p>", "<p>E</p>"], set()),
    (["<p>same</p>", "<p>same</p>"], set()),                                 # a repeated entry
    ([], set()),
])
def test_feed_boilerplate_thresholds(items: list[str], expected: set[str]) -> None:
    assert feed_boilerplate(items) == expected


def test_feed_boilerplate_reads_the_newest_items_only() -> None:
    # Chrome of the current template, in the 20 newest items (first in a feed), is found;
    # a line that only older items carry (an old template) is not read at all.
    newest = [f"<p>Story {i}.</p><p>Support us - Go Ad-Free!</p>" for i in range(20)]
    older = [f"<p>Old {i}.</p><p>Old footer</p>" for i in range(40)]
    assert feed_boilerplate(newest + older) == {"support us go ad free"}
    assert "old footer" in feed_boilerplate(newest + older, max_items=60)


def test_leading_title_line_is_dropped() -> None:
    item = "<h1>Kim visits Russia</h1><p>Kim arrived by train.</p>"
    assert summarize(item, title="Kim Visits Russia!") == "Kim arrived by train."


@pytest.mark.parametrize(("limit", "expected"), [
    (30, "One sentence here."),
    (40, "One sentence here. Another one here."),
    (10, "One…"),
])
def test_summary_cuts_at_sentence_then_word_boundary(limit: int, expected: str) -> None:
    assert summarize("<p>One sentence here. Another one here. A third.</p>",
                     limit=limit) == expected


def test_summary_never_exceeds_limit_or_cuts_mid_word() -> None:
    text = "Antidisestablishmentarianism " * 50
    out = summarize(text, limit=100)
    assert len(out) <= 100 and out.endswith("…")
    assert all(w == "Antidisestablishmentarianism" for w in out[:-1].split())


def test_seed_story_summary_has_no_boilerplate() -> None:
    seed = need_shared("seed", "putin-kim-summit-syndicated.txt").read_text(encoding="utf-8")
    item = "".join(f"<p>{html.escape(p)}</p>" for p in seed.splitlines() if p.strip())
    for limit in (400, 5000):
        out = summarize(item, title=SEED_TITLE, limit=limit)
        assert out and len(out) <= limit
        assert not any(junk in out for junk in SEED_JUNK)
        assert SEED_TITLE not in out
    assert "Kremlin" in summarize(item, title=SEED_TITLE, limit=5000)


def test_boilerplate_detection_remembers_items_within_a_bound(monkeypatch):
    import bot.summarize.summary

    monkeypatch.setattr(bot.summarize.summary, "_LINES", {})
    monkeypatch.setattr(bot.summarize.summary, "_LINES_KEPT", 3)
    chrome = "<p>Support Example - Go Ad-Free!</p>"
    items = [f"<p>Story {n} happened.</p>{chrome}" for n in range(5)]
    first = feed_boilerplate(items)
    assert first == feed_boilerplate(items) == {"support example go ad free"}
    assert 0 < len(bot.summarize.summary._LINES) <= 3
