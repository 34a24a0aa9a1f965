"""Every topic's query over an article in one Aho-Corasick pass (`Keywords`).

Per article: split title and text into words once (`bot.match.words`), lay the words out
twice in one string (folded forms, then English stems, with different separators), run the
automaton holding every atom of every topic over it once, then look the atoms found up in an
inverted index (atom -> topics, and in what role). Cost grows with the text and the hits, not
with the number of topics or terms (bench/topics.py measures it).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import ahocorasick

from bot.match.evaluate import Fn, Span, TermFn, compile_node, flat, ordered, term_fn
from bot.match.grammar import CASED, EXACT, NEAR_MAX, PREFIX, Atom
from bot.match.query import Query
from bot.match.words import fold, stem, words
from bot.models import Match
from bot.text import strip_accents

# Separators: folded words are written "\x01word", stems "\x02stem". An exact atom is
# "\x01word\x01", a prefix "\x01pre", a stem "\x02stem\x02": each can only start at a word
# boundary of its own layer, so one automaton serves all three kinds without false hits.
_F, _S = "\x01", "\x02"


def _pattern(atom: Atom) -> str:
    kind, value = atom
    if kind == EXACT:
        return _F + value + _F
    if kind == CASED:       # found as its folded word; `match` then checks the letters' case
        return _F + fold(value) + _F
    if kind == PREFIX:
        return _F + value
    return _S + value + _S


# The inverted index holds, per atom id, a list of topics for each of these roles:
# topics of the "terms, no excluded terms" shape (`query_eval.flat`) for which the atom is a
# plain word / the first atom of another term, with its evaluator; the same for their
# excluded terms; for every other topic: the topics whose query has the atom, the topics for
# which the atom alone completes a required set (`Query.requires`), the larger sets with it.
WORD, TERM, VETO, VETO_TERM, MEMBER, ALONE, WITHIN = range(7)


class Keywords:
    """All queries' terms in one automaton; `match` says which queries an article satisfies
    and with which words. `queries` are (name, query, channel)."""

    def __init__(self, queries: Sequence[tuple[str, Query, str | None]]) -> None:
        self._names = [name for name, _, _ in queries]
        self._channels = [channel for _, _, channel in queries]
        self._queries = [query for _, query, _ in queries]
        self._automaton = ahocorasick.Automaton()
        ids: dict[Atom, int] = {}
        by_pattern: dict[str, list[int]] = {}       # "UN" and "un" share one pattern
        self._cased: dict[int, str] = {}            # atom id -> the form it must have
        index: list[list[list[Any]]] = []
        self._set_size: list[int] = []
        self._set_topic: list[int] = []
        self._run: list[Fn | None] = []     # None: decided from the index alone
        for t_index, query in enumerate(self._queries):
            for atom in sorted(query.atoms):
                if atom not in ids:
                    ids[atom] = len(ids)
                    index.append([[] for _ in range(WITHIN + 1)])
                    by_pattern.setdefault(_pattern(atom), []).append(ids[atom])
                    if atom[0] == CASED:
                        self._cased[ids[atom]] = atom[1]
            shape = flat(query.root)
            self._run.append(None if shape else compile_node(query.root, ids))
            if shape:
                for role, terms in ((WORD, shape[0]), (VETO, shape[1])):
                    for t in terms:
                        entry = index[ids[t.atoms[0]]]
                        if len(t.atoms) == 1 and t.field is None:
                            entry[role].append(t_index)
                        else:
                            entry[role + 1].append((t_index, term_fn(t, ids)))
                continue
            for atom in query.atoms:
                index[ids[atom]][MEMBER].append(t_index)
            for need in query.requires:
                if len(need) == 1:
                    index[ids[next(iter(need))]][ALONE].append(t_index)
                    continue
                for atom in need:
                    index[ids[atom]][WITHIN].append(len(self._set_size))
                self._set_size.append(len(need))
                self._set_topic.append(t_index)
        self._atoms = list(ids)
        for pattern, atom_ids in by_pattern.items():
            self._automaton.add_word(pattern, (tuple(atom_ids), len(pattern) - 1))
        # (WORD topics, the other roles or None): most atoms are only some topics' words.
        self._index = [(tuple(dict.fromkeys(e[WORD])),
                        tuple(tuple(dict.fromkeys(r)) for r in e[TERM:]) if any(e[TERM:])
                        else None) for e in index]
        if ids:
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
        """Matches in query order; each names the surface terms as they appear (title first)."""
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
        for end, (atom_ids, last) in self._automaton.iter("".join(parts)):
            for atom_id in atom_ids:
                found[atom_id].append(at[end - last])
        self.last_hits = sum(map(len, found.values()))
        for atom_id in self._cased.keys() & found.keys():
            kept = [p for p in found[atom_id] if self._cased[atom_id] == strip_accents(
                _text_of((p, p + 1), title, t_words, text, x_words, offset))]
            if kept:
                found[atom_id] = kept
            else:
                del found[atom_id]

        # One pass over the atoms found: each updates only the topics it belongs to.
        word_of: dict[int, list[int]] = defaultdict(list)       # flat topic -> its words
        term_of: dict[int, list[TermFn]] = defaultdict(list)    # ... its other terms
        veto_of: dict[int, list[TermFn]] = defaultdict(list)    # ... its excluded terms
        vetoed: set[int] = set()        # flat topics with an excluded word present
        mine: dict[int, list[int]] = defaultdict(list)          # other topic -> its atoms
        candidates: set[int] = set()    # other topics with a required set complete
        missing: dict[int, int] = {}    # required set -> its atoms not seen yet
        size, owner = self._set_size, self._set_topic
        for atom_id in found:
            word_in, roles = self._index[atom_id]
            for t_index in word_in:
                word_of[t_index].append(atom_id)
            if roles is None:
                continue
            term_in, vetoes, veto_terms, member, alone, within = roles
            for t_index, f in term_in:
                term_of[t_index].append(f)
            if vetoes:
                vetoed.update(vetoes)
            for t_index, f in veto_terms:
                veto_of[t_index].append(f)
            for t_index in member:
                mine[t_index].append(atom_id)
            if alone:
                candidates.update(alone)
            for s in within:
                left = missing.get(s, size[s]) - 1
                missing[s] = left
                if not left:
                    candidates.add(owner[s])
        candidates.update(word_of)
        candidates.update(term_of)
        candidates -= vetoed

        tw = len(t_words)
        cut: dict[int, tuple[str, ...]] = {}    # a word's surfaces, for each topic it hits

        def surfaces(spans: list[Span]) -> tuple[str, ...]:
            return _surfaces(spans, title, t_words, text, x_words, offset)

        out = []
        run_of, names, channels = self._run, self._names, self._channels
        for t_index in sorted(candidates):
            run = run_of[t_index]
            if run is not None:
                spans = run(found, mine[t_index], tw)
                if spans is None:
                    continue
                terms = surfaces(spans)
            else:
                excluded = veto_of.get(t_index)
                if excluded and any(f(found, tw) for f in excluded):
                    continue
                hit = word_of.get(t_index, ())
                if len(hit) == 1 and t_index not in term_of:     # the usual case
                    terms = cut.get(hit[0]) or cut.setdefault(
                        hit[0], surfaces([(p, p + 1) for p in found[hit[0]]]))
                else:
                    spans = [(p, p + 1) for a in hit for p in found[a]]
                    spans += [s for f in term_of.get(t_index, ()) for s in f(found, tw)]
                    if not spans:
                        continue
                    terms = surfaces(spans)
            out.append(Match(names[t_index], terms, channels[t_index]))
        return out


def _text_of(span: Span, title: str, t_words: list[tuple[str, int, int]],
             text: str, x_words: list[tuple[str, int, int]], offset: int) -> str:
    """The words of `span` (layout positions; never across title and text) as written."""
    s, e = span
    src, ws, base = (title, t_words, 0) if s < offset else (text, x_words, offset)
    return src[ws[s - base][1]:ws[e - 1 - base][2]]


def _surfaces(spans: list[Span], title: str, t_words: list[tuple[str, int, int]],
              text: str, x_words: list[tuple[str, int, int]], offset: int) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for s, e in spans if len(spans) == 1 else ordered(spans):   # one hit: nothing to order
        seen.setdefault(_text_of((s, e), title, t_words, text, x_words, offset), None)
    return tuple(seen)
