"""Fetch feed bytes safely: conditional GET, size cap, deadlines, manual redirects.

The network goes through `bot.http_client` (urllib3 pools, proxies, CA bundle, its errors
mapped to ours); this module owns the protocol. Every outcome is a `Fetched`, a
`NotModified` or a `FetchError` subclass whose message names the URL and says what
the operator can do. Nothing here parses XML: see `bot.parse`.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from bot import __version__
from bot.errors import FeedGone, FetchError, FetchTimeout, HTTPStatusError, NetworkError, TooLarge
from bot.fetch_local import fetch_file, is_local, too_large
from bot.fetch_messages import deadline_error, parse_retry_after, redact
from bot.http_client import ACCEPT_ENCODING, HttpClient, Response
from bot.models import Fetched, NotModified

log = logging.getLogger(__name__)

# urllib3 logs every new connection at DEBUG and pool overflow at WARNING; URLs may
# carry tokens. Quiet it unless the operator configured it explicitly.
_urllib3_log = logging.getLogger("urllib3")
if _urllib3_log.level == logging.NOTSET:
    _urllib3_log.setLevel(logging.WARNING)

USER_AGENT = f"newsbot/{__version__} (+https://github.com/newsbot)"
FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
               "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5")
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_CHUNK = 64 * 1024
_PERMANENT = (301, 308)         # RFC 9110 §15.4.2 / §15.4.9: update the stored URL
_REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class FetchLimits:
    connect_timeout: float = 10
    read_timeout: float = 30        # per socket read
    total_timeout: float = 60       # wall-clock deadline for the whole fetch: defeats drip-feeding
    max_bytes: int = 10 * 1024 * 1024   # applies to the wire bytes and to the decoded body
    max_redirects: int = 5
    user_agent: str = USER_AGENT


def make_session(pool_size: int = 10) -> HttpClient:
    """A client whose pools hold `pool_size` connections per host (one per polling worker).

    No automatic retries: the scheduler owns retry policy and backoff.
    """
    return HttpClient(pool_size=pool_size)


_default_session: HttpClient | None = None
_default_lock = threading.Lock()


def _shared_session() -> HttpClient:
    global _default_session
    with _default_lock:
        if _default_session is None:
            _default_session = make_session()
        return _default_session


def fetch(url: str, *, etag: str | None = None, last_modified: str | None = None,
          body_hash: str | None = None, limits: FetchLimits = FetchLimits(),
          session: HttpClient | None = None) -> Fetched | NotModified:
    """GET a feed with conditional headers (RFC 9110 §13.1) and every safety limit.

    - 304 → `NotModified`. A server that ignores If-None-Match/If-Modified-Since but
      returns a body whose sha256 equals `body_hash` also gives `NotModified`, so the
      caller skips parsing an unchanged feed.
    - The body is read in pieces; `limits.max_bytes` caps both the wire bytes and the
      gzip/deflate-decoded bytes while streaming (a gzip bomb stops at the cap) → `TooLarge`.
    - Connect/read timeouts and the `total_timeout` wall-clock deadline → `FetchTimeout`.
    - Redirects are followed by hand up to `max_redirects`; a loop → `NetworkError`. A
      leading run of 301/308 sets `Fetched.moved_to` (302/303/307 are temporary).
    - 410 → `FeedGone`; other 4xx/5xx → `HTTPStatusError` with `retry_after` in seconds.
    - Local paths and file:// URLs are read with the same cap; the file's mtime serves as
      Last-Modified, so an unchanged file gives `NotModified`.
    """
    if is_local(url):
        return fetch_file(url, last_modified=last_modified, body_hash=body_hash, limits=limits)
    headers = {"Accept": FEED_ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    result = _get(url, headers, limits, session, conditional=bool(etag or last_modified))
    if isinstance(result, Fetched) and body_hash and result.body_hash == body_hash:
        return NotModified(url=result.url, headers=result.headers)
    return result


def fetch_page(url: str, *, limits: FetchLimits = FetchLimits(),
               session: HttpClient | None = None) -> Fetched:
    """GET an article page (HTML) with the same limits as `fetch`, no conditional headers."""
    if is_local(url):
        result = fetch_file(url, last_modified=None, body_hash=None, limits=limits)
    else:
        result = _get(url, {"Accept": PAGE_ACCEPT}, limits, session, conditional=False)
    assert isinstance(result, Fetched)  # no validators sent, so no 304 is accepted
    return result


def _get(url: str, headers: dict[str, str], limits: FetchLimits,
         session: HttpClient | None, *, conditional: bool) -> Fetched | NotModified:
    session = session or _shared_session()
    headers = {**headers, "User-Agent": limits.user_agent, "Accept-Encoding": ACCEPT_ENCODING}
    deadline = time.monotonic() + limits.total_timeout
    current, seen, moved_to, permanent_run = url, [url], None, True
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise deadline_error(url, limits)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("GET %s", redact(current))
        resp = session.get(url, current, headers, connect=min(limits.connect_timeout, remaining),
                           read=min(limits.read_timeout, remaining))
        complete = False        # the whole response was read: the connection can be reused
        try:
            status = resp.status
            if status in _REDIRECTS and resp.headers.get("Location"):
                target = urljoin(current, _location(resp.headers["Location"]))
                if urlsplit(target).scheme not in ("http", "https"):
                    raise NetworkError(url, f"redirected to a non-HTTP URL {redact(target)}; "
                                            "refusing to follow it, check the feed URL")
                if target in seen:
                    chain = " → ".join(redact(u) for u in [*seen, target])
                    raise NetworkError(url, f"redirect loop ({chain}); the server redirects in "
                                            "a circle, report it to the site or fix the URL")
                if len(seen) > limits.max_redirects:
                    raise NetworkError(url, f"more than {limits.max_redirects} redirects; "
                                            "use the final URL or raise fetch.max_redirects")
                permanent_run = permanent_run and status in _PERMANENT
                if permanent_run:
                    moved_to = target
                seen.append(target)
                current = target
                continue
            hdrs = {k.lower(): v for k, v in resp.headers.itermerged()}
            if status == 304 and conditional:
                complete = True     # RFC 9110 §15.4.5: a 304 has no content
                return NotModified(url=current, headers=hdrs)
            _check_status(url, status, hdrs)
            body = _read_body(url, resp, limits, deadline)
            complete = True
        finally:
            # Keep-alive: a fully read response's connection goes back to the pool; a partly
            # read one (redirect body, cap, deadline, error) is closed first, then released.
            if not complete:
                resp.close()
            resp.release_conn()
        return Fetched(url=current, status=status, body=body, headers=hdrs,
                       etag=hdrs.get("etag"), last_modified=hdrs.get("last-modified"),
                       body_hash=hashlib.sha256(body).hexdigest(), moved_to=moved_to)


def _location(value: str) -> str:
    """http.client reads header bytes as Latin-1; a Location sent as raw UTF-8 (common, if
    not per RFC 9110 §10.2.2) is turned back into the text meant, as requests did."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def _check_status(url: str, status: int, headers: Mapping[str, str]) -> None:
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


def _read_body(url: str, resp: Response, limits: FetchLimits, deadline: float) -> bytes:
    """Read the decoded body piece by piece, enforcing the cap and the wall-clock deadline.

    `read1` returns after one socket read, so a drip-fed body is checked against the
    deadline every few bytes; a watchdog shuts the socket if a single read outlives it.
    urllib3 decodes gzip/deflate(/br) incrementally with a bounded output per call.
    """
    declared = resp.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise TooLarge(url, too_large(limits, f"Content-Length {int(declared):,} bytes"))
    raw: Any = resp
    fired = threading.Event()

    def abort() -> None:
        fired.set()
        sock = getattr(getattr(raw, "connection", None), "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), abort)
    watchdog.daemon = True
    watchdog.start()
    read = getattr(raw, "read1", None) or raw.read
    parts: list[bytes] = []
    size = 0
    try:
        while True:
            chunk = read(_CHUNK, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > limits.max_bytes or raw.tell() > limits.max_bytes:
                raise TooLarge(url, too_large(limits, "body"))
            if time.monotonic() > deadline or fired.is_set():
                raise deadline_error(url, limits)
            parts.append(chunk)
    except (TooLarge, FetchTimeout):
        raise
    except Exception as exc:  # urllib3/http.client errors surface raw here
        if fired.is_set():
            raise deadline_error(url, limits) from exc
        if "timed out" in str(exc).lower():
            raise FetchTimeout(url, f"body stalled for {limits.read_timeout:g} s; the server "
                                    "is slow, raise polling.read_timeout") from exc
        if "decod" in type(exc).__name__.lower() or "decod" in str(exc).lower():
            raise FetchError(url, f"body could not be decoded ({exc}); the server sent broken "
                                  "compressed data, report it to the site") from exc
        raise NetworkError(url, f"connection broken while reading the body ({exc}); "
                                "will retry") from exc
    finally:
        watchdog.cancel()
    if fired.is_set():
        raise deadline_error(url, limits)
    return b"".join(parts)
