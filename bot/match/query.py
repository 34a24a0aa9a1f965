"""Topic queries: compile once, then evaluate against the word positions found in an article.

The language (reference with examples: docs/query-language.md)::

    summit                 whole word, any case/accents, English inflection (summits, ...)
    "summit"               exact word (case/accents still folded, no inflection)
    "Kim Jong Un"          phrase: consecutive words, each exact; "export control*" works
    sanction*              prefix
    a b  /  a AND b        both;   a OR b  /  a | b   either;   NOT a  /  -a   not
    Putin NEAR/8 Kim       at most 8 words between them, either order (NEAR alone = NEAR/10)
    title:summit           only in the title;  title:(a OR b)
    case:UN                that letter case only (UN, not the article "un"); case:(UN OR EU)
    @leaders               a named term list from config (`lists:`), as an OR of its items

Evaluation never scans the text: `bot.match.matcher.Matcher` finds every atom of every topic in one
Aho-Corasick pass and hands each query the positions, so a query costs time proportional to
the hits, never to the text length times the number of terms (`bot.match.evaluate`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.errors import QueryError
from bot.match.evaluate import Span, atoms_of, compile_node, requirements
from bot.match.grammar import EXACT, STEM, And, Atom, Near, Node, Not, Or, Parser, Term
from bot.match.words import stem
from bot.text import FUNCTION_WORDS

__all__ = ["Query", "Span", "compile_query", "cues_of", "refusals_of", "terms_query"]

# What a one-word term of a query is when it is an English function word (bot.text), by
# either form an atom takes: the folded word, or its stem.
_FUNCTION_ATOMS = FUNCTION_WORDS | {stem(w) for w in FUNCTION_WORDS}

Hits = Mapping[Atom, Sequence[int]]  # atom -> ascending word positions where it occurs


@dataclass(frozen=True, eq=False)
class Query:
    """A compiled query. `source` is what the user wrote (or what `terms_query` produced)."""

    source: str
    root: Node
    key: str = "query"
    atoms: frozenset[Atom] = field(default=frozenset())
    # Atom sets, one of which must occur in full for the query to be true (`requirements`;
    # for a query that leaves it open, each atom outside any NOT on its own: the query is
    # false on an empty article and negated hits only make it "more false"). The Matcher
    # evaluates a topic only once one set is complete.
    requires: tuple[frozenset[Atom], ...] = ()

    def evaluate(self, hits: Hits, title_words: int = 0) -> list[Span] | None:
        """None when the query does not match; otherwise the spans that made it match.

        Positions below `title_words` are the title's; `title:` terms look only there.
        """
        ids = {a: i for i, a in enumerate(self.atoms)}
        found = {ids[a]: ps for a, ps in hits.items() if a in ids and ps}
        return compile_node(self.root, ids)(found, list(found), title_words)


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
    atoms = frozenset(atoms_of(root))
    if compile_node(root, {a: i for i, a in enumerate(atoms)})({}, (), 0) is not None:
        # e.g. `NOT sport` or `a OR -b`: it would post nearly every article in every feed.
        raise QueryError("the query matches articles that contain none of its terms "
                         "(it needs a term that is not negated)", key=key, column=1)
    requires = requirements(root) or [frozenset([a]) for a in atoms_of(root, True) or atoms]
    return Query(source, root, key, atoms, tuple(dict.fromkeys(requires)))


def cues_of(query: Query) -> Query:
    """A query true when any word or whole phrase of `query` occurs outside a NOT: what the
    operator said the topic is about, whether or not the query itself matches. "European
    Council" is one cue, not two: its words alone ("council") say nothing about the topic.
    Nor does a lone function word: `summit NEAR/2 with` is about summits, and "with" is in
    most English news (bot.text.FUNCTION_WORDS; a query of nothing else keeps them)."""
    terms: dict[Term, None] = {}
    grammar: dict[Term, None] = {}

    def walk(node: Node) -> None:
        if isinstance(node, Term):
            (grammar if _function_word(node) else terms).setdefault(node, None)
        elif isinstance(node, And | Or):
            for child in node.children:
                walk(child)
        elif isinstance(node, Near):
            walk(node.left)
            walk(node.right)
        # Not: what it names is what the topic is not about.

    walk(query.root)
    cues = tuple(terms or grammar)
    root: Node = Or(cues) if len(cues) > 1 else cues[0]
    return _derived(f"cues of {query.key}", root, query.key)


def _function_word(term: Term) -> bool:
    """A one-word term that is an English function word, by its folded form or its stem
    (a `case:` or prefix term is the operator's own spelling: never)."""
    if len(term.atoms) != 1:
        return False
    kind, value = term.atoms[0]
    return kind in (STEM, EXACT) and value in _FUNCTION_ATOMS


def refusals_of(query: Query) -> Query | None:
    """The query with every NOT left out (None where it has none). An article this matches
    and `query` does not was refused by a NOT: the operator said the topic is not about it,
    and that stays final for the meaning as well (bot.match.matcher)."""
    def keep(node: Node) -> Node | None:
        if isinstance(node, Not):
            return None
        if isinstance(node, And | Or):
            kids = [k for k in map(keep, node.children) if k is not None]
            return None if not kids else kids[0] if len(kids) == 1 else type(node)(tuple(kids))
        return node             # a word, a phrase or a NEAR (which never holds a NOT)

    root = keep(query.root)
    if root is None or root == query.root:
        return None
    return _derived(f"refusals of {query.key}", root, query.key)


def _derived(source: str, root: Node, key: str) -> Query:
    """A query the Matcher builds from a topic's own (no NOT in it, so every atom counts)."""
    atoms = frozenset(atoms_of(root))
    return Query(source, root, key, atoms,
                 tuple(dict.fromkeys(requirements(root) or [frozenset([a]) for a in atoms])))


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
