"""Fetch feed bytes safely: conditional GET, size cap, deadlines, manual redirects.

The only newsbot module that imports requests. Every outcome is a `Fetched`, a
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

import requests
from requests.adapters import HTTPAdapter

from bot import __version__
from bot.errors import FeedGone, FetchError, FetchTimeout, HTTPStatusError, NetworkError, TooLarge
from bot.fetch_local import fetch_file, is_local, too_large
from bot.fetch_messages import (
    connection_message,
    deadline_error,
    parse_retry_after,
    redact,
    tls_message,
)
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


class _Session(requests.Session):
    """A Session that reads the proxy/CA-bundle environment once per host, not per request.

    requests re-scans os.environ twice per request (proxies, then no_proxy): a fifth of
    the CPU of a 304 poll. A running service's environment does not change, so the merged
    settings are kept per scheme, host and stream flag (a few dozen entries).
    """

    def __init__(self) -> None:
        super().__init__()
        self._env: dict[tuple[str, str, bool], Any] = {}

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any,
                                   cert: Any) -> Any:
        if proxies or verify is not None or cert is not None or not self.trust_env:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(str(url))
        key = (parts.scheme, parts.netloc, bool(stream))
        merged = self._env.get(key)
        if merged is None:
            if len(self._env) > 4096:       # hosts come from the config: never many
                self._env.clear()
            merged = self._env[key] = super().merge_environment_settings(
                url, proxies, stream, verify, cert)
        return {**merged, "proxies": dict(merged["proxies"])}


def make_session(pool_size: int = 10) -> requests.Session:
    """A Session whose pool holds `pool_size` connections per host (one per polling worker).

    No automatic retries: the scheduler owns retry policy and backoff.
    """
    session = _Session()
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


_default_session: requests.Session | None = None
_default_lock = threading.Lock()


def _shared_session() -> requests.Session:
    global _default_session
    with _default_lock:
        if _default_session is None:
            _default_session = make_session()
        return _default_session


def fetch(url: str, *, etag: str | None = None, last_modified: str | None = None,
          body_hash: str | None = None, limits: FetchLimits = FetchLimits(),
          session: requests.Session | None = None) -> Fetched | NotModified:
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
               session: requests.Session | None = None) -> Fetched:
    """GET an article page (HTML) with the same limits as `fetch`, no conditional headers."""
    if is_local(url):
        result = fetch_file(url, last_modified=None, body_hash=None, limits=limits)
    else:
        result = _get(url, {"Accept": PAGE_ACCEPT}, limits, session, conditional=False)
    assert isinstance(result, Fetched)  # no validators sent, so no 304 is accepted
    return result


def _get(url: str, headers: dict[str, str], limits: FetchLimits,
         session: requests.Session | None, *, conditional: bool) -> Fetched | NotModified:
    session = session or _shared_session()
    headers = {**headers, "User-Agent": limits.user_agent}
    deadline = time.monotonic() + limits.total_timeout
    current, seen, moved_to, permanent_run = url, [url], None, True
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise deadline_error(url, limits)
        log.debug("GET %s", redact(current))
        resp = _send(session, url, current, headers, limits, remaining)
        complete = False        # the whole response was read: the connection can be reused
        try:
            status = resp.status_code
            if status in _REDIRECTS and resp.headers.get("Location"):
                target = urljoin(current, resp.headers["Location"])
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
            hdrs = {k.lower(): v for k, v in resp.headers.items()}
            if status == 304 and conditional:
                complete = True     # RFC 9110 §15.4.5: a 304 has no content
                return NotModified(url=current, headers=hdrs)
            _check_status(url, status, hdrs)
            body = _read_body(url, resp, limits, deadline)
            complete = True
        finally:
            # Keep-alive: a fully read response goes back to the pool (resp.close() alone
            # would drop the socket, since requests never saw us consume the stream); a
            # partly read one (cap, deadline, error) must close it.
            if complete:
                resp.raw.release_conn()
            resp.close()
        return Fetched(url=current, status=status, body=body, headers=hdrs,
                       etag=hdrs.get("etag"), last_modified=hdrs.get("last-modified"),
                       body_hash=hashlib.sha256(body).hexdigest(), moved_to=moved_to)


def _send(session: requests.Session, url: str, current: str, headers: dict[str, str],
          limits: FetchLimits, remaining: float) -> requests.Response:
    timeout = (min(limits.connect_timeout, remaining), min(limits.read_timeout, remaining))
    try:
        return session.get(current, headers=headers, stream=True, allow_redirects=False,
                           timeout=timeout)
    except requests.exceptions.SSLError as exc:
        raise NetworkError(url, tls_message(exc)) from exc
    except requests.exceptions.ConnectTimeout as exc:
        raise FetchTimeout(url, f"connect timed out after {timeout[0]:g} s; the host is "
                                "unreachable or slow, check the URL or raise "
                                "polling.connect_timeout") from exc
    except requests.exceptions.ReadTimeout as exc:
        raise FetchTimeout(url, f"no response within {timeout[1]:g} s; the server is slow, "
                                "raise polling.read_timeout if it is always like this") from exc
    except requests.exceptions.ConnectionError as exc:
        raise NetworkError(url, connection_message(current, exc)) from exc
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema, ValueError) as exc:
        raise FetchError(url, f"invalid URL ({exc}); fix the feed URL in the config") from exc
    except requests.exceptions.RequestException as exc:
        raise NetworkError(url, f"request failed: {exc}; check the URL") from exc


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


def _read_body(url: str, resp: requests.Response, limits: FetchLimits, deadline: float) -> bytes:
    """Read the decoded body piece by piece, enforcing the cap and the wall-clock deadline.

    `read1` returns after one socket read, so a drip-fed body is checked against the
    deadline every few bytes; a watchdog shuts the socket if a single read outlives it.
    urllib3 decodes gzip/deflate(/br) incrementally with a bounded output per call.
    """
    declared = resp.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise TooLarge(url, too_large(limits, f"Content-Length {int(declared):,} bytes"))
    raw: Any = resp.raw
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
