"""The Matcher: one pass for all topics, why each match happened, any script, linear work."""

from __future__ import annotations

import unicodedata

import pytest

from bot.match import Matcher, Topic
from bot.models import Match
from bot.query import compile_query, terms_query


def topic(name: str, query: str, channel: str | None = None) -> Topic:
    return Topic(name, compile_query(query, key=f"topics.{name}.query"), channel)


@pytest.mark.parametrize(("query", "title", "text", "terms"), [
    # surfaces as written in the article, deduplicated, in order of appearance (title first)
    ("summit OR putin", "Putin heads to summit", "The summit ... Putin, Summits",
     ("Putin", "summit", "Summits")),
    ('"Kim Jong Un" OR visit', "", "Kim Jong-un will visit; KIM JONG UN visits", (
        "Kim Jong-un", "visit", "KIM JONG UN", "visits")),
    ("sanction*", "", "Sanctions, sanctioned, SANCTIONS", ("Sanctions", "sanctioned", "SANCTIONS")),
    ("Putin NEAR/3 Kim", "", "Kim to meet Putin; later, far from all of this and more, KIM",
     ("Kim", "Putin")),                                 # the far KIM did not make the match
    ("summit NOT mountain", "", "summit of leaders", ("summit",)),
    # negated terms are never reported
    ("summit NOT (everest OR k2)", "", "the summit", ("summit",)),
    ("title:summit OR talks", "Summit", "summit talks", ("Summit", "talks")),
])
def test_match_reports_surface_terms(query: str, title: str, text: str,
                                     terms: tuple[str, ...]) -> None:
    assert Matcher([topic("t", query)]).match(title, text) == [Match("t", terms)]


def test_topics_come_back_in_order_with_their_channel() -> None:
    matcher = Matcher([topic("a", "kim"), topic("b", "putin", "@ch"), topic("c", "xi")])
    got = matcher.match("Putin and Kim", "")
    assert got == [Match("a", ("Kim",)), Match("b", ("Putin",), "@ch")]


def test_one_pattern_per_distinct_term_across_topics() -> None:
    topics = [topic(f"t{i}", f"summit OR putin OR term{i}") for i in range(500)]
    matcher = Matcher(topics)
    assert matcher.pattern_count == 2 + 500
    assert len(matcher.match("", "summit")) == 500


def test_no_topics_match_nothing() -> None:
    assert Matcher([]).match("Summit", "text") == []


@pytest.mark.parametrize(("query", "text", "expected"), [
    # Cyrillic: whole words, case-insensitive, no English stemming
    ("саммит", "В Москве открылся САММИТ лидеров", True),
    ("саммит", "саммита", False),
    ("саммит*", "подготовка саммита", True),
    ('"Владимир Путин"', "президент Владимир Путин заявил", True),
    ("путин", "Путину", False),
    # Greek, with accents folded
    ("σύνοδος", "η ΣΥΝΟΔΟΣ κορυφής", True),
    # CJK: no spaces between words, so a term is matched as its run of characters
    ("峰会", "中俄峰会在北京举行", True),
    ("峰会", "中俄峰在北京举行会", False),
    ("首脳会談", "日米首脳会談が開かれた", True),
    # Korean attaches particles to words: a prefix reaches them
    ("정상회담*", "남북 정상회담에서", True),
    # Latin with diacritics in other languages
    ("cimeira", "a Cimeira será marcada", True),
    ("Präsident", "PRASIDENT Scholz", True),
    # Devanagari: combining vowel signs stay inside the word
    ("भारत", "भारत और रूस", True),
    ("भारत", "भारती", False),
])
def test_non_english_text(query: str, text: str, expected: bool) -> None:
    assert bool(Matcher([topic("t", query)]).match("", text)) is expected


def test_decomposed_accents_match_and_are_reported_whole() -> None:
    text = unicodedata.normalize("NFD", "Le président Macron")
    got = Matcher([topic("t", "president")]).match("", text)
    assert got == [Match("t", ("président",))]


def test_apostrophes_and_hyphens_split_words() -> None:
    matcher = Matcher([topic("t", '"Kim Jong Un" OR putin')])
    assert matcher.match("", "Putin's guest, Kim-Jong-Un") == [
        Match("t", ("Putin", "Kim-Jong-Un"))]


def test_sugar_topic_matches_like_its_query() -> None:
    t = Topic("s", compile_query(terms_query(["sanction", "export controls"], ["tariff"])))
    m = Matcher([t])
    assert m.match("", "New export controls and sanctioned banks") == [
        Match("s", ("export controls", "sanctioned"))]
    assert m.match("", "sanctions and tariffs") == []


@pytest.mark.timeout(120)
def test_pathological_megabyte_does_linear_work() -> None:
    # Every word hits every query, NEAR windows overlap everywhere, phrases chain: the work
    # (atom occurrences reported) must still be a small multiple of the number of words.
    queries = ["a", '"a a a a a a a a"', "a NEAR/100 a", "a*", "(a NEAR/50 a) NEAR/50 a",
               "title:a OR (a NOT b)", "aa*"]
    matcher = Matcher([topic(f"q{i}", q) for i, q in enumerate(queries)])
    small, big = "a " * 50_000, "a " * 500_000          # 100 kB and 1 MB
    assert len(matcher.match("", small)) == len(queries) - 1    # "aa*" never hits
    small_work = matcher.last_hits
    got = matcher.match("a", big)
    assert len(got) == len(queries) - 1
    assert got[0].terms == ("a",)                       # one surface, deduplicated
    assert matcher.last_hits <= 3 * 500_001             # exact/stem/prefix per word at most
    assert matcher.last_hits <= 10 * small_work + 3


@pytest.mark.timeout(120)
def test_long_words_and_many_prefixes_stay_bounded() -> None:
    # A prefix pattern per length of a long word: each occurrence can start all of them.
    word = "x" * 40
    matcher = Matcher([topic(f"p{n}", "x" * n + "*") for n in range(1, 41)])
    text = (word + " ") * 20_000
    assert len(matcher.match("", text)) == 40
    assert matcher.last_hits == 40 * 20_000
