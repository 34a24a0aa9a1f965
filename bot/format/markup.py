"""Telegram HTML, the pieces every message shares: escaping, safe links, hashtags and
Telegram's own length count. Pure.

Telegram accepts only a few tags (b, i, a[href], code, ...) and the entities &lt; &gt; &amp;
&quot; (plus numeric ones); everything else from a feed is text and is escaped here. A message
may hold `MAX_MESSAGE` UTF-16 code units *after* entity parsing, i.e. of the visible text:
that is what `visible_len` counts (tags dropped, entities decoded), so hrefs do not eat into
the budget.
"""

from __future__ import annotations

import html
import re

from bot.text import safe_url, without_tracking

__all__ = ["MAX_MESSAGE", "SEP", "anchor", "escape_text", "hashtag", "safe_url", "utf16_len",
           "visible_len"]

# https://core.telegram.org/bots/api#sendmessage: 1-4096 characters after entities parsing.
MAX_MESSAGE = 4096
SEP = " · "
_TAG = re.compile(r"<[^>]*>")


def utf16_len(s: str) -> int:
    """Length in UTF-16 code units, Telegram's unit (an emoji outside the BMP counts 2)."""
    return len(s.encode("utf-16-le")) // 2


def visible_len(message: str) -> int:
    """UTF-16 length of `message` as Telegram counts it: after parsing tags and entities."""
    return utf16_len(html.unescape(_TAG.sub("", message)))


def escape_text(s: str) -> str:
    return html.escape(s, quote=False)


def anchor(label: str, url: str | None) -> str:
    href = safe_url(url)
    if href is None:
        return escape_text(label)
    href = html.escape(without_tracking(href), quote=True)
    return f"<a href=\"{href}\">{escape_text(label)}</a>"


def hashtag(topic: str) -> str:
    """"#" + `topic` reduced to letters, digits and "_" (Telegram ends a hashtag elsewhere)."""
    body = "".join(c if c.isalnum() or c == "_" else "_" for c in topic.strip())
    body = re.sub(r"_+", "_", body).strip("_")
    return f"#{body}" if body else ""
