"""DOCTYPE defusing: feed bytes without the internal subset that makes entity bombs. Pure.

feedparser blocks billion laughs and external entities but expands "safe" internal entities
without limit, so a 40 KiB feed can grow into a 100-million-character summary (the
"quadratic blowup"). `bot.parse.feed` runs every body through `strip_doctype` before either parser
sees it.
"""

from __future__ import annotations

import re

__all__ = ["strip_doctype"]

# The prolog is scanned token by token with find()/search() that never re-scan text, so the
# cost is linear in the body whatever it holds (no backtracking regex over the subset).
_PROLOG = re.compile(rb"<(\?|!--|!DOCTYPE|!ENTITY|\w)", re.IGNORECASE)
_DECL = re.compile(rb"[\"'\[\]>]|<!--")
_ELEMENT = re.compile(rb"<\w")
# An entity whose replacement is one character reference cannot amplify (e.g. &nbsp;).
_SAFE_ENTITY = re.compile(rb"<!ENTITY\s+([\w.:-]{1,64})\s+([\"'])(&#(?:\d{1,7}|x[0-9a-fA-F]{1,6});)"
                          rb"\2\s*>")


def strip_doctype(data: bytes) -> bytes:
    """Remove the DOCTYPE's internal subset and any stray <!ENTITY> before the root element.

    Works on ASCII-compatible bytes (`parse` transcodes to UTF-8 first, the way feedparser
    does, so UTF-16/32, EBCDIC or UTF-7 payloads are caught too). Declarations whose value
    is a single character reference (`<!ENTITY nbsp "&#160;">`) are kept: they cannot
    amplify. A DOCTYPE without an internal subset is left as it is (feedparser reads the
    Netscape RSS 0.91 version from it). An unterminated declaration is cut up to the next
    element, where feedparser's own prolog scan stops.
    """
    out: list[bytes] = []
    pos = last = 0
    while (m := _PROLOG.search(data, pos)) is not None:
        kind = m.group(1).upper()
        if kind == b"?" or kind == b"!--":
            end = data.find(b"?>" if kind == b"?" else b"-->", m.end())
            if end < 0:
                break
            pos = end + (2 if kind == b"?" else 3)
            continue
        if kind not in (b"!DOCTYPE", b"!ENTITY"):
            break                                   # the root element: the prolog is over
        end, subset = _declaration(data, m.end())
        if end < 0:                                 # unterminated: cut to the next element
            nxt = _ELEMENT.search(data, m.end())
            end = nxt.start() if nxt else len(data)
            out.append(data[last:m.start()])
        elif kind == b"!ENTITY":
            out.append(data[last:m.start()])
        elif subset is None:
            pos = end
            continue
        else:
            keep = b"".join(b"\n<!ENTITY %s %s%s%s>" % (g[0], g[1], g[2], g[1])
                            for g in _SAFE_ENTITY.findall(data, subset[0], subset[1]))
            head = data[m.start():subset[0] - 1].rstrip()
            out.append(data[last:m.start()] + head + (b" [" + keep + b"\n]>" if keep else b">"))
        pos = last = end
    if not out:
        return data
    out.append(data[last:])
    return b"".join(out)


def _declaration(data: bytes, pos: int) -> tuple[int, tuple[int, int] | None]:
    """End of a <!DOCTYPE/<!ENTITY declaration (quote-, comment- and subset-aware), or -1."""
    subset_start, subset = -1, None
    while (m := _DECL.search(data, pos)) is not None:
        tok = m.group()
        if tok in (b'"', b"'") or tok == b"<!--":
            close = data.find(b"-->" if tok == b"<!--" else tok, m.end())
            if close < 0:
                return -1, None
            pos = close + (3 if tok == b"<!--" else 1)
            continue
        pos = m.end()
        if tok == b"[" and subset_start < 0:
            subset_start = pos
        elif tok == b"]" and subset_start >= 0 and subset is None:
            subset = (subset_start, m.start())
        elif tok == b">" and (subset_start < 0 or subset is not None):
            return pos, subset
    return -1, None
