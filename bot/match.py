"""Match articles against every topic with one Aho-Corasick pass.

Per article: split title and text into words once (`query_parse.words`), lay the words out
twice in one string (folded forms, then English stems, with different separators), run the
automaton holding every atom of every topic over it once, and evaluate only the topics that
had at least one atom hit. Cost grows with the text and the hits, not with the number of
topics or terms (bench/topics.py measures it).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import ahocorasick

from bot.models import Match
from bot.query import Evaluator, Query, Span, ordered
from bot.query_parse import EXACT, NEAR_MAX, PREFIX, Atom, stem, words

# Separators: folded words are written "\x01word", stems "\x02stem". An exact atom is
# "\x01word\x01", a prefix "\x01pre", a stem "\x02stem\x02": each can only start at a word
# boundary of its own layer, so one automaton serves all three kinds without false hits.
_F, _S = "\x01", "\x02"


def _pattern(atom: Atom) -> str:
    kind, value = atom
    if kind == EXACT:
        return _F + value + _F
    if kind == PREFIX:
        return _F + value
    return _S + value + _S


@dataclass(frozen=True)
class Topic:
    name: str
    query: Query
    channel: str | None = None


class Matcher:
    """All topics' terms in one automaton; `match` says which topics an article hits and why."""

    def __init__(self, topics: Sequence[Topic]) -> None:
        self.topics = tuple(topics)
        self._automaton = ahocorasick.Automaton()
        self._atoms: list[Atom] = []
        # atom id -> (topic index, whether a hit of it can make that topic match)
        self._topics_of: list[list[tuple[int, bool]]] = []
        ids: dict[Atom, int] = {}
        for t_index, topic in enumerate(self.topics):
            triggers = topic.query.trigger_atoms or topic.query.atoms
            for atom in sorted(topic.query.atoms):
                if atom not in ids:
                    ids[atom] = len(self._atoms)
                    self._atoms.append(atom)
                    self._topics_of.append([])
                    pattern = _pattern(atom)
                    self._automaton.add_word(pattern, (ids[atom], len(pattern)))
                self._topics_of[ids[atom]].append((t_index, atom in triggers))
        if self._atoms:
            self._automaton.make_automaton()
        # Work done by the last `match`: atom occurrences the automaton reported. A word can
        # start at most (its length + 2) distinct patterns -- its exact form, its stem, its
        # prefixes -- so this stays linear in the text whatever the queries (tests assert
        # on it instead of on wall time).
        self.last_hits = 0

    @property
    def pattern_count(self) -> int:
        """Distinct patterns in the automaton: a term shared by many topics counts once."""
        return len(self._atoms)

    def match(self, title: str, text: str) -> list[Match]:
        """Matches in topic order; each names the surface terms as they appear (title first)."""
        if not self._atoms:
            return []
        # NFC first so a decomposed "é" stays one word; surfaces are sliced from these strings.
        title = unicodedata.normalize("NFC", title or "")
        text = unicodedata.normalize("NFC", text or "")
        t_words, x_words = list(words(title)), list(words(text))
        # Text positions start past a gap wider than any NEAR, so neither a phrase nor a
        # proximity test can straddle the title and the text.
        offset = len(t_words) + NEAR_MAX + 1
        layout = [(i, w) for i, (w, _, _) in enumerate(t_words)]
        layout += [(offset + i, w) for i, (w, _, _) in enumerate(x_words)]

        at: dict[int, int] = {}         # string offset of a separator -> word position
        parts: list[str] = []
        cur = 0
        for sep, form in ((_F, lambda w: w), (_S, stem)):
            for pos, w in layout:
                f = form(w)
                at[cur] = pos
                parts.append(sep + f)
                cur += 1 + len(f)
            parts.append(sep)
            cur += 1

        found: dict[int, list[int]] = defaultdict(list)
        for end, (atom_id, length) in self._automaton.iter("".join(parts)):
            found[atom_id].append(at[end - length + 1])
        self.last_hits = sum(map(len, found.values()))

        hits: dict[Atom, list[int]] = {}
        topic_atoms: dict[int, list[Atom]] = defaultdict(list)   # hit atoms per topic
        candidates: set[int] = set()
        for atom_id, positions in found.items():
            atom = self._atoms[atom_id]
            hits[atom] = positions
            for t_index, trigger in self._topics_of[atom_id]:
                topic_atoms[t_index].append(atom)
                if trigger:
                    candidates.add(t_index)
        evaluator = Evaluator(hits, len(t_words))
        out = []
        for t_index in sorted(candidates):
            topic = self.topics[t_index]
            spans = evaluator.run(topic.query.root, topic_atoms[t_index])
            if spans is not None:
                terms = _surfaces(spans, title, t_words, text, x_words, offset)
                out.append(Match(topic=topic.name, terms=terms, channel=topic.channel))
        return out


def _surfaces(spans: list[Span], title: str, t_words: list[tuple[str, int, int]],
              text: str, x_words: list[tuple[str, int, int]], offset: int) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for s, e in spans if len(spans) == 1 else ordered(spans):   # one hit: nothing to order
        src, ws, base = (title, t_words, 0) if s < offset else (text, x_words, offset)
        seen.setdefault(src[ws[s - base][1]:ws[e - 1 - base][2]], None)
    return tuple(seen)
