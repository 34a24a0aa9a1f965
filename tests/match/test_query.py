"""The query language: what each construct means, the sugar form, and how errors read."""

from __future__ import annotations

import pytest

from bot.errors import QueryError
from bot.match import Matcher, Topic, compile_query, terms_query
from bot.match.query import refusals_of

LISTS = {
    "leaders": ["Putin", '"Kim Jong Un"', "Xi", '"prime minister"', "president"],
    "meet": ["meet", "met", '"talks"'],
    "nested": ["@leaders", "chancellor"],
}


def matches(query: str, text: str, title: str = "") -> bool:
    topic = Topic("t", compile_query(query, lists=LISTS))
    return bool(Matcher([topic]).match(title, text))


@pytest.mark.parametrize(("query", "text", "expected"), [
    # bare words: whole words, any case, English inflection both ways
    ("summit", "Leaders meet at the SUMMIT", True),
    ("summit", "Two summits in a month", True),
    ("summits", "the summit opened", True),
    ("sanction", "new sanctions on Russia", True),
    ("sanction", "the firm was sanctioned", True),
    ("sanctions", "sanctioning the regime", True),
    ("summit", "summitry is an art", False),            # a different word, not an inflection
    ("summit", "the summitcamp opened", False),         # whole words only
    ("port", "the airport reopened", False),
    # quoted word: exact form (case and accents still folded), no inflection
    ('"talks"', "peace talks resume", True),
    ('"talks"', "he talked to reporters", False),
    ('"sanctions"', "it sanctioned the sale", False),
    ('"Sanctions"', "new SANCTIONS", True),
    # phrases: consecutive words; punctuation between words does not matter
    ('"Kim Jong Un"', "North Korea's Kim Jong-un arrived", True),
    ('"Kim Jong Un"', "Kim said Jong Un", False),
    ('"prime minister"', "the Prime  Minister said", True),
    ('"export control*"', "new export controls on chips", True),
    # prefix wildcard
    ("sanction*", "sanctionable conduct", True),
    ("sanction*", "unsanctioned", False),
    # boolean operators, implicit AND, precedence (NOT > AND > OR), parentheses
    ("putin AND kim", "Putin met Kim", True),
    ("putin kim", "Putin met Kim", True),
    ("putin kim", "Putin met Xi", False),
    ("putin OR kim", "Kim arrived", True),
    ("putin | kim", "Kim arrived", True),
    ("summit NOT mountain", "summit of the mountain", False),
    ("summit -mountain", "summit of leaders", True),
    ("summit -mountain", "mountain summit", False),
    ("a OR b c", "a", True),                           # a OR (b AND c)
    ("(a OR b) c", "a", False),
    ("x NOT (y OR z)", "x z", False),
    ("Kim-Jong-un", "Kim Jong Un visits", True),        # a hyphen inside a word is not NOT
    ('summit -"web summit"', "the Web Summit opens", False),    # minus before a phrase
    ('summit -"web summit"', "leaders' summit on the web", True),
    ("summit -(everest OR k2)", "K2 summit reached", False),    # ... or a group
    ("summit -(everest OR k2)", "summit of leaders", True),
    # proximity: at most n words between, either order
    ("Putin NEAR/3 Kim", "Putin will meet Kim", True),
    ("Putin NEAR/3 Kim", "Kim will meet with Putin", True),
    ("Putin NEAR/1 Kim", "Putin will meet Kim", False),
    ("Putin NEAR/0 Kim", "Putin Kim", True),
    ("Putin NEAR/2 (Kim OR Xi)", "Xi greeted Putin", True),
    ("kim NEAR/2 kim", "Kim and Kim", True),            # two occurrences, not one with itself
    ("kim NEAR/2 kim", "Kim alone", False),
    ('"Kim Jong Un" NEAR/2 visit', "Kim Jong Un to visit Russia", True),
    ("(Putin NEAR/2 meet) NEAR/2 Kim", "Putin to meet Kim", True),
    ('x NEAR/1 "a b c"', "a b c q x", True),            # distance counts from the phrase end
    ('x NEAR/1 "a b c"', "a b c q r x", False),
    ('x NEAR/1 "a b c"', "x q a b c", True),
    ('x NEAR/0 "a b c"', "x q a b c", False),
    # lists, also nested, and OR-ed inside NEAR
    ("@leaders NEAR/3 @meet", "The Prime Minister met reporters", True),
    ("@leaders NEAR/3 @meet", "the minister met reporters", False),
    ("@nested", "Chancellor Scholz", True),
    ("@nested", "President Macron", True),
    # accents and case folded on both sides
    ("café", "CAFE", True),
    ("cafe", "Café society", True),
    ("Erdogan", "Erdoğan said", True),
    ("Straße", "STRASSE", True),
    # case: the letters' case counts (accents still folded): acronyms that are words elsewhere
    ("sanctions case:UN", "UN sanctions on the regime", True),
    ("sanctions case:UN", "des sanctions pour un site", False),     # French article
    ("sanctions case:US", "the judge sanctioned us", False),       # the pronoun
    ("sanctions case:US", "US sanctions", True),
    ("case:USA", "la empresa usa el dinero", False),               # Spanish "uses"
    ("case:Élysée", "at the Elysee palace", True),                 # accents folded ...
    ("case:Élysée", "at the ELYSÉE palace", False),                # ... case kept
    ('case:"Security Council"', "The Security Council voted", True),
    ('case:"Security Council"', "a security council of firms", False),
    ("case:(UN OR EU)", "EU leaders", True),
    ("case:(UN OR EU)", "eu acho", False),                          # Portuguese "I"
    ("case:UN un", "un UN", True),                  # the same word in both senses at once
    ("case:UN NEAR/1 sanctions", "UN sanctions", True),
    ("summit -case:CEO", "CEO summit", False),
    ("summit -case:CEO", "the ceo of summits", True),
])
def test_query_semantics(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


@pytest.mark.parametrize(("query", "title", "text", "expected"), [
    ("title:summit", "Summit opens", "nothing here", True),
    ("title:summit", "Opening day", "the summit opens", False),
    ("title:(putin OR kim)", "Kim arrives", "", True),
    ("title:(putin OR kim)", "", "Kim arrives", False),
    ("summit", "Summit opens", "", True),                 # unscoped: title or text
    ("summit", "", "summit opens", True),
    ('title:"Kim Jong Un"', "Kim Jong Un arrives", "", True),
    ("title:summit NOT title:mountain", "Summit", "on the mountain", True),
    # phrases and NEAR never straddle the title and the text
    ('"Putin Kim"', "Talks with Putin", "Kim arrives", False),
    ("Putin NEAR/5 Kim", "Talks with Putin", "Kim arrives", False),
])
def test_title_scope(query: str, title: str, text: str, expected: bool) -> None:
    topic = Topic("t", compile_query(query))
    assert bool(Matcher([topic]).match(title, text)) is expected


@pytest.mark.parametrize(("query", "key", "message"), [
    ('(summit OR "talks" NEAR/8 (Kim', "topics.summits.query",
     "topics.summits.query: expected ')' at column 31"),
    ("summit)", "q", "q: unmatched ')' at column 7"),
    ("summit OR", "q",
     "q: expected a word, phrase, @list or '(' but found end of query at column 10"),
    ("OR summit", "q", "q: expected a word, phrase, @list or '(' but found 'OR' at column 1"),
    ('summit "talks', "q", "q: unterminated quote at column 8"),
    ("", "q", "q: empty query at column 1"),
    ("   ", "q", "q: empty query at column 4"),
    ("summit @nope", "q", "q: unknown list '@nope' at column 8"),
    ("body:summit", "q", "q: unknown prefix 'body:' (known: title:, case:) at column 1"),
    ("case:UN*", "q", "q: case: takes whole words, not a prefix* at column 6"),
    ("case:@leaders", "q", "q: case: applies to words and phrases, not to a @list "
                           "(write case: on the list's items) at column 6"),
    ("case:(UN OR @meet)", "q", "q: case: applies to words and phrases, not to a @list "
                                "(write case: on the list's items) at column 13"),
    ("sum*mit", "q", "q: '*' is only allowed at the end of a word at column 1"),
    ("a NEAR/x b", "q", "q: expected NEAR/n with n from 0 to 100 at column 3"),
    ("a NEAR/500 b", "q", "q: expected NEAR/n with n from 0 to 100 at column 3"),
    ("(a b) NEAR/3 c", "q", "q: NEAR joins words, phrases or OR-groups of them (not AND/NOT) "
                            "at column 7"),
    ("NOT sport", "q", "q: the query matches articles that contain none of its terms "
                       "(it needs a term that is not negated) at column 1"),
    ("news OR -sport", "q", "q: the query matches articles that contain none of its terms "
                            "(it needs a term that is not negated) at column 1"),
    ("---", "q", "q: no letters or digits in '-' at column 3"),
    ("@", "q", "q: expected a list name after '@' at column 1"),
])
def test_parse_errors_name_key_and_column(query: str, key: str, message: str) -> None:
    with pytest.raises(QueryError) as err:
        compile_query(query, lists=LISTS, key=key)
    assert str(err.value) == message
    assert err.value.key == key
    assert err.value.column == int(message.rsplit(" ", 1)[1])


@pytest.mark.parametrize(("lists", "key", "message"), [
    ({"a": ["ok", "(broken"]}, "lists.a[1]", "expected ')' at column 8"),
    ({"a": []}, "lists.a", "the list is empty"),
    ({"a": ["@b"], "b": ["@a"]}, "lists.a", "lists refer to each other in a loop: @a -> @b -> @a"),
])
def test_list_errors_name_the_list(lists: dict[str, list[str]], key: str, message: str) -> None:
    with pytest.raises(QueryError) as err:
        compile_query("x OR @a", lists=lists, key="topics.t.query")
    assert err.value.key == key
    assert message in str(err.value)


@pytest.mark.parametrize(("query", "refused", "not_refused"), [
    ("summit NOT tech", "tech summit", "summit"),
    ("(summit NOT tech) OR (Putin NEAR/8 met)", "the tech summit", "the summit"),
    ("summit AND (NATO NOT minister)", "NATO summit of ministers", "summit with ministers"),
    ("summit -tech -mountain", "tech and mountain summit", "tech and mountain"),
])
def test_refusals_are_what_only_a_not_kept_out(query: str, refused: str,
                                              not_refused: str) -> None:
    """refusals_of(q) matches and q does not: one of q's NOTs refused the article."""
    q = compile_query(query, lists=LISTS)
    r = refusals_of(q)
    assert r is not None
    for text, expected in ((refused, True), (not_refused, False)):
        found = Matcher([Topic("q", q), Topic("r", r)]).match("", text)
        assert ({m.topic for m in found} == {"r"}) is expected, text


@pytest.mark.parametrize("query", ["summit", "Putin NEAR/8 (met OR talks)", "a OR (b c)"])
def test_a_query_without_not_refuses_nothing(query: str) -> None:
    assert refusals_of(compile_query(query, lists=LISTS)) is None


def test_query_keeps_its_source() -> None:
    q = compile_query("summit OR @leaders", lists=LISTS)
    assert q.source == "summit OR @leaders"
    assert ("stem", "putin") in q.atoms


@pytest.mark.parametrize(("terms", "exclude", "source"), [
    (["summit"], [], "(summit)"),
    (["summit", "prime minister"], [], '(summit OR "prime minister")'),
    (["summit"], ["Web Summit", "mountain"], '(summit) NOT ("Web Summit" OR mountain)'),
    (['"talks"', "U.S.", "OR"], [], '("talks" OR "U.S." OR "OR")'),
    (["sanction*", "(weird)"], [], '(sanction* OR "(weird)")'),
    (["", "  "], [], ""),
])
def test_terms_sugar_source(terms: list[str], exclude: list[str], source: str) -> None:
    assert terms_query(terms, exclude) == source


@pytest.mark.parametrize(("terms", "exclude", "text", "expected"), [
    (["sanction"], [], "the sanctioned firm", True),           # single words inflect
    (["prime minister"], [], "Prime Minister Sunak", True),
    (["prime minister"], [], "prime ministers met", False),    # phrases are word for word
    (["summit"], ["web summit"], "Web Summit opens", False),
    (["summit"], ["web summit"], "G7 summit opens", True),
    (['"talks"'], [], "he talked", False),
    (["OR", "NOT"], [], "to be OR NOT", True),                 # operator words are just words
])
def test_terms_sugar_matches(terms: list[str], exclude: list[str], text: str,
                             expected: bool) -> None:
    assert matches(terms_query(terms, exclude), text) is expected


def test_required_atom_sets() -> None:
    # The Matcher evaluates a topic only once one of these sets occurred in full.
    q = compile_query('"kim jong" OR (putin xi) NOT sport')
    assert set(q.requires) == {frozenset({("exact", "kim"), ("exact", "jong")}),
                               frozenset({("stem", "putin"), ("stem", "xi")})}
    # nothing to derive under a NOT: each atom outside an odd number of NOTs on its own
    assert compile_query("NOT (NOT kim)").requires == (frozenset({("stem", "kim")}),)
    assert matches("NOT (NOT kim)", "Kim")


def test_evaluate_on_atom_hits() -> None:
    q = compile_query("summit NOT mountain")
    assert q.evaluate({("stem", "summit"): [0, 4]}) == [(0, 1), (4, 5)]
    assert q.evaluate({("stem", "summit"): [0], ("stem", "mountain"): [1]}) is None
