"""The Matcher: one pass for all topics, why each match happened, any script, linear work."""

from __future__ import annotations

import contextlib
import dataclasses
import random
import unicodedata

import pytest

import bot.match.keywords
from bot.errors import QueryError
from bot.match import Matcher, Topic, compile_query, terms_query
from bot.models import Match


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


def test_topic_order_holds_across_both_evaluation_paths() -> None:
    # "a OR b NOT c" shapes are decided from the inverted index, others by compiled closures;
    # the output interleaves them in topic order all the same.
    matcher = Matcher([topic("n1", "kim NEAR/3 putin"), topic("f1", "kim OR xi NOT sport"),
                       topic("n2", "kim putin"), topic("f2", '"Kim Jong Un" NOT "web summit"')])
    assert matcher.match("Kim Jong Un meets Putin", "") == [
        Match("n1", ("Kim", "Putin")), Match("f1", ("Kim",)), Match("n2", ("Kim", "Putin")),
        Match("f2", ("Kim Jong Un",))]


@pytest.mark.parametrize(("query", "text", "expected"), [
    ('summit NOT "web summit"', "the summit of the web", ("summit",)),
    ('summit NOT "web summit"', "Web Summit opens", None),
    ("summit NOT title:web", "web summit", ("summit",)),       # excluded only in the title
    ("summit -k2 -everest", "K2 summit", None),
    ('"prime minister" OR title:summit', "summit of prime ministers", None),
    ("summit OR summits OR summit*", "Summits", ("Summits",)),   # one surface, deduplicated
    ("putin NOT putin", "Putin", None),
    # not flat: a NOT that holds on an empty article, negated again
    ("summit NOT (NOT kim)", "summit", None),
    ("summit NOT (NOT kim)", "Kim summit", ("summit",)),     # negated terms: not reported
    ("summit NOT (xi OR NOT kim)", "Kim summit", ("summit",)),
    ("summit NOT (xi OR NOT kim)", "Kim summit with Xi", None),
])
def test_flat_topics_and_negations(query: str, text: str, expected: tuple[str, ...] | None) -> None:
    got = Matcher([topic("t", query)]).match("", text)
    assert got == ([Match("t", expected)] if expected else [])


def _random_query(rng: random.Random, depth: int = 0) -> str:
    words = ["kim", "jong", "putin", "summit", '"talks"', "sanction*", "xi", "a"]
    term = rng.choice([*words, '"kim jong"', "title:summit", '"summit talks"'])
    r = rng.random()
    if depth > 2 or r < 0.3:
        return term
    sub = [_random_query(rng, depth + 1) for _ in range(rng.randint(2, 3))]
    if r < 0.5:
        return "(" + " OR ".join(sub) + ")"
    if r < 0.7:
        return "(" + " ".join(sub) + ")"
    if r < 0.85:
        return f"({sub[0]} NOT {sub[1]})"
    return f"({term} NEAR/{rng.choice([0, 2, 5])} {rng.choice(words)})"


def test_index_shortcuts_agree_with_full_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    # The same topics matched two ways must agree, surfaces included: with the shortcuts
    # (required atom sets, flat topics decided from the index), and with every topic
    # evaluated by its compiled tree whenever any of its atoms occurs.
    rng = random.Random(8)
    queries = []
    while len(queries) < 300:
        with contextlib.suppress(QueryError):       # e.g. NEAR around an AND
            queries.append(compile_query(_random_query(rng)))
    vocab = ["Kim", "Jong", "Putin", "summit", "summits", "talks", "sanctioned", "XI", "a", "of"]
    texts = [" ".join(rng.choices(vocab, k=rng.randint(0, 12))) for _ in range(150)]
    fast = Matcher([Topic(f"t{i}", q) for i, q in enumerate(queries)])
    monkeypatch.setattr(bot.match.keywords, "flat", lambda node: None)
    slow = Matcher([Topic(f"t{i}", dataclasses.replace(q, requires=tuple(
        frozenset([a]) for a in q.atoms))) for i, q in enumerate(queries)])
    assert sum(len(fast.match(t[:9], t)) for t in texts) > 1000      # the test has teeth
    for t in texts:
        assert fast.match(t[:9], t) == slow.match(t[:9], t)
