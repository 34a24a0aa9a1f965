"""Read a urllib3 response's body under the fetch's limits: the size cap on the wire and
decoded bytes, and the wall-clock deadline, with a watchdog for a read that hangs.

Separate from `bot.fetch.get`, which owns the protocol (redirects, validators, statuses)
whichever engine answered: this is the one part that is urllib3's alone, where a gzip bomb
or a drip-fed body is stopped (libcurl does the same in `bot.fetch.curl_request`).
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
from typing import Any

from bot.errors import FetchError, FetchTimeout, NetworkError, TooLarge
from bot.fetch.messages import deadline_error, stalled_message, too_large
from bot.fetch.types import FetchLimits, Response

__all__ = ["read_body"]

_CHUNK = 64 * 1024


def read_body(url: str, resp: Response, limits: FetchLimits, deadline: float) -> bytes:
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
    # Written into one growing buffer: `getvalue` hands that buffer over without a copy,
    # where joining a list of pieces held the body twice at its end (docs/polling.md).
    body = io.BytesIO()
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
            body.write(chunk)
    except (TooLarge, FetchTimeout):
        raise
    except Exception as exc:  # urllib3/http.client errors surface raw here
        if fired.is_set():
            raise deadline_error(url, limits) from exc
        if "timed out" in str(exc).lower():
            raise FetchTimeout(url, stalled_message(limits.read_timeout)) from exc
        if "decod" in type(exc).__name__.lower() or "decod" in str(exc).lower():
            raise FetchError(url, f"body could not be decoded ({exc}); the server sent broken "
                                  "compressed data, report it to the site") from exc
        raise NetworkError(url, f"connection broken while reading the body ({exc}); "
                                "will retry") from exc
    finally:
        watchdog.cancel()
    if fired.is_set():
        raise deadline_error(url, limits)
    return body.getvalue()
