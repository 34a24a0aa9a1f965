"""Topic queries: compile once, then evaluate against the word positions found in an article.

The language (reference with examples: docs/query-language.md)::

    summit                 whole word, any case/accents, English inflection (summits, ...)
    "summit"               exact word (case/accents still folded, no inflection)
    "Kim Jong Un"          phrase: consecutive words, each exact; "export control*" works
    sanction*              prefix
    a b  /  a AND b        both;   a OR b  /  a | b   either;   NOT a  /  -a   not
    Putin NEAR/8 Kim       at most 8 words between them, either order (NEAR alone = NEAR/10)
    title:summit           only in the title;  title:(a OR b)
    @leaders               a named term list from config (`lists:`), as an OR of its items

Evaluation never scans the text: `bot.match.Matcher` finds every atom of every topic in one
Aho-Corasick pass and hands each query the positions, so a query costs time proportional to
the hits, never to the text length times the number of terms.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.errors import QueryError
from bot.query_parse import (
    And,
    Atom,
    Near,
    Node,
    Not,
    Or,
    Parser,
    Term,
)

Span = tuple[int, int]              # word positions [start, end)
Hits = Mapping[Atom, Sequence[int]]  # atom -> ascending word positions where it occurs


@dataclass(frozen=True, eq=False)
class Query:
    """A compiled query. `source` is what the user wrote (or what `terms_query` produced)."""

    source: str
    root: Node
    key: str = "query"
    atoms: frozenset[Atom] = field(default=frozenset())
    # Atoms outside any NOT (or under an even number of them). The query is false when
    # nothing hits (compile_query checks), and hits of negated atoms can only make it
    # "more false", so an article can only match if one of these hits: the Matcher
    # evaluates a topic only then.
    trigger_atoms: frozenset[Atom] = field(default=frozenset())

    def evaluate(self, hits: Hits, title_words: int = 0) -> list[Span] | None:
        """None when the query does not match; otherwise the spans that made it match.

        Positions below `title_words` are the title's; `title:` terms look only there.
        """
        return Evaluator(hits, title_words).run(self.root)


def compile_query(source: str, *, lists: Mapping[str, Sequence[str]] | None = None,
                  key: str = "query") -> Query:
    """Parse `source`; errors are QueryError naming `key` and the 1-based column."""
    lists = lists or {}
    done: dict[str, Node] = {}
    active: list[str] = []

    def resolve(name: str, col: int) -> Node | None:
        if name in done:
            return done[name]
        if name not in lists:
            return None
        if name in active:
            chain = " -> ".join(f"@{n}" for n in [*active, name])
            raise QueryError(f"lists refer to each other in a loop: {chain}",
                             key=f"lists.{name}")
        items = list(lists[name]) if not isinstance(lists[name], str) else [lists[name]]
        if not items:
            raise QueryError("the list is empty", key=f"lists.{name}")
        active.append(name)
        kids = tuple(Parser(str(item), f"lists.{name}[{i}]", resolve).parse()
                     for i, item in enumerate(items))
        active.pop()
        done[name] = kids[0] if len(kids) == 1 else Or(kids)
        return done[name]

    root = Parser(source, key, resolve).parse()
    if Evaluator({}, 0).run(root) is not None:
        # e.g. `NOT sport` or `a OR -b`: it would post nearly every article in every feed.
        raise QueryError("the query matches articles that contain none of its terms "
                         "(it needs a term that is not negated)", key=key, column=1)
    return Query(source, root, key, frozenset(_atoms(root)), frozenset(_atoms(root, True)))


_BARE = re.compile(r"[^\W_](?:[\w'.-]*[^\W_])?\*?")


def terms_query(terms: Sequence[str], exclude: Sequence[str] = ()) -> str:
    """The `terms:`/`exclude:` sugar as query source: any term, none of the excluded.

    Single words stay bare (so they inflect: `sanction` finds `sanctioned`); anything with
    spaces or query syntax in it becomes a quoted phrase, matched word for word.
    """
    def one(term: str) -> str:
        t = term.strip()
        if len(t) > 1 and t[0] == t[-1] == '"':     # already quoted: keep it exact
            return '"' + t[1:-1].replace('"', " ") + '"'
        if _BARE.fullmatch(t) and t not in ("OR", "AND", "NOT") and not t.startswith("NEAR"):
            return t
        return '"' + t.replace('"', " ") + '"'

    inc = [one(t) for t in terms if t.strip().strip('"').strip()]
    exc = [one(t) for t in exclude if t.strip().strip('"').strip()]
    src = "(" + " OR ".join(inc) + ")" if inc else ""
    if exc:
        src += " NOT (" + " OR ".join(exc) + ")"
    return src.strip()


def _atoms(node: Node, positive_only: bool = False, negated: bool = False) -> list[Atom]:
    if isinstance(node, Term):
        return [] if positive_only and negated else list(node.atoms)
    if isinstance(node, And | Or):
        return [a for c in node.children for a in _atoms(c, positive_only, negated)]
    if isinstance(node, Not):
        return _atoms(node.child, positive_only, not negated)
    return _atoms(node.left, positive_only, negated) + _atoms(node.right, positive_only, negated)


class Evaluator:
    """Evaluates queries against one article's hits; share it across topics (it caches)."""

    def __init__(self, hits: Hits, title_words: int = 0) -> None:
        self.hits, self.title_words = hits, title_words
        self.hit_atoms: Collection[Atom] = hits.keys()
        self.sets: dict[Atom, set[int]] = {}
        # Dispatch by node type: one dict lookup instead of a chain of isinstance tests,
        # since this runs for every candidate topic of every article.
        self._run: dict[type, Callable[[Any], list[Span] | None]] = {
            Term: self._term, And: self._and, Or: self._or, Not: self._not, Near: self._near}

    def run(self, node: Node, hit_atoms: Collection[Atom] | None = None) -> list[Span] | None:
        """Evaluate `node`. `hit_atoms`, when the caller knows it, is the subset of the hit
        atoms that occur in this query: OR nodes then look only at those (usually 1-3)."""
        self.hit_atoms = self.hits.keys() if hit_atoms is None else hit_atoms
        return self._run[type(node)](node)

    def _term(self, node: Term) -> list[Span] | None:
        return self.term(node) or None

    def _and(self, node: And) -> list[Span] | None:
        out: list[Span] = []
        for c in node.children:
            r = self._run[type(c)](c)
            if r is None:
                return None
            out += r
        return out

    def _or(self, node: Or) -> list[Span] | None:
        # No short cut: every matching branch is highlighted.
        found: list[Span] = []
        matched = False
        by_atom = node.by_atom
        for atom in self.hit_atoms:
            for t in by_atom.get(atom, ()):
                if t.simple:            # the common case, inlined: a word anywhere
                    found += [(p, p + 1) for p in self.hits[atom]]
                    matched = True
                else:
                    spans = self.term(t)
                    if spans:
                        found += spans
                        matched = True
        for c in node.rest:
            r = self._run[type(c)](c)
            if r is not None:
                found += r
                matched = True
        return found if matched else None

    def _not(self, node: Not) -> list[Span] | None:
        return [] if self._run[type(node.child)](node.child) is None else None

    def _near(self, node: Near) -> list[Span] | None:
        left = self._run[type(node.left)](node.left)
        right = self._run[type(node.right)](node.right)
        if left is None or right is None:
            return None
        return _near(left, right, node.distance)

    def term(self, t: Term) -> list[Span]:
        first = self.hits.get(t.atoms[0], ())
        if not first:
            return []
        starts: Sequence[int] = first
        if len(t.atoms) > 1:
            rest = [self.positions(a) for a in t.atoms[1:]]
            starts = [p for p in first if all(p + k in s for k, s in enumerate(rest, 1))]
        if t.field == "title":
            starts = [p for p in starts if p < self.title_words]
        n = len(t.atoms)
        return [(p, p + n) for p in starts]

    def positions(self, atom: Atom) -> set[int]:
        if atom not in self.sets:
            self.sets[atom] = set(self.hits.get(atom, ()))
        return self.sets[atom]


def _near(a_spans: list[Span], b_spans: list[Span], d: int) -> list[Span] | None:
    """Spans of either side that have a span of the other side at most `d` words away.

    Two linear sweeps over the sorted spans: O(A + B), whatever the text.
    """
    a, b = ordered(a_spans), ordered(b_spans)
    return ordered(_close(a, b, d) + _close(b, a, d)) or None


def ordered(spans: list[Span]) -> list[Span]:
    """Distinct spans by position. dict.fromkeys keeps the (mostly sorted) input order,
    so the sort merges a few ascending runs in linear time instead of resorting a set."""
    out = list(dict.fromkeys(spans))
    out.sort()
    return out


def _close(xs: list[Span], ys: list[Span], d: int) -> list[Span]:
    """The spans of `xs` with a different span of `ys` at most `d` words away.

    One merge-like sweep over both sorted lists: `j` is the first y starting at or after x;
    a y starting later must start by e + d; one starting earlier must end by s - d.
    """
    out = []
    j, n, end_before = 0, len(ys), -1 - d    # end_before: max end of ys[:j]
    for x in xs:
        s, e = x
        while j < n and ys[j][0] < s:
            end_before = max(end_before, ys[j][1])
            j += 1
        k = j + 1 if j < n and ys[j] == x else j   # a span is not near itself
        if (k < n and ys[k][0] <= e + d) or end_before >= s - d:
            out.append(x)
    return out
