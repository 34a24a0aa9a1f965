"""Topic query language: syntax tree and parser (the lexer is in `bot.match.lexer`,
evaluation in `bot.match.query`).

Query terms become atoms through `bot.match.words`, as articles' words do, so whatever a
query term turns into, the same text in an article turns into the same thing.
The parser is recursive descent over a flat token list: no regex is ever built from user
input, so nothing a user writes can make matching backtrack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.errors import QueryError
from bot.match.lexer import NEAR_MAX, Tok, lex
from bot.match.words import stem, words
from bot.text import strip_accents

# NEAR_MAX is the lexer's; re-exported for the scan (bot.match.keywords) that imports it here.
__all__ = ["CASED", "EXACT", "NEAR_MAX", "PREFIX", "STEM", "And", "Atom", "ListResolver",
           "Near", "Node", "Not", "Or", "Parser", "Term", "positional", "scoped"]

# Atom kinds: one token compared by its English stem, by its exact folded form, by prefix,
# or (`case:`) by its exact form with accents folded but letter case kept.
STEM, EXACT, PREFIX, CASED = "stem", "exact", "prefix", "cased"
Atom = tuple[str, str]

# ---- syntax tree -------------------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    """A word (1 atom) or a phrase (consecutive atoms), optionally scoped to a field."""
    atoms: tuple[Atom, ...]
    field: str | None = None


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class Near:
    left: Node
    right: Node
    distance: int


Node = Term | And | Or | Not | Near


def positional(node: Node) -> bool:
    """Whether the node yields word positions (what NEAR needs on both sides)."""
    if isinstance(node, Term | Near):
        return True
    return isinstance(node, Or) and all(positional(c) for c in node.children)


def scoped(node: Node, field: str) -> Node:
    if isinstance(node, Term):
        return node if node.field else Term(node.atoms, field)
    if isinstance(node, And | Or):
        return type(node)(tuple(scoped(c, field) for c in node.children))
    if isinstance(node, Not):
        return Not(scoped(node.child, field))
    return Near(scoped(node.left, field), scoped(node.right, field), node.distance)


# ---- parser ------------------------------------------------------------------------------

ListResolver = Callable[[str, int], Node | None]
_STARTS = {"(", "PHRASE", "WORD", "FIELD", "CASE", "LIST", "NOT"}


def _describe(t: Tok) -> str:
    return "end of query" if t.kind == "EOF" else repr(t.text)


class Parser:
    """query := or ; or := and (OR and)* ; and := unary ([AND] unary)* ;
    unary := (NOT | -) unary | near ; near := primary (NEAR/n primary)* ;
    primary := ( or ) | field: primary | case: primary | word | word* | "phrase" | @list"""

    def __init__(self, src: str, key: str, resolve: ListResolver) -> None:
        self.key, self.resolve = key, resolve
        self.toks, self.i = lex(src, key), 0
        self.cased: Tok | None = None       # inside `case:`: the token that opened it

    def error(self, message: str, tok: Tok) -> QueryError:
        return QueryError(message, key=self.key, column=tok.col)

    def peek(self) -> Tok:
        return self.toks[self.i]

    def take(self) -> Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def parse(self) -> Node:
        if self.peek().kind == "EOF":
            raise self.error("empty query", self.peek())
        node = self.or_()
        t = self.peek()
        if t.kind != "EOF":
            what = "unmatched ')'" if t.kind == ")" else f"unexpected {_describe(t)}"
            raise self.error(what, t)
        return node

    def or_(self) -> Node:
        kids = [self.and_()]
        while self.peek().kind == "OR":
            self.take()
            kids.append(self.and_())
        return kids[0] if len(kids) == 1 else Or(tuple(kids))

    def and_(self) -> Node:
        kids = [self.unary()]
        while self.peek().kind == "AND" or self.peek().kind in _STARTS:
            if self.peek().kind == "AND":
                self.take()
            kids.append(self.unary())
        return kids[0] if len(kids) == 1 else And(tuple(kids))

    def unary(self) -> Node:
        if self.peek().kind == "NOT":
            self.take()
            return Not(self.unary())
        return self.near()

    def near(self) -> Node:
        left = self.primary()
        while self.peek().kind == "NEAR":
            op = self.take()
            right = self.primary()
            if not (positional(left) and positional(right)):
                raise self.error("NEAR joins words, phrases or OR-groups of them "
                                 "(not AND/NOT)", op)
            left = Near(left, right, op.n)
        return left

    def primary(self) -> Node:
        t = self.take()
        if t.kind == "(":
            node = self.or_()
            if self.peek().kind != ")":
                raise self.error("expected ')'", self.peek())
            self.take()
            return node
        if t.kind == "FIELD":
            return scoped(self.primary(), t.text)
        if t.kind == "CASE":
            outer, self.cased = self.cased, self.cased or t
            try:
                return self.primary()
            finally:
                self.cased = outer
        if t.kind == "LIST":
            if self.cased:
                # A list's items were parsed on their own: write case: on each item instead.
                raise self.error("case: applies to words and phrases, not to a @list "
                                 "(write case: on the list's items)", t)
            listed = self.resolve(t.text, t.col)
            if listed is None:
                raise self.error(f"unknown list '@{t.text}'", t)
            return listed
        if t.kind in ("WORD", "PHRASE"):
            return self.term(t)
        raise self.error(f"expected a word, phrase, @list or '(' but found {_describe(t)}", t)

    def term(self, t: Tok) -> Term:
        kind = STEM if t.kind == "WORD" else EXACT
        chunks = t.text.split() if t.kind == "PHRASE" else [t.text]
        atoms: list[Atom] = []
        for chunk in chunks:
            body = chunk[:-1] if chunk.endswith("*") else chunk
            if "*" in body:
                raise self.error("'*' is only allowed at the end of a word", t)
            found = list(words(body))
            if not found:
                raise self.error(f"no letters or digits in {t.text!r}", t)
            if self.cased:
                if chunk.endswith("*"):
                    raise self.error("case: takes whole words, not a prefix*", t)
                # Compared as written, accents aside: "UN" is the United Nations, "un" the
                # French article; "US" the country, "us" the pronoun.
                atoms += [(CASED, strip_accents(body[s:e])) for _, s, e in found]
                continue
            toks = [w for w, _, _ in found]
            atoms += [(kind, stem(w) if kind == STEM else w) for w in toks]
            if chunk.endswith("*"):
                atoms[-1] = (PREFIX, toks[-1])
        return Term(tuple(atoms))
