"""The topic query language's lexer: query text to a flat token list (`lex`).

Its own module so that the parser (`bot.match.grammar`) only ever sees tokens: everything
that reads the user's text character by character, and the words the language reserves
(`title:`, `case:`, `NEAR/n`, `@list`), is here. The only patterns are fixed ones, never
built from the query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import QueryError

__all__ = ["CASE", "FIELDS", "NEAR_DEFAULT", "NEAR_MAX", "Tok", "lex"]

FIELDS = ("title",)
CASE = "case"           # `case:UN`: the letters' case counts (not a field: it scopes nothing)
NEAR_MAX = 100          # proximity window cap; also keeps title and text apart (see match.py)
NEAR_DEFAULT = 10


@dataclass(frozen=True)
class Tok:
    kind: str           # ( ) PHRASE WORD FIELD LIST OR AND NOT NEAR EOF
    text: str
    col: int            # 1-based
    n: int = 0          # NEAR distance


_STOP = set(' \t\r\n()"|')


def lex(src: str, key: str) -> list[Tok]:
    out: list[Tok] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c.isspace():
            i += 1
        elif c in "()":
            out.append(Tok(c, c, i + 1))
            i += 1
        elif c == "|":
            out.append(Tok("OR", c, i + 1))
            i += 1
        elif c == '"':
            end = src.find('"', i + 1)
            if end < 0:
                raise QueryError("unterminated quote", key=key, column=i + 1)
            out.append(Tok("PHRASE", src[i + 1:end], i + 1))
            i = end + 1
        elif c == "-" and i + 1 < n and src[i + 1] not in ' \t\r\n)|':
            # -word, -"a phrase", -(a OR b): a leading minus negates what follows it
            out.append(Tok("NOT", c, i + 1))
            i += 1
        else:
            j = i
            while j < n and src[j] not in _STOP and src[j] != ":":
                j += 1
            word = src[i:j]
            if c == "@":
                if not re.fullmatch(r"@[\w-]+", word):
                    raise QueryError("expected a list name after '@'", key=key, column=i + 1)
                out.append(Tok("LIST", word[1:], i + 1))
            elif j < n and src[j] == ":":
                if word.lower() not in (*FIELDS, CASE):
                    raise QueryError(f"unknown prefix '{word}:' (known: title:, case:)",
                                     key=key, column=i + 1)
                out.append(Tok("CASE" if word.lower() == CASE else "FIELD", word.lower(),
                               i + 1))
                j += 1
            elif word in ("OR", "AND", "NOT"):
                out.append(Tok(word, word, i + 1))
            elif word == "NEAR" or word.startswith("NEAR/"):
                m = re.fullmatch(r"NEAR(?:/(\d{1,4}))?", word)
                dist = int(m.group(1)) if m and m.group(1) else NEAR_DEFAULT
                if not m or dist > NEAR_MAX:
                    raise QueryError(f"expected NEAR/n with n from 0 to {NEAR_MAX}",
                                     key=key, column=i + 1)
                out.append(Tok("NEAR", word, i + 1, dist))
            else:
                out.append(Tok("WORD", word, i + 1))
            i = j
    out.append(Tok("EOF", "", n + 1))
    return out
