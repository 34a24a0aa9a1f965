"""One story as a Telegram HTML post, within Telegram's length limit. Pure.

Truncation works on plain text before escaping, so it can never split a tag or an entity, and
Python strings hold code points, so it can never split a surrogate pair.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from bot.format.markup import (
    MAX_MESSAGE,
    SEP,
    anchor,
    escape_text,
    hashtag,
    safe_url,
    utf16_len,
    visible_len,
)
from bot.summarize import shorten
from bot.text import fold, fold_indexed

__all__ = ["render_post"]

MAX_BOLD = 3     # terms bolded in a summary: the few that made it match
_MIN_TITLE = 32  # UTF-16 units of title kept before "Also", hashtags and time are dropped


def _bold_terms(text: str, terms: Sequence[str]) -> str:
    """Escaped `text` with the few terms that made it match in <b>: whole-word, case- and
    accent-insensitive, the first occurrence of at most `MAX_BOLD` terms. Phrases come
    first (a reader sees why at once), then rarer words: longer ones (word length is the
    rarity we know without corpus counts: Zipf), then those fewer times in this text.
    Terms next to each other ("US Treasury") make one bold run. Bolding every occurrence
    of every term made summaries read as noise (issue #19)."""
    folded, index = fold_indexed(text)
    found: list[tuple[str, list[tuple[int, int]]]] = []
    for key in dict.fromkeys(fold(term.strip()) for term in terms):
        spans = [(index[m.start()], index[m.end() - 1] + 1) for m in
                 re.finditer(rf"(?<!\w){re.escape(key)}(?!\w)", folded)] if key else []
        if spans:
            found.append((key, spans))
    found.sort(key=lambda f: (-len(f[0].split()), -len(f[0]), len(f[1])))
    chosen: list[tuple[int, int]] = []
    for _, spans in found:
        # Its first occurrence outside what is bold already ("Putin" in "Vladimir Putin").
        span = next((s for s in spans if all(s[1] <= a or s[0] >= b for a, b in chosen)),
                    None)
        if span is not None:
            chosen.append(span)
        if len(chosen) == MAX_BOLD:
            break
    merged: list[list[int]] = []
    for start, end in sorted(chosen):
        if merged and not text[merged[-1][1]:start].strip():
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, pos = [], 0
    for start, end in merged:
        out.append(escape_text(text[pos:start]) + "<b>" + escape_text(text[start:end])
                   + "</b>")
        pos = end
    out.append(escape_text(text[pos:]))
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
                meaning: Mapping[str, float] | None = None, max_len: int = MAX_MESSAGE) -> str:
    """One story as Telegram HTML, at most `max_len` UTF-16 units of visible text.

    Layout: bold title / "source · time" / summary (matched terms bold) / "Read more" link /
    "Also: A · B" / hashtags, a topic matched by its meaning alone (`meaning`: topic ->
    score) followed by "(meaning 0.82)": why it matched, when no term says it. Over the
    limit, the summary is shortened first (to nothing if need be), then the title down to
    _MIN_TITLE units; only for tiny limits are "Also", hashtags and time dropped, then the
    title and the source shortened further.
    """
    title, source, summary = (" ".join(s.split()) for s in (title, source, summary))
    scores = meaning or {}
    tags = list(dict.fromkeys(
        tag + (f" (meaning {scores[t]:.2f})" if t in scores else "")
        for t in topics if (tag := hashtag(t))))
    also_list = list(also)
    when = _when(published, now)

    def build() -> str:
        blocks = []
        if title:
            blocks.append(f"<b>{escape_text(title)}</b>")
        meta = SEP.join(escape_text(p) for p in (source, when) if p)
        if meta:
            blocks[-1:] = ["\n".join([*blocks[-1:], meta])]
        if summary:
            blocks.append(_bold_terms(summary, terms))
        tail = []
        if safe_url(link):
            tail.append(anchor("Read more", link))
        if also_list:
            tail.append("Also: " + SEP.join(anchor(name, url) for name, url in also_list))
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
