"""What fetching tells the operator: error messages that say what to do, URLs made safe
for logs, and the Retry-After header read (RFC 9110 §10.2.3). Pure: no network here."""

from __future__ import annotations

import re
import time
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from bot.errors import FetchTimeout

if TYPE_CHECKING:
    from bot.fetch import FetchLimits

__all__ = ["connection_message", "deadline_error", "parse_retry_after", "redact",
           "tls_message"]


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
