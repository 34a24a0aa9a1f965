"""Fetch feed bytes safely: conditional GET, size cap, deadlines, manual redirects.

The network goes through `bot.fetch.client` (urllib3 pools, or libcurl through
`bot.fetch.curl`; proxies, CA bundle, their errors mapped to ours), and a urllib3 body is
read under the cap by `bot.fetch.body`; this module owns the protocol, the same whichever
engine answered. Every outcome is a `Fetched`, a `NotModified` or a `FetchError` subclass
whose message names the URL and says what the operator can do. Nothing here parses XML:
see `bot.parse.feed`.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

from bot.errors import NetworkError
from bot.fetch.body import read_body
from bot.fetch.client import ACCEPT_ENCODING, HttpClient
from bot.fetch.guard import ANY, check_scheme
from bot.fetch.local import fetch_file, is_local
from bot.fetch.messages import check_status, deadline_error, location, redact
from bot.fetch.types import Answer, FetchLimits, Outcome
from bot.models import Fetched, NotModified

log = logging.getLogger(__name__)

# urllib3 logs every new connection at DEBUG and pool overflow at WARNING; URLs may
# carry tokens. Quiet it unless the operator configured it explicitly.
_urllib3_log = logging.getLogger("urllib3")
if _urllib3_log.level == logging.NOTSET:
    _urllib3_log.setLevel(logging.WARNING)

FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
               "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5")
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_PERMANENT = (301, 308)         # RFC 9110 §15.4.2 / §15.4.9: update the stored URL
_REDIRECTS = (301, 302, 303, 307, 308)


def make_session(pool_size: int = 10, engine: str = "auto") -> HttpClient:
    """A client whose pools hold `pool_size` connections per host (one per polling worker),
    sending through `engine` (`polling.http_engine`: auto, curl or urllib3).

    No automatic retries: the scheduler owns retry policy and backoff.
    """
    return HttpClient(pool_size=pool_size, engine=engine)


_default_session: HttpClient | None = None
_default_lock = threading.Lock()


def shared_session() -> HttpClient:
    """The client `fetch` uses when given none."""
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
    - `limits.reach` other than "any" (a feed from Telegram or OPML): http(s) only, and
      public addresses only, checked on every request of the redirect chain
      (`bot.fetch.guard`) → `AddressRefused`.
    """
    check_scheme(url, url, limits.reach)
    if is_local(url):
        return fetch_file(url, last_modified=last_modified, body_hash=body_hash, limits=limits)
    result = _get(url, _feed_headers(etag, last_modified, limits), limits, session,
                  conditional=bool(etag or last_modified))
    if isinstance(result, Fetched) and body_hash and result.body_hash == body_hash:
        return NotModified(url=result.url, headers=result.headers)
    return result


def send(url: str, *, etag: str | None, last_modified: str | None, limits: FetchLimits,
         session: HttpClient, engine: Any, done: Callable[[Outcome], object]) -> None:
    """Start the request `fetch(url, etag=..., last_modified=..., session=session)` sends
    first, on `engine` (`session.engine()`), without waiting. Its outcome is held in the
    session, so that `fetch` uses it instead of asking again; `done(outcome)` is then called
    where the engine runs (`bot.poll.mux`). A local feed is not sent: `done(None)` at once;
    nor is a feed from Telegram or OPML, whose host `fetch` resolves and checks in its
    own thread (a slow DNS answer must not hold up the cycle's thread)."""
    if is_local(url) or limits.reach != ANY:
        done(None)
        return
    headers = _feed_headers(etag, last_modified, limits)

    def finished(outcome: Outcome) -> None:
        session.hold(url, headers, outcome)
        done(outcome)

    session.send(url, url, headers, limits, finished, engine)


def _headers(accept: str, limits: FetchLimits) -> dict[str, str]:
    return {"Accept": accept, "User-Agent": limits.user_agent,
            "Accept-Encoding": ACCEPT_ENCODING}


def _feed_headers(etag: str | None, last_modified: str | None,
                  limits: FetchLimits) -> dict[str, str]:
    headers = _headers(FEED_ACCEPT, limits)
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def fetch_page(url: str, *, limits: FetchLimits = FetchLimits(),
               session: HttpClient | None = None) -> Fetched:
    """GET an article page (HTML) with the same limits as `fetch`, no conditional headers."""
    check_scheme(url, url, limits.reach)
    if is_local(url):
        result = fetch_file(url, last_modified=None, body_hash=None, limits=limits)
    else:
        result = _get(url, _headers(PAGE_ACCEPT, limits), limits, session, conditional=False)
    assert isinstance(result, Fetched)  # no validators sent, so no 304 is accepted
    return result


def _get(url: str, headers: dict[str, str], limits: FetchLimits,
         session: HttpClient | None, *, conditional: bool) -> Fetched | NotModified:
    session = session or shared_session()
    deadline = time.monotonic() + limits.total_timeout
    current, seen, moved_to, permanent_run = url, [url], None, True
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise deadline_error(url, limits)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("GET %s", redact(current))
        connect, read = min(limits.connect_timeout, remaining), min(limits.read_timeout, remaining)
        status, hdrs, body = session.get_whole(
            url, current, headers, limits, connect=connect, read=read, total=remaining,
        ) or _exchange(url, current, headers, limits, session, connect=connect, read=read,
                       deadline=deadline)
        if status in _REDIRECTS and hdrs.get("location"):
            target = urljoin(current, location(hdrs["location"]))
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
        if status == 304 and conditional:
            return NotModified(url=current, headers=hdrs)     # RFC 9110 §15.4.5: no content
        check_status(url, status, hdrs)
        return Fetched(url=current, status=status, body=body, headers=hdrs,
                       etag=hdrs.get("etag"), last_modified=hdrs.get("last-modified"),
                       body_hash=hashlib.sha256(body).hexdigest(), moved_to=moved_to)


def _exchange(url: str, current: str, headers: dict[str, str], limits: FetchLimits,
              session: HttpClient, *, connect: float, read: float, deadline: float) -> Answer:
    """One request through urllib3: status, lower-cased headers, and the body of a 2xx (a
    redirect's, a 304's or an error's is not read)."""
    resp = session.get(url, current, headers, connect=connect, read=read, reach=limits.reach)
    complete = False        # the whole response was read: the connection can be reused
    try:
        status = resp.status
        hdrs = {k.lower(): v for k, v in resp.headers.itermerged()}
        if not 200 <= status < 300:
            complete = status == 304
            return status, hdrs, b""
        body = read_body(url, resp, limits, deadline)
        complete = True
        return status, hdrs, body
    finally:
        # Keep-alive: a fully read response's connection goes back to the pool; a partly
        # read one (redirect body, cap, deadline, error) is closed first, then released.
        if not complete:
            resp.close()
        resp.release_conn()
