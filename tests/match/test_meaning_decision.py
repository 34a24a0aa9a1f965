"""How a topic decides from its query, its meaning score and its exclusions
(bot/match/matcher.py), and that the item is embedded only when a meaning may decide.

The meaning here is a fixed score per item text, so each row states the decision rule
itself; tests/match/test_default_topics.py runs the real encoder on the shipped topics."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from bot.match import Matcher, Topic, compile_query, terms_query
from bot.models import Match

ANY = np.ones(4, dtype=np.float32)


def topic(score: float | None, *, exclude: list[str] | None = None,
          foreign_min_score: float | None = None) -> Topic:
    meaning: Callable[[np.ndarray], float] | None = (
        None if score is None else (lambda v, s=score: s))
    # "bank" is a word of the query (a cue) that does not match by itself.
    return Topic("rates", compile_query('"central bank" OR (bank AND "interest rate")'),
                 "@rates",
                 compile_query(terms_query(exclude, ())) if exclude else None, meaning,
                 min_score=0.6, veto_below=0.4, foreign_min_score=foreign_min_score)


@pytest.mark.parametrize(("why", "text", "score", "exclude", "expected"), [
    ("no meaning: the query decides", "The central bank met.", None, None,
     [Match("rates", ("central bank",), "@rates")]),
    ("query and a confirming meaning", "The central bank met.", 0.5, None,
     [Match("rates", ("central bank",), "@rates", 0.5)]),
    ("a query match the meaning reads as something else is dropped",
     "The central bank met.", 0.3, None, []),
    ("the meaning alone, at min_score", "The bank raised what it charges.", 0.6, None,
     [Match("rates", (), "@rates", 0.6, query=False)]),
    ("the meaning alone, below min_score", "The bank raised what it charges.", 0.59, None, []),
    ("an exclusion is final for the query", "The central bank and the mortgage.", None,
     ["mortgage"], []),
    ("an exclusion is final for the meaning", "The bank raised the mortgage.", 0.99,
     ["mortgage"], []),
])
def test_a_topic_decides_from_query_meaning_and_exclusions(
        why: str, text: str, score: float | None, exclude: list[str] | None,
        expected: list[Match]) -> None:
    assert Matcher([topic(score, exclude=exclude)]).match("", text, lambda: ANY) == expected


# The same topic with a lower bar for items in another language (foreign_min_score 0.45).
GERMAN = "Die Notenbank erhöht den Leitzins für Häuser und Büros."     # no query word
GERMAN_QUERY = "Die central bank erhöht den Leitzins für Häuser und Büros."


@pytest.mark.parametrize(("why", "text", "score", "expected"), [
    ("another language, the query silent: the meaning from the lower bar", GERMAN, 0.45,
     [Match("rates", (), "@rates", 0.45, query=False, foreign=True)]),
    ("another language, below the lower bar", GERMAN, 0.44, []),
    ("English, the query silent: min_score as ever", "The bank raised what it charges.",
     0.45, []),
    ("another language, the query matched: the veto as ever", GERMAN_QUERY, 0.39, []),
    ("another language, the query matched and the meaning agrees", GERMAN_QUERY, 0.41,
     [Match("rates", ("central bank",), "@rates", 0.41)]),
])
def test_an_item_in_another_language_meets_the_lower_bar_where_the_query_is_silent(
        why: str, text: str, score: float, expected: list[Match]) -> None:
    t = topic(score, foreign_min_score=0.45)
    assert Matcher([t]).match("", text, lambda: ANY) == expected


# A NOT inside the query: "central bank", but not beside a mortgage.
REFUSING = '("central bank" NOT mortgage) OR (bank AND "interest rate")'


@pytest.mark.parametrize(("why", "text", "expected"), [
    ("a NOT that refused a query match is final for the meaning",
     "The central bank sold the mortgage.", []),
    ("where nothing but a NOT's words were found, the meaning decides",
     "The bank raised the mortgage.", [Match("rates", (), None, 0.99, query=False)]),
    ("a query match elsewhere is not refused by the NOT",
     "The central bank, the mortgage and the bank's interest rate.",
     [Match("rates", ("bank", "interest rate"), None, 0.99)]),
])
def test_a_not_in_the_query_is_final_for_the_meaning(
        why: str, text: str, expected: list[Match]) -> None:
    t = Topic("rates", compile_query(REFUSING), meaning=lambda v: 0.99)
    assert Matcher([t]).match("", text, lambda: ANY) == expected


def test_a_refused_item_is_never_embedded() -> None:
    calls: list[int] = []

    def vector() -> np.ndarray:
        calls.append(1)
        return ANY

    t = Topic("rates", compile_query(REFUSING), meaning=lambda v: 0.99)
    assert Matcher([t]).weigh("", "The central bank sold the mortgage.", vector)[0].refused
    assert calls == []


@pytest.mark.parametrize(("text", "embedded"), [
    ("The central bank met.", True),        # the query matched: the meaning may veto
    ("The bank raised its rate.", True),    # a word of the query (a cue), though no match
    ("The European parliament voted.", False),   # part of a phrase is no cue
    ("NOT The rates of the mortgage.", False),   # what the query excludes is no cue
    ("The team won the final.", False),     # none of the topic's words: never embedded
    ("The team won the final with a late goal.", False),   # a lone function word is no cue
    ("Центральный банк повысил ставку.", True),  # another script: the lists can't cover it
    ("Die Zentralbank erhöht die Zinsen für Häuser und Büros.", True),   # 3 umlauts, 2.3 %
    ("Erdoğan met the team.", False),       # one letter beyond ASCII: still English
    # Plain letters in another language (bot.match.language): its words tell.
    ("Bank sentral menaikkan suku bunga acuan untuk menahan inflasi yang terus naik tahun "
     "ini.", True),
    ("The team won the final after a long season and its fans were out on the streets "
     "all night.", False),
])
def test_an_item_is_embedded_only_when_the_topic_is_cued(text: str, embedded: bool) -> None:
    calls: list[int] = []

    def vector() -> np.ndarray:
        calls.append(1)
        return ANY

    query = ('"central bank" OR (bank NEAR/3 "interest rate") OR "European Council" '
             'OR ("rate cut" NEAR/2 with) -mortgage')
    t = Topic("rates", compile_query(query), meaning=lambda v: 0.9)
    Matcher([t]).match("", text, vector)
    assert bool(calls) is embedded


def test_a_query_of_function_words_alone_keeps_them_as_cues() -> None:
    calls: list[int] = []
    t = Topic("odd", compile_query("between AND within"), meaning=lambda v: 0.9)
    Matcher([t]).match("", "Between us, within reason.", lambda: calls.append(1) or ANY)
    assert calls


@pytest.mark.parametrize("vector", [None, lambda: None, lambda: np.zeros(4, np.float32)])
def test_without_a_vector_a_topic_is_its_query(vector: Callable[[], np.ndarray] | None) -> None:
    t = Topic("rates", compile_query('"central bank"'), meaning=lambda v: 0.0)
    assert Matcher([t]).match("", "The central bank met.", vector) == [
        Match("rates", ("central bank",))]
    assert Matcher([t]).match("", "Rates went up.", vector) == []


def test_why_it_matched_names_the_signal() -> None:
    assert Match("t", ("summit",)).why == "terms"
    assert Match("t", ("summit",), score=0.81).why == "terms, meaning 0.81"
    assert Match("t", (), score=0.77, query=False).why == "meaning 0.77"
    assert Match("t", (), score=0.48, query=False, foreign=True).why == (
        "meaning 0.48 (another language)")
