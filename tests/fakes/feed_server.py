"""A real HTTP feed server on 127.0.0.1 for tests and benchmarks, with hostile modes.

    with FeedServer() as server:                      # or the `feed_server` pytest fixture
        url = server.set_feed("/world.xml", rss_bytes)
        server.set_feed("/slow.xml", body, mode="drip", delay=0.2)
        server.set_huge("/big.xml", 1 << 30)          # 1 GB, generated while sending
        server.set_gzip_bomb("/bomb.xml", 64 << 20)
        server.set_redirect("/old.xml", "/world.xml", status=301)
        server.set_status("/busy.xml", 429, retry_after="120")
        server.add_item("/world.xml", "<item><title>new</title></item>")
        server.requests_for("/world.xml")             # [Request(method, path, headers, status)]

Validators follow RFC 9110: ETag/Last-Modified on every normal 200; If-None-Match wins over
If-Modified-Since (§13.1.3), weak comparison for If-None-Match (§13.1.2).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import ssl
import threading
import time
import zlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

_BLOCK = 64 * 1024


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "application/rss+xml; charset=utf-8"
    mode: str = "feed"          # feed | drip | huge | gzip_bomb | redirect | status | html
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: float = 0.0
    ignore_conditional: bool = False
    delay: float = 0.0          # drip: seconds between pieces; any mode: before answering
    piece: int = 1              # drip: bytes per piece
    size: int = 0               # huge / gzip_bomb: bytes generated (decoded size for a bomb)
    chunked: bool = False       # send Transfer-Encoding: chunked instead of Content-Length
    location: str = ""


@dataclass
class Request:
    """One request as the server saw it; logged before the response is sent, so a client
    that has its answer always finds its request in the log."""

    method: str
    path: str
    headers: dict[str, str]
    host: str
    started: float
    status: int = 0             # set when the status line is sent
    ended: float | None = None  # set when the handler is done (None while in flight)


@functools.lru_cache(maxsize=8)
def _gzip_bomb(size: int) -> bytes:
    """gzip of `size` zero bytes, built 1 MiB at a time (~1 KiB of output per MiB)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    parts = [comp.compress(zeros[: min(len(zeros), size - done)])
             for done in range(0, size, len(zeros))]
    parts.append(comp.flush())
    return b"".join(parts)


def _huge_block() -> bytes:
    item = b"<item><title>filler</title><description>" + b"x" * 200 + b"</description></item>\n"
    return (item * (_BLOCK // len(item) + 1))[:_BLOCK]


class FeedServer:
    """ThreadingHTTPServer on 127.0.0.1 in a background thread; a context manager."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.log: dict[str, list[Request]] = defaultdict(list)
        self._lock = threading.Lock()
        self._inflight: dict[str, int] = defaultdict(int)
        self._peak: dict[str, int] = defaultdict(int)
        handler = type("Handler", (_Handler,), {"feeds": self})
        self.httpd = ThreadingHTTPServer((host, port), handler, bind_and_activate=False)
        self.httpd.daemon_threads = True
        self.httpd.request_queue_size = 1024     # benchmarks open many connections at once
        self.httpd.server_bind()
        self.httpd.server_activate()
        if ssl_context is not None:
            self.httpd.socket = ssl_context.wrap_socket(self.httpd.socket, server_side=True)
        scheme = "https" if ssl_context else "http"
        self.base_url = f"{scheme}://{host}:{self.httpd.server_address[1]}"
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> FeedServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, path: str) -> str:
        return self.base_url + path

    # -- configuration ---------------------------------------------------------------------
    def set_feed(self, path: str, body: bytes | str, content_type: str | None = None, *,
                 mode: str = "feed", **options: Any) -> str:
        """Serve `body` at `path` (modes: feed, drip, html); returns the full URL."""
        data = body.encode() if isinstance(body, str) else body
        ctype = content_type or ("text/html; charset=utf-8" if mode == "html"
                                 else "application/rss+xml; charset=utf-8")
        route = Route(body=data, content_type=ctype, mode=mode, **options)
        route.etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        route.last_modified = float(int(time.time()))
        with self._lock:
            self.routes[path] = route
        return self.url(path)

    def set_html(self, path: str, body: bytes | str | None = None) -> str:
        page = body or ("<!DOCTYPE html><html><head><title>News</title></head>"
                        "<body><h1>Latest news</h1><p>Welcome!</p></body></html>")
        return self.set_feed(path, page, mode="html")

    def add_item(self, path: str, item: bytes | str) -> None:
        """Insert an item before </channel> (or an entry before </feed>); bump validators."""
        data = item.encode() if isinstance(item, str) else item
        with self._lock:
            route = self.routes[path]
            for closer in (b"</channel>", b"</feed>", b"</rdf:RDF>"):
                at = route.body.rfind(closer)
                if at >= 0:
                    route.body = route.body[:at] + data + route.body[at:]
                    break
            else:
                raise ValueError(f"no </channel> or </feed> in {path}")
            route.etag = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"'
            # HTTP-dates have one-second precision: never reuse the previous second.
            route.last_modified = max(float(int(time.time())), route.last_modified + 1)

    def set_huge(self, path: str, size: int, *, content_length: bool = False) -> str:
        """Stream `size` generated bytes without holding them (chunked unless told)."""
        with self._lock:
            self.routes[path] = Route(mode="huge", size=size, chunked=not content_length,
                                      content_type="application/rss+xml")
        return self.url(path)

    def set_gzip_bomb(self, path: str, size: int = 256 << 20) -> str:
        """A small gzip body (Content-Encoding: gzip) that decodes to `size` bytes."""
        with self._lock:
            self.routes[path] = Route(mode="gzip_bomb", body=_gzip_bomb(size), size=size,
                                      content_type="application/rss+xml")
        return self.url(path)

    def set_redirect(self, path: str, target: str, status: int = 301) -> str:
        with self._lock:
            self.routes[path] = Route(mode="redirect", status=status, location=target)
        return self.url(path)

    def set_redirect_loop(self, a: str, b: str, status: int = 302) -> str:
        self.set_redirect(b, a, status)
        return self.set_redirect(a, b, status)

    def set_status(self, path: str, status: int, *, retry_after: str | None = None,
                   body: bytes = b"") -> str:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        with self._lock:
            self.routes[path] = Route(mode="status", status=status, body=body, headers=headers,
                                      content_type="text/plain")
        return self.url(path)

    # -- observation -----------------------------------------------------------------------
    def requests_for(self, path: str) -> list[Request]:
        with self._lock:
            return list(self.log.get(path, []))

    def peak_concurrency(self, host: str | None = None) -> int:
        """Most requests in flight at once, for one Host header value or overall."""
        with self._lock:
            return self._peak["*" if host is None else host]

    def _enter(self, request: Request) -> None:
        with self._lock:
            self.log[request.path].append(request)
            for key in (request.host, "*"):
                self._inflight[key] += 1
                self._peak[key] = max(self._peak[key], self._inflight[key])

    def _leave(self, request: Request) -> None:
        with self._lock:
            request.ended = time.monotonic()
            for key in (request.host, "*"):
                self._inflight[key] -= 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"       # keep-alive, so client pools are exercised
    feeds: FeedServer
    _request: Request | None = None

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def handle(self) -> None:
        # A client that hangs up mid-request (as it should on a cap) is not a server error.
        with contextlib.suppress(ConnectionError, TimeoutError, ssl.SSLError):
            super().handle()

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def _serve(self, *, send_body: bool) -> None:
        # RFC 9112 §3.2.2: a server accepts the absolute form too (what a proxy is sent);
        # so this server doubles as a forward proxy for the proxy tests.
        path = urlsplit(self.path).path if "://" in self.path else self.path.split("?", 1)[0]
        self._request = Request(self.command, path, {k.lower(): v for k, v in
                                                     self.headers.items()},
                                self.headers.get("Host", ""), time.monotonic())
        self.feeds._enter(self._request)
        try:
            with self.feeds._lock:
                route = self.feeds.routes.get(path)
            self._answer(route, send_body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, TimeoutError):
            self.close_connection = True     # the client hung up, as it should on a cap
        finally:
            self.feeds._leave(self._request)

    def send_response(self, code: int, message: str | None = None) -> None:
        if self._request is not None:   # None for http.server's own 400s on bad requests
            self._request.status = code
        super().send_response(code, message)

    def _answer(self, route: Route | None, send_body: bool) -> int:
        if route is None:
            return self._simple(404, b"not found\n", "text/plain", {}, send_body)
        if route.delay and route.mode != "drip":
            time.sleep(route.delay)
        if route.mode == "redirect":
            return self._simple(route.status, b"", "text/plain",
                                {"Location": route.location}, send_body)
        if route.mode == "status":
            return self._simple(route.status, route.body, route.content_type, route.headers,
                                send_body)
        if route.mode == "huge":
            return self._stream(route, self._generate(route.size), route.size, send_body)
        if route.mode == "gzip_bomb":
            return self._simple(200, route.body, route.content_type,
                                {"Content-Encoding": "gzip"}, send_body)
        validators = dict(route.headers) if route.ignore_conditional else {
            **route.headers, "ETag": route.etag or "",
            "Last-Modified": formatdate(route.last_modified, usegmt=True)}
        if not route.ignore_conditional and self._not_modified(route):
            return self._simple(304, b"", None, validators, send_body)
        if route.mode == "drip":
            pieces = (route.body[i:i + route.piece] for i in range(0, len(route.body),
                                                                    route.piece))
            return self._stream(route, pieces, len(route.body), send_body, validators)
        return self._simple(200, route.body, route.content_type, validators, send_body)

    def _not_modified(self, route: Route) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:     # RFC 9110 §13.1.3: If-Modified-Since is then ignored
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            return "*" in tags or (route.etag or "").removeprefix("W/") in tags
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                return route.last_modified <= parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                return False
        return False

    def _simple(self, status: int, body: bytes, ctype: str | None, headers: dict[str, str],
                send_body: bool) -> int:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and status != 304:
            self.wfile.write(body)
        return status

    def _stream(self, route: Route, pieces: Iterator[bytes], length: int, send_body: bool,
                headers: dict[str, str] | None = None) -> int:
        self.send_response(200)
        self.send_header("Content-Type", route.content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if route.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        if not send_body:
            return 200
        for piece in pieces:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if route.chunked else piece)
            self.wfile.flush()
            if route.mode == "drip":
                time.sleep(route.delay)
        if route.chunked:
            self.wfile.write(b"0\r\n\r\n")
        return 200

    @staticmethod
    def _generate(size: int) -> Iterator[bytes]:
        block = _huge_block()
        head = b'<?xml version="1.0"?><rss version="2.0"><channel><title>huge</title>\n'
        yield head
        sent = len(head)
        while sent < size:
            piece = block[: size - sent]
            yield piece
            sent += len(piece)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A started FeedServer for one test; stopped afterwards."""
    with FeedServer() as server:
        yield server
