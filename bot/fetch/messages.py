"""What fetching tells the operator: error messages that say what to do, URLs made safe
for logs, the Retry-After header read (RFC 9110 §10.2.3), a response's status turned into
the error it means. Pure: no network here."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from bot.errors import FeedGone, FetchTimeout, HTTPStatusError

if TYPE_CHECKING:
    from bot.fetch.types import FetchLimits

__all__ = ["check_status", "connect_timeout_message", "connection_message", "deadline_error",
           "human", "location", "parse_retry_after", "read_timeout_message", "redact",
           "stalled_message", "tls_message", "too_large"]


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Retry-After as seconds from now: delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:     # RFC 9110 §5.6.7: HTTP-dates are GMT
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def redact(url: str) -> str:
    """The URL without userinfo and query values, for logs: they may carry tokens."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    try:
        port = str(parts.port or "")
    except ValueError:      # not a number: shown as it came, it holds no secret
        port = parts.netloc.rpartition(":")[2]
    if port:
        netloc += f":{port}"
    query = "&".join(p.split("=", 1)[0] + "=…" for p in parts.query.split("&") if p)
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def deadline_error(url: str, limits: FetchLimits) -> FetchTimeout:
    return FetchTimeout(url, f"not complete within {limits.total_timeout:g} s (server too slow "
                             "or drip-feeding); raise polling.total_timeout if the feed is "
                             "legitimately slow")


def human(n: int) -> str:
    mib = n / (1024 * 1024)
    return f"{mib:g} MB" if mib >= 1 else f"{n:,} bytes"


def too_large(limits: FetchLimits, what: str) -> str:
    return (f"response exceeded {human(limits.max_bytes)} cap ({what}); "
            "raise polling.max_bytes or check the URL")


def connect_timeout_message(seconds: float) -> str:
    return (f"connect timed out after {seconds:g} s; the host is unreachable or slow, check "
            "the URL or raise polling.connect_timeout")


def read_timeout_message(seconds: float) -> str:
    return (f"no response within {seconds:g} s; the server is slow, raise "
            "polling.read_timeout if it is always like this")


def stalled_message(seconds: float) -> str:
    return (f"body stalled for {seconds:g} s; the server is slow, raise "
            "polling.read_timeout")


def tls_message(exc: Exception) -> str:
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate" in text.lower():
        m = re.search(r"certificate verify failed: ([^(]+)", text)
        reason = m.group(1).strip() if m else text
        return (f"TLS certificate invalid: {reason}; the site's certificate is "
                "expired, self-signed or for another host, tell the site owner "
                "(newsbot never skips verification)")
    return f"TLS handshake failed: {text}; check the URL's scheme and the server"


def connection_message(url: str, exc: Exception) -> str:
    text = str(exc)
    host = urlsplit(url).netloc
    low = text.lower()
    if "name or service not known" in low or "failed to resolve" in low or "nodename" in low \
            or "getaddrinfo" in low or "temporary failure in name resolution" in low:
        return f"DNS lookup failed for {host}; check the hostname in the URL"
    if "refused" in low:
        return f"connection refused by {host}; the server is down or the port is wrong"
    return f"connection failed to {host} ({text}); check the URL and the network"


def location(value: str) -> str:
    """http.client reads header bytes as Latin-1; a Location sent as raw UTF-8 (common, if
    not per RFC 9110 §10.2.2) is turned back into the text meant, as requests did."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def check_status(url: str, status: int, headers: Mapping[str, str]) -> None:
    """A 2xx passes; any other status raises the error it means for the operator."""
    if 200 <= status < 300:
        return
    retry_after = parse_retry_after(headers.get("retry-after"))
    if status == 410:
        raise FeedGone(url, status, "410 Gone: the publisher removed this feed; polling stops, "
                                    "remove it from the config or find its new URL")
    if status in (429, 503):
        wait = f"retry after {retry_after:g} s" if retry_after is not None else "back off"
        raise HTTPStatusError(url, status, f"HTTP {status} (server busy or rate-limiting us); "
                                           f"{wait}, or poll this feed less often",
                              retry_after=retry_after)
    if status in (401, 403):
        hint = "the feed needs credentials or blocks our User-Agent; check access"
    elif status == 404:
        hint = "not found; check the URL or look for the feed's new address"
    elif status >= 500:
        hint = "server error; it will be retried with backoff"
    else:
        hint = "unexpected status; check the URL"
    raise HTTPStatusError(url, status, f"HTTP {status}: {hint}", retry_after=retry_after)
