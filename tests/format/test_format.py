"""Telegram HTML rendering: golden files, escaping, sizing. Every message is checked by a small
Telegram-HTML validator (allowed tags only, balanced, valid entities, ≤ max_len after parsing).

Regenerate goldens after an intended change: UPDATE_GOLDEN=1 pytest tests/test_format.py
"""

from __future__ import annotations

import html
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.format import render_post
from bot.format.digest import render_digest
from bot.format.markup import utf16_len
from bot.summarize import summarize
from tests.conftest import need_shared

GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2024, 11, 28, 9, 0, tzinfo=UTC)
PUBLISHED = datetime(2024, 11, 27, 14, 5, tzinfo=UTC)

_ALLOWED = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
            "a", "tg-emoji", "code", "pre", "blockquote"}
_TOKEN = re.compile(r"<(/?)([a-z-]+)((?:\s+[a-z-]+(?:=\"[^\"<>]*\")?)*)\s*>|&([^;\s<>&]*);?|[<>]")
_ENTITY = re.compile(r"lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6}")


def check_telegram_html(message: str, max_len: int = 4096) -> str:
    """The visible text of `message`, or AssertionError naming what Telegram would refuse."""
    stack: list[str] = []
    visible: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(message):
        visible.append(message[pos:m.start()])
        pos = m.end()
        closing, tag, attrs, entity = m.group(1), m.group(2), m.group(3), m.group(4)
        if tag:
            assert tag in _ALLOWED, f"tag <{tag}> not allowed"
            if closing:
                assert stack and stack[-1] == tag, f"unbalanced </{tag}> in {message!r}"
                stack.pop()
            else:
                if tag == "a":
                    assert re.fullmatch(r'\s+href="https?://[^"<>]+"', attrs or ""), attrs
                    assert not stack or "a" not in stack, "nested links"
                stack.append(tag)
        elif entity is not None:
            assert m.group().endswith(";") and _ENTITY.fullmatch(entity), f"bad entity {m.group()}"
            visible.append(html.unescape(m.group()))
        else:
            raise AssertionError(f"raw {m.group()!r} at {m.start()} in {message!r}")
    visible.append(message[pos:])
    assert not stack, f"unclosed {stack}"
    text = "".join(visible)
    assert text.strip(), "empty message"
    assert utf16_len(text) <= max_len, f"{utf16_len(text)} > {max_len} UTF-16 units"
    return text


def post(**kw: object) -> str:
    args: dict[str, object] = dict(title="Putin and Kim meet in Vladivostok", source="BBC World",
                                   link="https://www.bbc.co.uk/news/world-asia-48039179",
                                   summary="Kim Jong Un met Vladimir Putin for their first summit.",
                                   published=PUBLISHED, topics=["summits"], now=NOW)
    args.update(kw)
    return render_post(**args)  # type: ignore[arg-type]


HUGE = " ".join(f"Sentence {i} of a very long report about sanctions on oil." for i in range(900))
EMOJI_FILL = "🙂" * 3000  # 6000 UTF-16 units: truncation must land between emoji

CASES: dict[str, str] = {
    "plain_english": post(terms=["Putin", "summit"],
                          also=[("UPI", "https://upi.com/a"), ("Zerohedge", "https://zh.com/b")]),
    "cyrillic": post(title="Путин и Ким встретились во Владивостоке", source="ТАСС",
                     summary="Президент России Владимир Путин провёл переговоры с Ким Чен Ыном.",
                     terms=["путин"], topics=["саммиты", "North Korea"]),
    "chinese": post(title="普京与金正恩在符拉迪沃斯托克会晤", source="新华社",
                    summary="俄罗斯总统普京与朝鲜领导人金正恩举行了首次会晤。" * 3,
                    topics=["峰会"]),
    "arabic_rtl": post(title="بوتين وكيم يلتقيان في فلاديفوستوك", source="الجزيرة",
                       summary="\u200fالتقى الرئيس الروسي فلاديمير بوتين بالزعيم الكوري الشمالي.",
                       topics=["قمم"]),
    "hostile": post(title='<script>alert("x")</script> Tom & Jerry <b>unbalanced <i>',
                    source="Evil <Feed> & Co", link='https://e.com/a?x="1"&y=<2>',
                    summary="Use <b>bold</b> & &amp; entities &nbsp; literally; 5 < 6 > 4.",
                    terms=["bold", "&", "<b>"],
                    also=[("JS", "javascript:alert(1)"), ('Q"uote', 'https://q.com/"x"')],
                    topics=["<sanctions>", "a&b", "   "]),
    "accents_and_terms": post(summary="Sanctions on Deripaska's Rusal; São Tomé welcomes the "
                              "sanctions relief. Sanctioned firms and SANCTIONS again.",
                              terms=["sanctions", "sao tome"], topics=["sanctions"]),
    "huge_summary": post(summary=HUGE, terms=["sanctions"]),
    "emoji_at_limit": post(title="🚨 Breaking 🚨", summary=EMOJI_FILL, topics=["emoji"]),
    "no_link_no_date": post(link=None, published=None, topics=[]),
    "digest": render_digest(topic="sanctions",
                            items=[(f"Story {i} <about> sanctions & more", f"https://e.com/{i}")
                                   for i in range(12)]),
    "digest_overflow": render_digest(topic="north korea",
                                     items=[("Долгий заголовок " * 20, "https://e.com/x")] * 80),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rendering_matches_golden_and_is_valid_telegram_html(name: str) -> None:
    message = CASES[name]
    check_telegram_html(message)
    path = GOLDEN / f"{name}.html"
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(message, encoding="utf-8")
    assert path.exists(), f"missing golden {path}; run with UPDATE_GOLDEN=1"
    assert message == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("text", "units"), [
    ("abc", 3), ("", 0), ("é", 1), ("🙂", 2), ("👩‍💻", 5), ("中文", 2), ("🇺🇦", 4),
])
def test_utf16_len_counts_code_units(text: str, units: int) -> None:
    assert utf16_len(text) == units


@pytest.mark.parametrize("max_len", [60, 100, 200, 500, 1000, 4096])
@pytest.mark.parametrize("summary", [HUGE, EMOJI_FILL, "слово " * 2000, "字" * 5000],
                         ids=["latin", "emoji", "cyrillic", "cjk"])
def test_truncation_fits_every_limit_and_ends_in_ellipsis(summary: str, max_len: int) -> None:
    message = post(summary=summary, terms=["sanctions"], max_len=max_len,
                   also=[("UPI", "https://upi.com/a")])
    text = check_telegram_html(message, max_len)
    assert "…" in text
    assert "\ufffd" not in message and not re.search(r"[\ud800-\udfff]", message)


def test_title_is_shortened_after_the_summary_is_gone() -> None:
    message = post(title="Headline " * 200, summary="short", max_len=300)
    text = check_telegram_html(message, 300)
    assert "short" not in text and text.startswith("Headline") and "…" in text


@pytest.mark.parametrize(("link", "linked"), [
    ("https://e.com/a", True), ("http://e.com/a", True), ("javascript:alert(1)", False),
    ("JaVaScRiPt:alert(1)", False), ("data:text/html,x", False), ("/relative", False),
    ("https://e.com/a b", False), ("", False), (None, False),
])
def test_only_absolute_http_links_are_rendered(link: str | None, linked: bool) -> None:
    message = post(link=link)
    check_telegram_html(message)
    assert ("Read more</a>" in message) is linked


@pytest.mark.parametrize(("link", "href"), [
    ("https://e.com/a?utm_source=rss&utm_medium=feed", "https://e.com/a"),
    ("https://e.com/a?id=7&fbclid=XYZ&page=2", "https://e.com/a?id=7&amp;page=2"),
    ("https://e.com/a?q=%20x&gclid=1#part?utm_source=kept", "https://e.com/a?q=%20x#part?utm_source=kept"),
    ("https://e.com/a?utmost=1&page=home", "https://e.com/a?utmost=1&amp;page=home"),
    # The one tracking list (bot.text.TRACKING), shared with dedupe: referrer markers too.
    ("https://e.com/a?ref=home&smid=tw-share&p=1", "https://e.com/a?p=1"),
])
def test_posted_links_lose_their_tracking_parameters_only(link: str, href: str) -> None:
    message = post(link=link)
    check_telegram_html(message)
    assert f'<a href="{href}">Read more</a>' in message


@pytest.mark.parametrize(("terms", "expected"), [
    (["kim"], "<b>Kim</b> Jong Un met Vladimir Putin for their first summit."),
    (["KIM JONG UN"], "<b>Kim Jong Un</b> met Vladimir Putin for their first summit."),
    (["put"], "Kim Jong Un met Vladimir Putin for their first summit."),  # whole words only
    (["putin", "vladimir putin"], "Kim Jong Un met <b>Vladimir Putin</b> for their first summit."),
])
def test_matched_terms_are_bold_whole_word_case_insensitive(terms: list[str],
                                                            expected: str) -> None:
    assert expected in post(terms=terms)


SUMMARY = ("The US Treasury said US banks and the Treasury, with Yellen, Powell and the Fed, "
           "will meet; Yellen said so.")


@pytest.mark.parametrize(("terms", "bold"), [
    # The first occurrence only; neighbours make one run, not <b>US</b> <b>Treasury</b>.
    (["us", "treasury"], ["US Treasury"]),
    # At most three, the rarer (longer) words first; "Fed" and "US" stay plain.
    (["us", "treasury", "yellen", "powell", "fed"], ["Treasury", "Yellen", "Powell"]),
    # A phrase before its words, and a word inside it is not bolded a second time.
    (["yellen", "fed", "powell and the fed"], ["Yellen", "Powell and the Fed"]),
    (["banks", "meet"], ["banks", "meet"]),
])
def test_only_the_few_terms_that_made_it_match_are_bold(terms: list[str],
                                                        bold: list[str]) -> None:
    message = post(summary=SUMMARY, terms=terms)
    check_telegram_html(message)
    assert re.findall(r"<b>(.*?)</b>", message)[1:] == bold     # [0]: the title


@pytest.mark.parametrize(("published", "now", "shown"), [
    (PUBLISHED, NOW, "BBC World · 27 Nov 14:05 UTC"),
    (PUBLISHED, None, "BBC World · 27 Nov 2024 14:05 UTC"),
    (datetime(2019, 4, 5, 9, 0, tzinfo=UTC), NOW, "BBC World · 5 Apr 2019 09:00 UTC"),
    (datetime(2024, 11, 27, 14, 5), NOW, "BBC World · 27 Nov 14:05 UTC"),  # naive = UTC
])
def test_source_and_time_line(published: datetime, now: datetime | None, shown: str) -> None:
    assert f"\n{shown}\n" in post(published=published, now=now)


def test_digest_drops_items_with_and_n_more_when_too_long() -> None:
    items = [(f"Story number {i}", f"https://e.com/{i}") for i in range(50)]
    text = check_telegram_html(render_digest(topic="sanctions", items=items, max_len=400), 400)
    assert text.startswith("50 more stories on #sanctions:")
    assert re.search(r"… and \d+ more$", text)


def test_seed_story_post_has_no_boilerplate() -> None:
    seed = need_shared("seed", "putin-kim-summit-syndicated.txt").read_text(encoding="utf-8")
    item_html = "".join(f"<p>{html.escape(p)}</p>" for p in seed.splitlines() if p.strip())
    title = "With US-North Korea Relations Stalled, Russia Swoops in, Offers Bi-lateral Summit"
    message = post(title=title, source="Russia Insider", summary=summarize(item_html, title=title),
                   terms=["Putin", "Kim"])
    text = check_telegram_html(message)
    for junk in ("Support Russia Insider", "Go Ad-Free", "Our commenting rules",
                 "Source: Zerohedge", "Charles Bausman"):
        assert junk not in text
    assert "Putin" in text and "Kim" in text
