"""A topic's decision: its query, its meaning, and its exclusions (`Matcher`).

    exclude: hit          ─► no match, whatever else says yes (final for every signal)
    query matched         ─► a match, unless its meaning scores the item below `veto_below`
    a NOT refused it      ─► no match: the query would have matched but for one of its NOTs
                             (`refusals_of`), and what the operator ruled out stays out
    query did not match   ─► a match when its meaning scores the item at least `min_score`,
                             or `foreign_min_score` for an item in another language

The meaning is consulted only for an item that contains at least one of the topic's query
words or whole phrases outside a NOT (its cues, `cues_of`): those are what the operator said
the topic is about, and the encoder costs about 70 ms of CPU per item, against a few
microseconds for the keyword scan. An item written in another language than English
(`bot.match.language.foreign`) is consulted whatever its words: the lists cannot name the
topic in every language the encoder reads, and such items are a minority of an English feed.
For the same reason the query's silence says less about such an item, so a topic may let its
meaning decide it from a lower bar (`foreign_min_score`; the shipped summits do: 0.45 against
0.60, fitted in bench/fit_meaning.py with the lists hidden from non-English items).
Without a meaning, or without the semantic signal (`vector` missing or returning None), a
topic is its query, exactly as before the signal existed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.match.keywords import Keywords
from bot.match.language import foreign
from bot.match.query import Query, cues_of, refusals_of
from bot.models import Match
from bot.semantic import Semantic, Vector
from bot.settings import MIN_SCORE, VETO_BELOW, TopicConfig

__all__ = ["Matcher", "Topic", "Weighing", "decide", "topics_of"]

VectorOf = Callable[[], Vector | None]   # the item's vector, computed on first call only
_EXCLUDE = "\x00exclude:"                # internal query names: no topic name can start so
_CUES = "\x00cues:"
_REFUSED = "\x00refused:"


@dataclass(frozen=True)
class Topic:
    name: str
    query: Query
    channel: str | None = None
    exclude: Query | None = None
    meaning: Callable[[Vector], float] | None = None    # Semantic.scorer(...).score
    min_score: float = MIN_SCORE
    veto_below: float = VETO_BELOW
    foreign_min_score: float | None = None  # min_score for an item in another language;
                                            # None: min_score


@dataclass(frozen=True)
class Weighing:
    """What a topic's signals say of one item, before `decide` weighs them."""

    topic: Topic
    hit: Match | None          # the query's match
    score: float | None        # the meaning's score; None where it was not consulted
    excluded: bool             # an exclusion matched: final
    refused: bool = False      # the query matched but for a NOT: final for the meaning too
    foreign: bool = False      # written in another language than English (worked out only
                               # where the query did not match: where it sets the bar)

    @property
    def foreign_bar(self) -> bool:
        """The topic's bar for another language applies (the item is one, the topic has one)."""
        return self.foreign and self.topic.foreign_min_score is not None

    @property
    def min_score(self) -> float:
        """The score the meaning must reach where the query did not match."""
        bar = self.topic.foreign_min_score
        return bar if self.foreign_bar and bar is not None else self.topic.min_score


def decide(query: bool, score: float | None, min_score: float, veto_below: float) -> bool:
    """The rule in the module's docstring, exclusions aside: the query alone where the
    meaning is silent, else the meaning's score against the bar the query sets."""
    if score is None:
        return query
    return score >= (veto_below if query else min_score)


def topics_of(configs: Sequence[TopicConfig], semantic: Semantic | None) -> list[Topic]:
    """The configured topics, each meaning fitted with `semantic` (none without it)."""
    out = []
    for t in configs:
        m = t.meaning
        scorer = (semantic.scorer(m.positives, m.counter_examples).score
                  if semantic is not None and m is not None else None)
        out.append(Topic(t.name, t.query, t.channel, t.exclude, scorer,
                         m.min_score if m else MIN_SCORE, m.veto_below if m else VETO_BELOW,
                         m.foreign_min_score if m else None))
    return out


class Matcher:
    """Every topic over an article: one keyword scan for all queries and exclusions, then
    each meaning the scan cued. `match` says which topics an article hits and why."""

    def __init__(self, topics: Sequence[Topic]) -> None:
        self.topics = tuple(topics)
        queries = [(t.name, t.query, t.channel) for t in self.topics]
        queries += [(_EXCLUDE + t.name, t.exclude, None) for t in self.topics if t.exclude]
        queries += [(_CUES + t.name, cues_of(t.query), None) for t in self.topics if t.meaning]
        queries += [(_REFUSED + t.name, r, None) for t in self.topics
                    if t.meaning and (r := refusals_of(t.query)) is not None]
        self._keywords = Keywords(queries)

    @property
    def last_hits(self) -> int:
        """Atom occurrences the last scan reported (linear in the text: tests assert on it)."""
        return self._keywords.last_hits

    @property
    def pattern_count(self) -> int:
        return self._keywords.pattern_count

    def weigh(self, title: str, text: str, vector: VectorOf | None = None) -> list[Weighing]:
        """What each topic's signals say, in topic order. `vector` gives the item's
        embedding when a meaning needs it (the caller memoises it); the meaning of a topic
        whose exclusion or NOT ruled the item out is never consulted."""
        by_name = {m.topic: m for m in self._keywords.match(title, text)}
        other_script: bool | None = None                 # worked out when first needed
        out = []
        for topic in self.topics:
            hit = by_name.get(topic.name)
            excluded = _EXCLUDE + topic.name in by_name
            refused = hit is None and _REFUSED + topic.name in by_name
            score = None
            if topic.meaning is not None and vector is not None and not (excluded or refused):
                cued = hit is not None or _CUES + topic.name in by_name
                if hit is None and other_script is None:
                    other_script = foreign(f"{title} {text}")
                if cued or other_script:
                    v = vector()
                    score = topic.meaning(v) if v is not None and v.any() else None
            out.append(Weighing(topic, hit, score, excluded, refused,
                                hit is None and bool(other_script)))
        return out

    def match(self, title: str, text: str, vector: VectorOf | None = None) -> list[Match]:
        """The topics the item matches, in topic order, each saying why."""
        out = []
        for w in self.weigh(title, text, vector):
            t = w.topic
            if w.excluded or not decide(w.hit is not None, w.score, w.min_score, t.veto_below):
                continue
            if w.score is None:
                assert w.hit is not None                 # decide: the query alone
                out.append(w.hit)
            else:
                out.append(Match(t.name, w.hit.terms if w.hit else (), t.channel, w.score,
                                 query=w.hit is not None,
                                 foreign=w.foreign_bar))
        return out
