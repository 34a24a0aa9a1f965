"""The one URL canonicaliser and its one list of tracking parameters, and the one check
that a URL from a feed is a web link we may show (`safe_url`). Pure.

`canonical_url` is a story's URL identity (dedupe: the same article under two spellings);
`without_tracking` is what a post links to. Both drop exactly the parameters `TRACKING`
names: campaign tags (utm_*), click ids (fbclid, gclid, ...), share and referrer markers.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["TRACKING", "canonical_url", "is_tracking", "safe_url", "without_tracking"]

TRACKING = re.compile(
    r"^(?:utm_\w*|fbclid|gclid|dclid|msclkid|yclid|mc_cid|mc_eid|ref|ref_src|ref_url|referrer"
    r"|cmpid|ocid|icid|ncid|cid|sr_share|smid|smtyp|share|s_cid|at_medium|at_campaign"
    r"|__twitter_impression|igshid|_ga|_gl|spm|outputtype|amp)$",
    re.IGNORECASE,
)
_DEFAULT_PORT = {"http": 80, "https": 443}


def is_tracking(name: str) -> bool:
    """Is the query parameter `name` a tracking parameter (`TRACKING`)?"""
    return TRACKING.match(name) is not None


def canonical_url(url: str) -> str:
    """One spelling per article URL: tracking, AMP, `www.`, ports and fragments removed."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    host = host.removeprefix("www.").removeprefix("amp.")
    if port is not None and port != _DEFAULT_PORT.get(scheme):
        host = f"{host}:{port}"
    path = re.sub(r"/+", "/", parts.path or "/")
    path = re.sub(r"(?:/amp|\.amp(?=\.html?$)|/amp\.html)/?$", "", path) or "/"
    path = path.rstrip("/") or "/"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not is_tracking(k))
    return urlunsplit((scheme, host, path if path != "/" else "", urlencode(query), ""))


def without_tracking(url: str) -> str:
    """`url` without its tracking parameters: what a post links to. The other parameters
    keep their order and encoding; a URL without any is returned as is."""
    head, hash_, fragment = url.partition("#")
    base, sep, query = head.partition("?")
    if not sep:
        return url
    kept = [p for p in query.split("&") if p and not is_tracking(p.partition("=")[0])]
    return base + ("?" + "&".join(kept) if kept else "") + hash_ + fragment


def safe_url(url: str | None, max_len: int | None = None) -> str | None:
    """`url` if it is an absolute http(s) URL without whitespace or controls (and at most
    `max_len` characters), else None.

    Anything else (javascript:, data:, relative, mangled) is not linked or shown at all.
    """
    if not url:
        return None
    url = url.strip()
    if max_len is not None and len(url) > max_len:
        return None
    if any(c.isspace() or unicodedata.category(c) == "Cc" for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url
