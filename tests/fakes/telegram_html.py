"""Telegram's HTML parse mode, as the Bot API server parses it, for the stand-in.

Follows https://core.telegram.org/bots/api#html-style and the parser the Bot API server runs
(tdlib's ``parse_html``): the same tag set, the same order of checks and the same descriptions
("Unsupported start tag "p" at byte offset 0", "Can't find end tag corresponding to start tag
"b"", ...). Offsets in descriptions are UTF-8 byte offsets; entity offsets/lengths are UTF-16
code units, as in https://core.telegram.org/bots/api#messageentity.

One deliberate difference: the docs say every ``&`` not starting an entity must be escaped and
only ``&lt; &gt; &amp; &quot;`` and numeric entities exist, but the real server shows a bare ``&``
or ``&nbsp;`` literally. A stand-in that accepts them would hide exactly the escaping bug we
want tests to catch, so by default they are refused (``strict_ampersand=False`` for the real
server's leniency).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# tag -> MessageEntity type (https://core.telegram.org/bots/api#formatting-options)
TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "span": "spoiler", "tg-spoiler": "spoiler", "a": "text_link",
    "tg-emoji": "custom_emoji", "code": "code", "pre": "pre", "blockquote": "blockquote",
}
_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityParseError(ValueError):
    """The text was refused; ``str()`` is the part after "Bad Request: can't parse entities: "."""


@dataclass
class _Open:
    name: str
    start: int                     # UTF-16 offset in the output text
    attrs: dict[str, str]


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (https://core.telegram.org/api/entities#entity-length)."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(html: str, index: int) -> int:
    return len(html[:index].encode("utf-8"))


def _decode_entity(html: str, i: int) -> tuple[str, int] | None:
    m = _ENTITY.match(html, i)
    if not m:
        return None
    if m.group(1):
        return _NAMED[m.group(1)], m.end()
    code = int(m.group(2)) if m.group(2) else int(m.group(3), 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), m.end()


def _unescape(html: str, start: int, end: int, strict: bool) -> str:
    out, i = [], start
    while i < end:
        if html[i] == "&":
            got = _decode_entity(html, i)
            if got is not None:
                out.append(got[0])
                i = got[1]
                continue
            if strict:
                word = re.match(r"&[A-Za-z0-9#]+;", html[i:end])
                shown = word.group(0) if word else "&"
                raise EntityParseError(
                    f'Unsupported HTML entity "{shown}" at byte offset {_byte_offset(html, i)}; '
                    'escape "&" as "&amp;"')
        out.append(html[i])
        i += 1
    return "".join(out)


def _parse_attrs(html: str, i: int, tag: str, begin: int) -> tuple[dict[str, str], int]:
    """Attributes of a start tag from just after its name; returns them and the index after '>'."""
    n, attrs = len(html), {}
    unclosed = EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(html, begin)}")
    while True:
        while i < n and html[i].isspace():
            i += 1
        if i >= n:
            raise unclosed
        if html[i] == ">":
            return attrs, i + 1
        j = i
        while j < n and not html[j].isspace() and html[j] not in "=>":
            j += 1
        name = html[i:j].lower()
        if not name:
            raise EntityParseError(f'Empty attribute name in the tag "{tag}" at byte offset '
                                   f"{_byte_offset(html, begin)}")
        i = j
        while i < n and html[i].isspace():
            i += 1
        if i >= n:
            raise unclosed
        if html[i] != "=":              # a bare attribute, e.g. <blockquote expandable>
            attrs[name] = ""
            continue
        i += 1
        while i < n and html[i].isspace():
            i += 1
        if i >= n:
            raise unclosed
        if html[i] in "'\"":
            close = html.find(html[i], i + 1)
            if close < 0:
                raise unclosed
            attrs[name] = _unescape(html, i + 1, close, strict=False)
            i = close + 1
        else:
            j = i
            while j < n and not html[j].isspace() and html[j] != ">":
                j += 1
            attrs[name] = _unescape(html, i, j, strict=False)
            i = j


def _entity(tag: _Open, end: int) -> dict[str, Any] | None:
    kind = TAGS[tag.name]
    entity: dict[str, Any] = {"type": kind, "offset": tag.start, "length": end - tag.start}
    if kind == "text_link":
        if not tag.attrs.get("href"):
            return None             # <a> without href is plain text on the real server
        entity["url"] = tag.attrs["href"]
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = tag.attrs.get("emoji-id", "")
    elif kind == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    elif kind in ("pre", "code"):
        lang = tag.attrs.get("class", "")
        if lang.startswith("language-"):
            entity["language"] = lang.removeprefix("language-")
    return entity


def parse_html(html: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and MessageEntity dicts for ``html``, or EntityParseError."""
    out: list[str] = []
    pos16 = 0                         # UTF-16 length of "".join(out)
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    n, i = len(html), 0
    while i < n:
        if html[i] != "<":
            j = html.find("<", i)
            j = n if j < 0 else j
            chunk = _unescape(html, i, j, strict_ampersand)
            out.append(chunk)
            pos16 += utf16_len(chunk)
            i = j
            continue
        begin = i
        i += 1
        if i >= n or html[i] != "/":                       # start tag
            j = i
            while j < n and not html[j].isspace() and html[j] != ">":
                j += 1
            if j >= n:
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(html, begin)}")
            name = html[i:j].lower()
            if name not in TAGS:
                raise EntityParseError(f'Unsupported start tag "{name}" at byte offset '
                                       f"{_byte_offset(html, begin)}")
            attrs, i = _parse_attrs(html, j, name, begin)
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise EntityParseError('Tag "span" must have class "tg-spoiler" at byte offset '
                                       f"{_byte_offset(html, begin)}")
            stack.append(_Open(name, pos16, attrs))
            continue
        if not stack:                                        # end tag
            raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(html, begin)}")
        j = i + 1
        while j < n and not html[j].isspace() and html[j] != ">":
            j += 1
        end_name = html[i + 1:j].lower()
        while j < n and html[j].isspace():
            j += 1
        if j >= n or html[j] != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(html, begin)}")
        top = stack.pop()
        if end_name and end_name != top.name:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {_byte_offset(html, begin)}, "
                f'expected "</{top.name}>", found "</{end_name}>"')
        i = j + 1
        if pos16 > top.start and (entity := _entity(top, pos16)) is not None:
            if top.name == "pre" and entities and entities[-1]["type"] == "code" \
                    and (entities[-1]["offset"], entities[-1]["length"]) == (top.start,
                                                                             entity["length"]):
                # <pre><code class="language-x"> is one pre entity with a language
                code = entities.pop()
                if "language" in code:
                    entity["language"] = code["language"]
            entities.append(entity)
    if stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return _trim("".join(out), entities)


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """The server strips leading/trailing whitespace from message text; entities follow."""
    lead = utf16_len(text[:len(text) - len(text.lstrip())])
    text = text.strip()
    size, kept = utf16_len(text), []
    for e in entities:
        start = max(e["offset"] - lead, 0)
        end = min(e["offset"] + e["length"] - lead, size)
        if end > start:
            kept.append({**e, "offset": start, "length": end - start})
    return text, kept
