"""Digest messages: many stories as one Telegram HTML message. Pure.

`render_digest` lists one topic's stories ("12 more stories on #sanctions:"), ending in
"… and N more" when they do not all fit; `fit_digest` packs the oldest waiting stories of
several topics into one message, each story whole with its link.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.format.markup import MAX_MESSAGE, anchor, escape_text, hashtag, visible_len
from bot.summarize import shorten

__all__ = ["fit_digest", "render_digest"]

_MAX_DIGEST_TITLE = 200


def render_digest(*, topic: str, items: Sequence[tuple[str, str | None]],
                  max_len: int = MAX_MESSAGE) -> str:
    """"N more stories on #topic:" and one linked title per line, within `max_len`.

    Items that do not fit are replaced by a final "… and N more".
    """
    tag = hashtag(topic) or escape_text(topic)
    noun = "story" if len(items) == 1 else "stories"
    lines = [f"{len(items)} more {noun} on {tag}:"]
    for i, (title, url) in enumerate(items):
        label = shorten(" ".join(title.split()) or "(untitled)", _MAX_DIGEST_TITLE)
        line = "• " + anchor(label, url)
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


def fit_digest(items: Sequence[tuple[str | None, str, str | None]],
               max_len: int = MAX_MESSAGE) -> tuple[str, int]:
    """One message for the oldest `items` (topic, title, link) that fit whole, one section
    per topic in order of first appearance; returns (text, how many items it holds).

    Never the "… and N more" form: a story that does not fit waits for the next digest
    rather than being mentioned without its link."""
    lo, hi = 0, len(items)              # longest prefix that fits: a binary search
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if visible_len(_render(items[:mid])) <= max_len:
            lo = mid
        else:
            hi = mid - 1
    return (_render(items[:lo]) if lo else ""), lo


def _render(items: Sequence[tuple[str | None, str, str | None]]) -> str:
    sections: dict[str, list[tuple[str, str | None]]] = {}
    for topic, title, link in items:
        sections.setdefault(topic or "news", []).append((title, link))
    return "\n\n".join(render_digest(topic=t, items=rows, max_len=10**9)
                       for t, rows in sections.items())
