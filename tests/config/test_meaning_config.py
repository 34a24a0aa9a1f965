"""A topic's `meaning:`, `exclude:` and `exclude_query:` beside its query, and the `semantic:`
section: what loads, and what is refused at the line that is wrong."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from bot.config import load
from bot.errors import ConfigError
from bot.match import Matcher, topics_of
from bot.settings import MIN_SCORE, VETO_BELOW

HEAD = """channel: "@world_watch"
feeds:
  - url: https://example.com/rss.xml
topics:
  rates:
    query: '"interest rate*" OR "central bank"'
"""
MEANING = """    meaning:
      description: Central banks change interest rates.
      examples:
        - The central bank raised its key rate by a quarter point.
        - La banque centrale a baissé ses taux.
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newsbot.yaml"
    path.write_text(text)
    return path


def test_a_meaning_loads_with_its_defaults(tmp_path: Path) -> None:
    settings = load(write(tmp_path, HEAD + MEANING), env={})
    [topic] = settings.topics
    assert topic.meaning is not None and topic.exclude is None
    assert topic.meaning.positives[0] == "Central banks change interest rates."
    assert len(topic.meaning.examples) == 2 and topic.meaning.counter_examples == ()
    assert (topic.meaning.min_score, topic.meaning.veto_below) == (MIN_SCORE, VETO_BELOW)
    assert settings.semantic_model == "auto"


@pytest.mark.parametrize(("extra", "matches"), [
    ("", False),                                # unset: min_score (0.60), as for English
    ("      foreign_min_score: 0.45\n", True),
])
def test_the_bar_for_another_language_follows_min_score_unless_set(
        tmp_path: Path, extra: str, matches: bool) -> None:
    settings = load(write(tmp_path, HEAD + MEANING + extra), env={})
    [topic] = topics_of(settings.topics, None)
    # The meaning reads this German report at 0.5 (a fixed score: the bar is the point).
    matcher = Matcher([dataclasses.replace(topic, meaning=lambda v: 0.5)])
    text = "Die Notenbank hob den Leitzins um einen Viertelpunkt an, um die Teuerung zu bremsen."
    assert bool(matcher.match("", text, lambda: np.ones(4, np.float32))) is matches


def test_exclude_beside_a_query_is_a_veto_of_its_own(tmp_path: Path) -> None:
    settings = load(write(tmp_path, HEAD + "    exclude: [mortgage, '\"rate card\"']\n"
                                          "semantic: {model: 'off'}\n"), env={})
    [topic] = settings.topics
    assert topic.exclude is not None and topic.source.startswith('"interest rate*"')
    assert settings.semantic_model == "off"


@pytest.mark.parametrize(("text", "topics"), [
    ("The central bank raised rates.", ["rates"]),
    ("The central bank cut mortgage rates for lenders.", ["rates"]),   # the query's NOT
    ("The central bank cut mortgage rates.", []),                      # exclude_query
    ("The central bank's rate card.", []),                             # exclude:
])
def test_exclude_query_is_a_veto_beside_the_exclude_terms(
        tmp_path: Path, text: str, topics: list[str]) -> None:
    settings = load(write(tmp_path, HEAD + "    exclude: ['\"rate card\"']\n"
                          "    exclude_query: '(mortgage NEAR/3 rate*) NOT lender*'\n"), env={})
    matcher = Matcher(topics_of(settings.topics, None))
    assert [m.topic for m in matcher.match("", text)] == topics


@pytest.mark.parametrize(("why", "extra", "line", "key", "says"), [
    ("an exclusion query that does not parse", "    exclude_query: '(mortgage'\n", 7,
     "topics.rates.exclude_query", "column"),
    ("an exclusion query of NOTs alone", "    exclude_query: 'NOT mortgage'\n", 7,
     "topics.rates.exclude_query", "needs a term that is not negated"),
    ("an exclusion query that is not text", "    exclude_query: [a, b]\n", 7,
     "topics.rates.exclude_query", "expected a query in quotes"),
    ("a meaning without examples", "    meaning:\n      description: Rates.\n", 7,
     "topics.rates.meaning.examples", "needs a few example sentences"),
    ("an empty example", MEANING + "        - ''\n", 9, "topics.rates.meaning.examples",
     "non-empty strings"),
    ("a score above 1", MEANING + "      min_score: 7\n", 12, "topics.rates.meaning.min_score",
     "between 0 and 1"),
    ("a veto above the score that matches alone",
     MEANING + "      min_score: 0.5\n      veto_below: 0.6\n", 13,
     "topics.rates.meaning.veto_below", "must not exceed min_score (0.5)"),
    ("a foreign bar that is not a score", MEANING + "      foreign_min_score: high\n", 12,
     "topics.rates.meaning.foreign_min_score", "between 0 and 1"),
    ("a foreign bar below the default veto",
     MEANING + "      foreign_min_score: 0.3\n", 12,
     "topics.rates.meaning.foreign_min_score", "must not be below veto_below (0.4)"),
    ("a veto above the foreign bar",
     MEANING + "      foreign_min_score: 0.5\n      veto_below: 0.55\n", 13,
     "topics.rates.meaning.veto_below", "must not exceed foreign_min_score (0.5)"),
    ("a misspelt key", MEANING + "      counterexamples: [x]\n", 12,
     "topics.rates.meaning.counterexamples", "did you mean 'counter_examples'?"),
    ("an exclusion that is not a list of words", "    exclude: 5\n", 7, "topics.rates.exclude",
     "expected a list of non-empty strings"),
    ("an unknown model", "semantic: {model: gpt}\n", 7, "semantic.model",
     "expected one of auto, off"),
])
def test_a_broken_meaning_is_refused_at_its_line(tmp_path: Path, why: str, extra: str,
                                                 line: int, key: str, says: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(write(tmp_path, HEAD + extra), env={})
    assert (err.value.line, err.value.key) == (line, key), str(err.value)
    assert says in str(err.value)
