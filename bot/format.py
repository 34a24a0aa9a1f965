"""Telegram HTML for posts and digests: the one place text is escaped and sized. Pure.

Telegram accepts only a few tags (b, i, a[href], code, ...) and the entities &lt; &gt; &amp;
&quot; (plus numeric ones); everything else from a feed is text and is escaped here. A message
may hold 4096 UTF-16 code units *after* entity parsing, i.e. of the visible text: that is what
`visible_len` counts (tags dropped, entities decoded), so hrefs do not eat into the budget.
Truncation works on plain text before escaping, so it can never split a tag or an entity, and
Python strings hold code points, so it can never split a surrogate pair.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from bot.article_key import without_tracking
from bot.summarize import shorten

__all__ = ["hashtag", "render_digest", "render_post", "safe_url", "utf16_len", "visible_len"]

_TAG = re.compile(r"<[^>]*>")
_SEP = " · "
_MAX_DIGEST_TITLE = 200
_MIN_TITLE = 32  # UTF-16 units of title kept before "Also", hashtags and time are dropped


def utf16_len(s: str) -> int:
    """Length in UTF-16 code units, Telegram's unit (an emoji outside the BMP counts 2)."""
    return len(s.encode("utf-16-le")) // 2


def visible_len(message: str) -> int:
    """UTF-16 length of `message` as Telegram counts it: after parsing tags and entities."""
    return utf16_len(html.unescape(_TAG.sub("", message)))


def _text(s: str) -> str:
    return html.escape(s, quote=False)


def safe_url(url: str | None) -> str | None:
    """`url` if it is an absolute http(s) URL without whitespace or controls, else None.

    Anything else (javascript:, data:, relative, mangled) is not linked at all.
    """
    if not url:
        return None
    url = url.strip()
    if any(c.isspace() or unicodedata.category(c) == "Cc" for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def _link(label: str, url: str | None) -> str:
    href = safe_url(url)
    if href is None:
        return _text(label)
    return f'<a href="{html.escape(without_tracking(href), quote=True)}">{_text(label)}</a>'


def hashtag(topic: str) -> str:
    """"#" + `topic` reduced to letters, digits and "_" (Telegram ends a hashtag elsewhere)."""
    body = "".join(c if c.isalnum() or c == "_" else "_" for c in topic.strip())
    body = re.sub(r"_+", "_", body).strip("_")
    return f"#{body}" if body else ""


def _fold(s: str) -> tuple[str, list[int]]:
    """Case- and accent-folded `s`, with each folded char's index in `s`."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(s):
        for f in unicodedata.normalize("NFKD", ch).casefold():
            if not unicodedata.combining(f):
                out.append(f)
                index.append(i)
    return "".join(out), index


def _bold_terms(text: str, terms: Sequence[str]) -> str:
    """Escaped `text` with whole-word, case- and accent-insensitive `terms` in <b>."""
    folded, index = _fold(text)
    spans: list[tuple[int, int]] = []
    for term in terms:
        key = _fold(term.strip())[0]
        if not key:
            continue
        for m in re.finditer(rf"(?<!\w){re.escape(key)}(?!\w)", folded):
            spans.append((index[m.start()], index[m.end() - 1] + 1))
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, pos = [], 0
    for start, end in merged:
        out.append(_text(text[pos:start]) + "<b>" + _text(text[start:end]) + "</b>")
        pos = end
    out.append(_text(text[pos:]))
    return "".join(out)


def _when(published: datetime | None, now: datetime | None) -> str:
    if published is None:
        return ""
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)  # models promise UTC; be lenient
    published = published.astimezone(UTC)
    if now is not None and now.astimezone(UTC).year == published.year:
        return published.strftime("%d %b %H:%M UTC").lstrip("0")
    return published.strftime("%d %b %Y %H:%M UTC").lstrip("0")


def _shrink(text: str, over: int) -> str:
    """`text` shortened by at least `over` UTF-16 units (word boundary, "…"); may become ""."""
    target = utf16_len(text) - over
    if target <= 1:
        return ""
    cut = shorten(text, target)
    while cut and utf16_len(cut) > target:  # astral characters count 2 units each
        cut = shorten(cut, len(cut) - 1)
    return cut


def render_post(*, title: str, source: str, link: str | None, summary: str,
                published: datetime | None, topics: Sequence[str], terms: Sequence[str] = (),
                also: Sequence[tuple[str, str]] = (), now: datetime | None = None,
                max_len: int = 4096) -> str:
    """One story as Telegram HTML, at most `max_len` UTF-16 units of visible text.

    Layout: bold title / "source · time" / summary (matched terms bold) / "Read more" link /
    "Also: A · B" / hashtags. Over the limit, the summary is shortened first (to nothing if
    need be), then the title down to _MIN_TITLE units; only for tiny limits are "Also",
    hashtags and time dropped, then the title and the source shortened further.
    """
    title, source, summary = (" ".join(s.split()) for s in (title, source, summary))
    tags = list(dict.fromkeys(t for t in map(hashtag, topics) if t))
    also_list = list(also)
    when = _when(published, now)

    def build() -> str:
        blocks = []
        if title:
            blocks.append(f"<b>{_text(title)}</b>")
        meta = _SEP.join(_text(p) for p in (source, when) if p)
        if meta:
            blocks[-1:] = ["\n".join([*blocks[-1:], meta])]
        if summary:
            blocks.append(_bold_terms(summary, terms))
        tail = []
        if safe_url(link):
            tail.append(_link("Read more", link))
        if also_list:
            tail.append("Also: " + _SEP.join(_link(name, url) for name, url in also_list))
        if tags:
            tail.append(" ".join(tags))
        if tail:
            blocks.append("\n".join(tail))
        return "\n\n".join(blocks)

    message = build()
    # Each step removes at least the overflow from one field, so a few passes suffice.
    for _ in range(8):
        over = visible_len(message) - max_len
        if over <= 0:
            return message
        title_room = utf16_len(title) - _MIN_TITLE
        if summary:
            summary = _shrink(summary, over)
        elif title_room > 0:
            title = _shrink(title, min(over, title_room))
        elif also_list or tags or when:
            also_list, tags, when = [], [], ""
        elif title:
            title = _shrink(title, over)
        else:
            source = _shrink(source, over)
        message = build()
    return message if visible_len(message) <= max_len else ""


def render_digest(*, topic: str, items: Sequence[tuple[str, str | None]],
                  max_len: int = 4096) -> str:
    """"N more stories on #topic:" and one linked title per line, within `max_len`.

    Items that do not fit are replaced by a final "… and N more".
    """
    tag = hashtag(topic) or _text(topic)
    noun = "story" if len(items) == 1 else "stories"
    lines = [f"{len(items)} more {noun} on {tag}:"]
    for i, (title, url) in enumerate(items):
        label = shorten(" ".join(title.split()) or "(untitled)", _MAX_DIGEST_TITLE)
        line = "• " + _link(label, url)
        # Room for the "… and N more" line that a later item may need.
        reserve = f"\n… and {len(items) - i} more" if i < len(items) - 1 else ""
        if visible_len("\n".join([*lines, line]) + reserve) > max_len:
            lines.append(f"… and {len(items) - i} more")
            break
        lines.append(line)
    message = "\n".join(lines)
    while visible_len(message) > max_len and len(lines) > 1:  # tiny max_len: keep what fits
        lines.pop()
        message = "\n".join(lines)
    return message if visible_len(message) <= max_len else ""
