"""One request of `bot.fetch.curl`: its options for libcurl, its answer read back, and the
few errors it words itself. Pure but for the pycurl handle it configures.

Headers are collected as raw lines by `list.append` (no Python frame per line) and read
once, at the first body byte or the end (`head`). A body is kept only for a 2xx, and only
up to `limits.max_bytes` after decoding; anything else libcurl reports goes back as None,
for urllib3 to send again and word (`answer`).
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pycurl

from bot.errors import FetchError, FetchTimeout, TooLarge
from bot.fetch.messages import (
    connect_timeout_message,
    deadline_error,
    read_timeout_message,
    stalled_message,
    too_large,
)
from bot.fetch.types import Answer

if TYPE_CHECKING:
    from bot.fetch.types import FetchLimits

__all__ = ["Answer", "Request", "answer", "configure", "head", "tell"]


@dataclass
class Request:
    """One GET. `connect`, `read`: the limits' timeouts, cut to `total`, what is left of
    the fetch's wall-clock deadline, in seconds."""

    feed_url: str       # what errors name
    url: str            # already percent-encoded, http(s) only
    headers: dict[str, str]
    limits: FetchLimits
    connect: float
    read: float
    total: float
    proxy: str          # "" for none (libcurl would otherwise read the environment itself)
    ca_file: str
    connect_to: str = ""    # "host:port:address:port": connect only there (bot.fetch.guard)
    done: Callable[[Answer | FetchError | None], object] | None = None
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    header_lines: list[bytes] = field(default_factory=list)
    body: io.BytesIO = field(default_factory=io.BytesIO)    # as in `bot.fetch.body.read_body`
    size: int = 0
    over_cap: bool = False
    body_skipped: bool = False      # not a 2xx: the transfer was stopped at its body
    active: float = 0.0     # monotonic time of the last body byte (the stall clock)
    seen: int = 0           # header lines received as of `active`


def tell(request: Request, outcome: Answer | FetchError | None) -> None:
    assert request.done is not None
    request.done(outcome)


def head(lines: list[bytes]) -> tuple[int, dict[str, str]]:
    """The status and lower-cased headers of the last response in `lines` (after any 1xx
    or a proxy's CONNECT answer); repeated headers joined with ", " as urllib3 does."""
    status, headers = 0, dict[str, str]()
    for line in lines:
        text = line.decode("latin-1").rstrip("\r\n")
        if text.startswith("HTTP/"):
            parts = text.split(" ", 2)
            status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
            headers = {}
        elif ":" in text:
            name, _, value = text.partition(":")
            name, value = name.strip().lower(), value.strip()
            old = headers.get(name)
            headers[name] = f"{old}, {value}" if old else value
    return status, headers


def configure(curl: Any, request: Request) -> None:
    def on_body(chunk: bytes) -> int | None:
        request.active, request.seen = time.monotonic(), len(request.header_lines)
        if not request.status:      # the first piece of the body: the headers are all in
            request.status, request.response_headers = head(request.header_lines)
            if not 200 <= request.status < 300:
                request.body_skipped = True
                return 0    # an error's or a redirect's body is not needed (as with urllib3)
            declared = request.response_headers.get("content-length", "")
            if declared.isdigit() and int(declared) > request.limits.max_bytes:
                request.over_cap = True
                return 0
        request.size += len(chunk)
        if request.size > request.limits.max_bytes:    # the decoded size: a gzip bomb stops here
            request.over_cap = True
            return 0
        request.body.write(chunk)
        return None

    headers = [f"{k}: {v}" for k, v in request.headers.items()
               if k.lower() != "accept-encoding"]
    curl.setopt(pycurl.URL, request.url)
    curl.setopt(pycurl.HTTPHEADER, headers)
    curl.setopt(pycurl.ACCEPT_ENCODING, "")     # all libcurl decodes; it decodes them
    curl.setopt(pycurl.NOSIGNAL, 1)
    curl.setopt(pycurl.CONNECTTIMEOUT_MS, max(1, math.ceil(request.connect * 1000)))
    curl.setopt(pycurl.TIMEOUT_MS, max(1, math.ceil(request.total * 1000)))
    curl.setopt(pycurl.PROXY, request.proxy)
    # A checked address for a feed from Telegram or OPML. libcurl reuses a connection made
    # with CONNECT_TO only for requests with the same CONNECT_TO, and never one made
    # without it: an unchecked connection to the same host is not borrowed.
    curl.setopt(pycurl.CONNECT_TO, [request.connect_to] if request.connect_to else [])
    curl.setopt(pycurl.CAINFO, request.ca_file)
    curl.setopt(pycurl.HEADERFUNCTION, request.header_lines.append)    # no Python frame
    curl.setopt(pycurl.WRITEFUNCTION, on_body)


def answer(request: Request, code: int | None, message: str) -> Answer | None:
    url, headers = request.feed_url, request.response_headers
    if code is None or (code == pycurl.E_WRITE_ERROR and request.body_skipped):
        return request.status, headers, request.body.getvalue()
    if request.over_cap:
        declared = headers.get("content-length", "")
        raise TooLarge(url, too_large(request.limits, "body" if request.size else
                                      f"Content-Length {int(declared):,} bytes"))
    if code == pycurl.E_OPERATION_TIMEDOUT:
        if message == "stalled":
            raise FetchTimeout(url, stalled_message(request.read) if request.status
                               else read_timeout_message(request.read))
        if "connect" in message.lower() and not request.status:
            raise FetchTimeout(url, connect_timeout_message(request.connect))
        raise deadline_error(url, request.limits)
    return None     # DNS, refused, TLS, proxy, broken encoding...: urllib3's path words it
