"""The HTTP client under `bot.fetch.get`: urllib3 connection pools (built and kept by
`bot.fetch.pools.Pools`), the environment's proxies and CA bundle, and urllib3's
exceptions turned into newsbot's `FetchError`s.

Why urllib3 and not requests: requests is built on urllib3, and its Session layer
(environment merging, cookie jars, hooks, the Response wrapper) made a 304 cost 0.6 ms of
CPU here against 0.26 ms through urllib3 with the host's pool kept here (docs/polling.md):
the larger part of a whole 304 poll. A feed poll needs none of that layer, so fetching
talks to urllib3 directly and keeps what requests gave for free:

- proxies from HTTP_PROXY / HTTPS_PROXY / NO_PROXY (read once: a service's environment
  does not change), as `urllib.request` reads them;
- certificate checks against REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE or SSL_CERT_FILE if set,
  else certifi's bundle (what requests used); verification is never turned off;
- `https://user:pw@host/feed` sent as HTTP Basic auth;
- gzip/deflate accepted (and decoded by `bot.fetch.body.read_body` under the size cap);
- no retries and no redirects here: the scheduler owns retrying, `fetch` owns redirects;
- a feed from Telegram or OPML (`FetchLimits.reach`) connects through pools of its own,
  whose connections resolve the host, check every address and connect to a checked one
  (`bot.fetch.guard`, `bot.fetch.pinned`).

With pycurl installed (the `curl` extra) and `engine` "auto" or "curl", `get_whole` sends
a request through libcurl (`bot.fetch.curl`) with the same proxy, CA bundle and userinfo,
and `get` (urllib3) is only the fallback for what that engine leaves to it; `send` and
`hold` let a poll cycle send every feed's request from one thread (`bot.poll.mux`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    NewConnectionError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)

from bot.errors import AddressRefused, FetchError, FetchTimeout, NetworkError
from bot.fetch.guard import ANY, addresses
from bot.fetch.messages import (
    connect_timeout_message,
    connection_message,
    read_timeout_message,
    redact,
    tls_message,
)
from bot.fetch.pools import UNSAFE, Pools, bracket, port_of, request_target
from bot.fetch.types import Answer, Outcome, Response

__all__ = ["ACCEPT_ENCODING", "HttpClient"]

ACCEPT_ENCODING = urllib3.util.make_headers(accept_encoding=True)["accept-encoding"]


class HttpClient:
    """Keep-alive pools shared by every polling thread: `pool_size` connections per host,
    for up to `hosts` hosts (beyond that the pools start afresh)."""

    def __init__(self, pool_size: int = 10, hosts: int = 100, engine: str = "auto") -> None:
        """`engine`: "curl" sends requests through `bot.fetch.curl` (needs pycurl, the
        `curl` extra), "urllib3" through urllib3 only, "auto" through curl if installed."""
        self._curl = _curl_module(engine)
        self._pools = Pools(pool_size, hosts)
        self._lock = threading.Lock()       # guards `_held`
        self._held: dict[str, tuple[dict[str, str], Outcome]] = {}     # see `hold`

    @property
    def multiplexed(self) -> bool:
        """Requests can be sent without a thread waiting on each (`send`): curl is in use."""
        return self._curl is not None

    def engine(self) -> Any:
        """A `bot.fetch.curl.CurlEngine` for `send`, driven by the caller (`multiplexed`)."""
        return self._curl.CurlEngine(thread=False)

    def send(self, feed_url: str, url: str, headers: dict[str, str], limits: Any,
             done: Callable[[Outcome], object], engine: Any) -> None:
        """Start a GET on `engine` without waiting; `done(outcome)` is called where the
        engine runs, with what `get_whole` would return or raise."""
        request = self._request(feed_url, url, headers, limits, connect=limits.connect_timeout,
                                read=limits.read_timeout, total=limits.total_timeout)
        if request is None:
            done(None)
        else:
            engine.submit(request, done)

    def hold(self, url: str, headers: dict[str, str], outcome: Outcome) -> None:
        """Keep a `send` outcome: the next `get_whole` of `url` with `headers` returns it
        (or raises it) without a request."""
        with self._lock:
            self._held[url] = (headers, outcome)

    def drop(self, url: str) -> None:
        with self._lock:
            self._held.pop(url, None)

    def get_whole(self, feed_url: str, url: str, headers: dict[str, str], limits: Any, *,
                  connect: float, read: float, total: float) -> Answer | None:
        """The whole response through the curl engine, if there is one: the body of a 2xx
        (decoded, under `limits.max_bytes`), none of any other. None: send it with `get`.
        Raises FetchTimeout or TooLarge (`bot.fetch.curl`)."""
        if self._held:
            with self._lock:
                held = self._held.pop(url, None)
            if held is not None and held[0] == headers:
                if isinstance(held[1], Exception):
                    raise held[1]
                return held[1]
        request = self._request(feed_url, url, headers, limits, connect=connect, read=read,
                                total=total)
        return None if request is None else self._curl.shared_engine().get(request)

    def _request(self, feed_url: str, url: str, headers: dict[str, str], limits: Any, *,
                 connect: float, read: float, total: float) -> Any:
        if self._curl is None or not url.startswith(("http://", "https://")):
            return None
        proxy = connect_to = ""
        reach = limits.reach
        if self._pools.proxies or UNSAFE.search(url) or reach != ANY:
            parts = urlsplit(url)   # else the URL goes as it is, unparsed
            url = f"{parts.scheme}://{parts.netloc}{request_target(parts)}"
            proxy = self._pools.proxy_for(parts.scheme, parts.hostname or "") or ""
            if reach != ANY:      # resolved and checked here; libcurl connects there
                port, host = port_of(parts), parts.hostname or ""
                found = addresses(feed_url, host, port, reach)
                if not proxy:
                    connect_to = f"{bracket(host)}:{port}:{bracket(found[0])}:{port}"
        return self._curl.Request(feed_url=feed_url, url=url, headers=headers, limits=limits,
                                  connect=connect, read=read, total=total, proxy=proxy,
                                  ca_file=self._pools.ca_certs, connect_to=connect_to)

    def get(self, feed_url: str, url: str, headers: dict[str, str], *, connect: float,
            read: float, reach: str = ANY) -> Response:
        """One GET of `url` (while fetching `feed_url`, which errors name), body unread.
        Raises FetchTimeout, NetworkError, AddressRefused or FetchError with a message for
        the operator. `reach`: `FetchLimits.reach`."""
        try:
            return self._pools.urlopen(feed_url, url, headers, reach, redirect=False,
                                       retries=False, preload_content=False,
                                       timeout=urllib3.Timeout(connect=connect, read=read))
        except AddressRefused as exc:   # from a pinned connection, which knows only its host
            raise AddressRefused(feed_url, exc.reason) from None
        except SSLError as exc:
            raise NetworkError(feed_url, tls_message(exc)) from exc
        except ProxyError as exc:
            raise NetworkError(feed_url, f"the proxy failed ({exc}); check HTTP_PROXY / "
                                         "HTTPS_PROXY and NO_PROXY") from exc
        except NewConnectionError as exc:     # a subclass of ConnectTimeoutError: first
            raise NetworkError(feed_url, connection_message(url, exc)) from exc
        except ConnectTimeoutError as exc:
            raise FetchTimeout(feed_url, connect_timeout_message(connect)) from exc
        except ReadTimeoutError as exc:
            raise FetchTimeout(feed_url, read_timeout_message(read)) from exc
        except ValueError as exc:     # urllib3's LocationValueError, or a port that is no number
            raise FetchError(feed_url, f"invalid URL {redact(url)} ({exc}); fix the feed URL "
                                       "in the config, or report the site's broken "
                                       "redirect") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise NetworkError(feed_url, connection_message(url, exc)) from exc


def _curl_module(engine: str) -> Any:
    if engine not in ("auto", "curl", "urllib3"):
        raise ValueError(f"unknown HTTP engine {engine!r}: auto, curl or urllib3")
    if engine == "urllib3":
        return None
    try:
        import bot.fetch.curl as curl_engine
    except ImportError:
        if engine == "curl":
            raise
        return None
    return curl_engine
