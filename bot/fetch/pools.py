"""Where a urllib3 request goes out: the host's own keep-alive pool, or the manager of
the proxy the environment names, each built on first use and kept; and the URL forms
(request target, port, bracketed host) the pools and the libcurl requests share.

Separate from `bot.fetch.client`, which holds one `Pools`: building and keeping pools is
one job (proxies and NO_PROXY, the CA bundle, pinned connections for a feed from Telegram
or OPML), choosing the engine, holding outcomes and wording urllib3's errors another.
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any
from urllib.parse import SplitResult, quote, unquote, urlsplit
from urllib.request import getproxies, proxy_bypass

import certifi
import urllib3

from bot.fetch.guard import ANY, addresses
from bot.fetch.pinned import pinned
from bot.fetch.types import Response

__all__ = ["UNSAFE", "Pools", "bracket", "port_of", "request_target"]

# Outside printable ASCII (non-ASCII, spaces, controls): percent-encoded (UTF-8) in the
# request target, RFC 3987 §3.1; what is already %XX or reserved stays as it is.
UNSAFE = re.compile(r"[^\x21-\x7e]")
_KEEP = "!#$%&'()*+,/:;=?@[]~"


def _ca_bundle() -> str:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        if os.environ.get(name):
            return os.environ[name]
    return certifi.where()


class Pools:
    """Keep-alive pools shared by every polling thread: `pool_size` connections per host,
    for up to `hosts` hosts (beyond that the pools start afresh). `HttpClient` holds one;
    `proxies` and `ca_certs` are what the libcurl requests use too."""

    def __init__(self, pool_size: int, hosts: int) -> None:
        self._hosts = hosts
        self._pool_kw: dict[str, Any] = {"maxsize": pool_size, "retries": False}
        self.ca_certs = _ca_bundle()
        self._tls_kw: dict[str, Any] = {"ca_certs": self.ca_certs, "cert_reqs": "CERT_REQUIRED"}
        self.proxies = {k: v for k, v in getproxies().items() if k in ("http", "https")}
        self._via: dict[str, urllib3.PoolManager] = {}     # proxy URL -> its manager
        self._bypass: dict[str, bool] = {}                   # host -> NO_PROXY says so
        self._pools: dict[tuple[str, str, int | None, str], urllib3.HTTPConnectionPool] = {}
        self._lock = threading.Lock()

    def proxy_for(self, scheme: str, host: str) -> str | None:
        """The proxy the environment names for `scheme`, unless NO_PROXY exempts `host`."""
        proxy = self.proxies.get(scheme)
        if not proxy:
            return None
        with self._lock:
            bypass = self._bypass.get(host)
            if bypass is None:
                bypass = self._bypass[host] = bool(proxy_bypass(host))
        return None if bypass else proxy

    def urlopen(self, feed_url: str, url: str, headers: dict[str, str], reach: str,
                **kw: Any) -> Response:
        """urllib3's `urlopen` of `url` on its host's pool or through its proxy; `kw` as
        urlopen takes them. Raises urllib3's errors (`HttpClient.get` words them)."""
        parts = urlsplit(url)
        if parts.username is not None:      # https://user:pw@host/feed: HTTP Basic auth
            headers = {**headers, **urllib3.util.make_headers(
                basic_auth=f"{unquote(parts.username)}:{unquote(parts.password or '')}")}
        proxy = self.proxy_for(parts.scheme, parts.hostname or "")
        if proxy is not None:
            if reach != ANY:      # the proxy connects: check the name's addresses here
                addresses(feed_url, parts.hostname or "", port_of(parts), reach)
            with self._lock:
                manager = self._via.get(proxy)
                if manager is None:
                    manager = self._via[proxy] = urllib3.ProxyManager(
                        proxy, num_pools=self._hosts, **self._pool_kw, **self._tls_kw)
            return manager.urlopen("GET", url, headers=headers, **kw)
        return self._pool(parts.scheme, parts.hostname or "", parts.port, reach).urlopen(
            "GET", request_target(parts), headers=headers, **kw)

    def _pool(self, scheme: str, host: str, port: int | None,
              reach: str) -> urllib3.HTTPConnectionPool:
        """The host's own pool, kept here: PoolManager.urlopen re-parses the URL and builds a
        30-field pool key on every call, a fifth of the client's cost of a 304. A feed from
        Telegram or OPML gets pools of its own, whose connections are pinned to checked
        addresses (`bot.fetch.pinned`)."""
        key = (scheme, host, port, reach)
        pool = self._pools.get(key)
        if pool is None:
            if scheme not in ("http", "https"):
                raise urllib3.exceptions.URLSchemeUnknown(scheme)
            tls = self._tls_kw if scheme == "https" else {}
            pool = urllib3.connection_from_url(f"{scheme}://{_netloc(host, port)}",
                                               **self._pool_kw, **tls)
            if reach != ANY:
                pool.ConnectionCls = pinned(pool.ConnectionCls, reach)
            with self._lock:
                if len(self._pools) >= self._hosts:
                    # More hosts than pools kept: start afresh. The dropped pools' idle
                    # sockets close when the last request using them lets go.
                    self._pools.clear()
                pool = self._pools.setdefault(key, pool)
        return pool


def request_target(parts: SplitResult) -> str:
    """The request target: path and query, an IRI or a space percent-encoded (as requests
    did)."""
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return quote(target, safe=_KEEP) if UNSAFE.search(target) else target


def port_of(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host         # an IPv6 literal


def _netloc(host: str, port: int | None) -> str:
    host = bracket(host)
    return f"{host}:{port}" if port else host
