"""Compiled query evaluation: what `bot.match.matcher.Matcher` runs per article.

A query tree becomes, once per Matcher, nested closures over integer atom ids
(`compile_node`), plus two summaries that let the Matcher skip most of them: the atom sets
one of which must occur in full (`requirements`) and, for the common "any of these, none of
those" shape, the plain term lists (`flat`). Per article, the cost then follows the topics an
article actually matches, and each of those touches as little per-topic data as possible.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

from bot.match.grammar import And, Atom, Node, Not, Or, Term

Span = tuple[int, int]                  # word positions [start, end)
Found = Mapping[int, Sequence[int]]     # atom id -> ascending word positions where it occurs
# A compiled node: (found, mine, title_words) -> spans, or None when the node is false.
# `mine` is the ids of this query's atoms that occur in the article.
Fn = Callable[[Found, Collection[int], int], "list[Span] | None"]
TermFn = Callable[[Found, int], list[Span]]
_MAX_SETS = 16


def atoms_of(node: Node, positive_only: bool = False, negated: bool = False) -> list[Atom]:
    """The atoms under `node`; with `positive_only`, those under an even number of NOTs."""
    if isinstance(node, Term):
        return [] if positive_only and negated else list(node.atoms)
    if isinstance(node, And | Or):
        return [a for c in node.children for a in atoms_of(c, positive_only, negated)]
    if isinstance(node, Not):
        return atoms_of(node.child, positive_only, not negated)
    return [a for side in (node.left, node.right) for a in atoms_of(side, positive_only, negated)]


def requirements(node: Node) -> list[frozenset[Atom]] | None:
    """Atom sets, one of which must occur in full for `node` to hold (None: nothing can be
    said, as under a NOT). A phrase needs all its words and `a b` needs both, so the Matcher
    evaluates a topic only once one set is complete, not on every partial hit."""
    if isinstance(node, Term):
        return [frozenset(node.atoms)]
    if isinstance(node, Not):
        return None
    if isinstance(node, Or):
        out: list[frozenset[Atom]] = []
        for c in node.children:
            r = requirements(c)
            if r is None:
                return None
            out += r
        return list(dict.fromkeys(out))
    kids = node.children if isinstance(node, And) else (node.left, node.right)
    known = [r for r in map(requirements, kids) if r is not None]
    if not known:
        return None
    sets = known[0]
    for r in known[1:]:
        # Either side alone is a sound requirement; both together are sharper while the
        # product stays small (each hit of an atom updates every set holding it).
        if len(sets) * len(r) <= _MAX_SETS:
            sets = list(dict.fromkeys(a | b for a in sets for b in r))
        else:
            sets = min(sets, r, key=len)
    return sets


def flat(node: Node) -> tuple[list[Term], list[Term]] | None:
    """`(t1 OR t2 ...) NOT (x1 OR x2 ...)` -- every `terms:`/`exclude:` topic, and most
    written ones -- as (terms, excluded terms); None for any other shape. The Matcher decides
    such a topic from its inverted index alone: any term present and no excluded one."""
    def terms(n: Node) -> list[Term] | None:
        if isinstance(n, Term):
            return [n]
        if isinstance(n, Or) and all(isinstance(c, Term) for c in n.children):
            return [c for c in n.children if isinstance(c, Term)]
        return None

    if (alone := terms(node)) is not None:
        return alone, []
    if not isinstance(node, And):
        return None
    pos: list[Term] | None = None
    neg: list[Term] = []
    for c in node.children:
        found = terms(c.child if isinstance(c, Not) else c)
        if found is None or (pos is not None and not isinstance(c, Not)):
            return None             # more than one positive part: an AND of ORs
        if isinstance(c, Not):
            neg += found
        else:
            pos = found
    return None if pos is None else (pos, neg)


def compile_node(node: Node, ids: Mapping[Atom, int]) -> Fn:
    """`node` as nested closures over atom ids (`ids`): no tree walk, type dispatch or atom
    hashing per article -- costs paid per matching topic, so they grow with the topics."""
    if isinstance(node, Term):
        spans = term_fn(node, ids)
        return lambda found, mine, tw: spans(found, tw) or None
    if isinstance(node, Or):
        return _or(node, ids)
    if isinstance(node, Not):
        return _negate(frozenset(ids[a] for a in atoms_of(node.child)),
                       compile_node(node.child, ids))
    if isinstance(node, And):
        return _and(node, ids)
    left, right, d = compile_node(node.left, ids), compile_node(node.right, ids), node.distance

    def near(found: Found, mine: Collection[int], tw: int) -> list[Span] | None:
        a = left(found, mine, tw)
        if a is None:
            return None
        b = right(found, mine, tw)
        return None if b is None else _near(a, b, d)
    return near


def _and(node: And, ids: Mapping[Atom, int]) -> Fn:
    # `x NOT (y OR z)` is the usual shape: a NOT none of whose atoms occurred is true, which
    # one set test tells; only when one did is the negated part evaluated.
    nots: list[tuple[frozenset[int], Fn]] = []
    kids: list[Fn] = []
    for c in node.children:
        if not isinstance(c, Not):
            kids.append(compile_node(c, ids))
            continue
        atoms, child = frozenset(ids[a] for a in atoms_of(c.child)), compile_node(c.child, ids)
        if child({}, (), 0) is None:            # true while none of its atoms occur
            nots.append((atoms, child))
        else:
            kids.append(_negate(atoms, child))

    def and_(found: Found, mine: Collection[int], tw: int) -> list[Span] | None:
        for atoms, child in nots:
            if not atoms.isdisjoint(mine) and child(found, mine, tw) is not None:
                return None
        if len(kids) == 1:          # every Fn returns a new list: no copy needed
            return kids[0](found, mine, tw)
        out: list[Span] = []
        for f in kids:
            r = f(found, mine, tw)
            if r is None:
                return None
            out += r
        return out
    return and_


def term_fn(t: Term, ids: Mapping[Atom, int]) -> TermFn:
    first, n, title = ids[t.atoms[0]], len(t.atoms), t.field == "title"
    rest = [ids[a] for a in t.atoms[1:]]
    if n == 1 and not title:
        return lambda found, tw: [(p, p + 1) for p in found.get(first, ())]

    def phrase(found: Found, tw: int) -> list[Span]:
        starts: Sequence[int] = found.get(first, ())
        if starts and rest:
            if any(a not in found for a in rest):
                return []
            sets = [set(found.get(a, ())) for a in rest]
            starts = [p for p in starts if all(p + k in s for k, s in enumerate(sets, 1))]
        if title:
            starts = [p for p in starts if p < tw]
        return [(p, p + n) for p in starts]
    return phrase


def _or(node: Or, ids: Mapping[Atom, int]) -> Fn:
    # Words (the common case) by atom id, other terms by first atom: a 50-term OR looks only
    # at the query's few atoms that occur instead of visiting 50 children per article.
    words: set[int] = set()
    terms: dict[int, list[TermFn]] = {}
    rest: list[Fn] = []
    for c in node.children:
        if isinstance(c, Term) and len(c.atoms) == 1 and c.field is None:
            words.add(ids[c.atoms[0]])
        elif isinstance(c, Term):
            terms.setdefault(ids[c.atoms[0]], []).append(term_fn(c, ids))
        else:
            rest.append(compile_node(c, ids))

    def or_(found: Found, mine: Collection[int], tw: int) -> list[Span] | None:
        # No short cut: every matching branch is highlighted. An atom in `mine` occurred,
        # so a word of it always yields spans.
        out = [(p, p + 1) for a in mine if a in words for p in found[a]]
        matched = bool(out)
        if terms:
            for a in mine:
                for f in terms.get(a, ()):
                    spans = f(found, tw)
                    if spans:
                        out += spans
                        matched = True
        for g in rest:
            r = g(found, mine, tw)
            if r is not None:
                out += r
                matched = True
        return out if matched else None
    return or_


def _negate(atoms: frozenset[int], child: Fn) -> Fn:
    # With none of its atoms present the child has its value on an empty article: decided
    # here once, so `NOT (x OR y)` costs one set test per article.
    true_when_absent = child({}, (), 0) is None

    def not_(found: Found, mine: Collection[int], tw: int) -> list[Span] | None:
        if atoms.isdisjoint(mine):
            return [] if true_when_absent else None
        return [] if child(found, mine, tw) is None else None
    return not_


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
