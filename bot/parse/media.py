"""An entry's image, from what the feed says about it: Media RSS `media:content` (an image)
and `media:thumbnail` (https://www.rssboard.org/media-rss), and RSS `<enclosure>` or Atom
`link rel="enclosure"` of an image type (RFC 4287 §4.2.7.2). Both parsers give these under
feedparser's names (`media_content`, `media_thumbnail`, `enclosures`), as dicts or objects
with `.get`.

The URL is untrusted input: resolved against the feed URL, then kept only if it is an
http(s) URL without whitespace or controls and at most `MAX_IMAGE_URL` characters
(`bot.text.safe_url`): no javascript:, data: or file: image ever reaches a post.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from bot.text import safe_url

MAX_IMAGE_URL = 2048            # longer is not an image address anyone meant to share
_IMAGE_PATH = re.compile(r"\.(?:jpe?g|png|gif|webp|avif)$", re.IGNORECASE)


def entry_image(entry: Any, base: str) -> str | None:
    """The entry's image URL, or None. A media:content image first (usually the largest),
    then an image enclosure, then a thumbnail."""
    candidates = [
        *(item.get("url") for item in entry.get("media_content") or []
          if _is_image(item, item.get("url"))),
        *(item.get("href") for item in entry.get("enclosures") or []
          if _is_image(item, item.get("href"))),
        *(item.get("url") for item in entry.get("media_thumbnail") or [])]
    for url in candidates:
        if found := image_url(url, base):
            return found
    return None


def image_url(url: Any, base: str) -> str | None:
    """An image URL from a feed or a page, absolute, if it is one we may show."""
    if not isinstance(url, str) or not url.strip() or len(url) > MAX_IMAGE_URL:
        return None
    try:
        absolute = urljoin(base, url.strip())
    except ValueError:
        return None
    return safe_url(absolute, MAX_IMAGE_URL)


def _is_image(item: Any, url: Any) -> bool:
    """An image by its medium or MIME type; with neither given (feedparser-rs says type
    "unknown"), by the file name."""
    medium, kind = str(item.get("medium") or ""), str(item.get("type") or "")
    if medium == "image" or kind.lower().startswith("image/"):
        return True
    if medium or kind not in ("", "unknown"):
        return False
    try:
        return bool(_IMAGE_PATH.search(urlsplit(str(url or "")).path))
    except ValueError:
        return False
