"""libcurl's multi interface (pycurl) under `bot.fetch.client`: many requests at once, their
socket work in C, without a Python thread waiting on each.

Why: through urllib3, a 304 cost 0.21 ms of CPU from one thread but 0.40 ms from the eight
polling threads, which hand the GIL to each other around every blocking socket call: half
of a warm cycle went there (`python bench/fetch_engines.py`, docs/polling.md).

Two ways to drive a `CurlEngine`:
- its own daemon thread (`shared_engine`): a polling thread calls `get` and sleeps once
  until the answer (`newsbot run`'s one-feed jobs, redirects, article pages);
- the caller's thread (`CurlEngine(thread=False)`, `step`): a poll cycle sends every feed's
  request and handles the answers in the same thread (`bot.poll.mux`), no handoff at all.

An answer is the whole response, or one of the few errors worded here, or None: then
`bot.fetch.client` sends the request through urllib3, which words DNS, refused, TLS and
proxy failures (`bot.fetch.curl_request`). The protocol (redirects, statuses, conditional GET)
stays in `bot.fetch.get`; nothing is followed or retried here.

    get() / submit() ─► inbox ─► step(): CurlMulti + selector (socket_action) ─► done(outcome)
"""

from __future__ import annotations

import logging
import os
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pycurl

from bot.errors import FetchError
from bot.fetch.curl_request import Request, answer, configure, head, tell
from bot.fetch.messages import redact
from bot.fetch.types import Answer

__all__ = ["Answer", "CurlEngine", "Request", "shared_engine"]

log = logging.getLogger("newsbot.curl")
_GRACE = 5.0        # seconds past a request's own deadline before `get` stops waiting
_READ, _WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE
_EVENTS = {pycurl.POLL_IN: _READ, pycurl.POLL_OUT: _WRITE, pycurl.POLL_INOUT: _READ | _WRITE}


class CurlEngine:
    """Thread-safe: any thread may call `get` or `submit`. With `thread`, a daemon thread of
    its own does the transfers; without, the caller drives them with `step`, in which the
    `done` callbacks then run (`bot.poll.mux`: no thread handoff at all)."""

    def __init__(self, *, thread: bool = True) -> None:
        self._multi = pycurl.CurlMulti()
        self._multi.setopt(pycurl.M_SOCKETFUNCTION, self._on_socket)
        self._multi.setopt(pycurl.M_TIMERFUNCTION, self._on_timer)
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, _READ)
        self._inbox: deque[Request] = deque()
        self._lock = threading.Lock()
        self._running: dict[Any, Request] = {}      # easy handle -> its request
        self._idle: list[Any] = []                  # easy handles to reuse
        self._watched: dict[int, int] = {}          # libcurl's sockets in the selector
        self._timer: float | None = None            # libcurl's next timeout (monotonic)
        self._threaded = thread
        if thread:
            threading.Thread(target=self._loop, daemon=True, name="newsbot-curl").start()

    def get(self, request: Request) -> Answer | None:
        """Send `request`, wait for its answer; raises FetchTimeout or TooLarge."""
        future: Future[Answer | None] = Future()

        def done(outcome: Answer | FetchError | None) -> None:
            if isinstance(outcome, FetchError):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

        self.submit(request, done)
        try:    # the transfer has its own deadline; this only guards against a lost answer
            return future.result(timeout=request.total + _GRACE)
        except TimeoutError:
            log.error("the curl engine lost a request to %s; sending it with urllib3",
                      redact(request.url))
            return None

    def submit(self, request: Request, done: Callable[[Answer | FetchError | None], object]
               ) -> None:
        """Send `request`; `done(outcome)` is called from the engine's thread, where it must
        not block: the answer, a FetchTimeout or TooLarge, or None (send it with urllib3)."""
        request.done = done
        with self._lock:
            self._inbox.append(request)
        if self._threaded:
            self.wake()

    def wake(self) -> None:
        """Return from the `step` waiting now, or make the next one return at once."""
        self._wake_w.send(b"\0")

    def close(self) -> None:
        """Stop every transfer (their `done` is not called) and free the sockets."""
        for curl in self._running:
            self._multi.remove_handle(curl)
        for curl in [*self._running, *self._idle]:
            curl.close()
        self._running.clear()
        self._multi.close()
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    # -- the transfers ----------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            try:
                self.step()
            except Exception:       # a bug: keep serving the other polling threads
                log.exception("curl engine: unexpected error")
                time.sleep(0.1)

    def step(self) -> None:
        """Start what was submitted, wait for the sockets (or a `wake`, a timeout), move
        the transfers on, and tell the finished ones."""
        self._start_new()
        now = time.monotonic()
        waits = [r.active + r.read for r in self._running.values()]
        if self._timer is not None:
            waits.append(self._timer)
        timeout = max(0.0, min(waits) - now) if waits else None
        for key, mask in self._selector.select(timeout):
            if key.fileobj is self._wake_r:
                while _drain(self._wake_r):
                    pass
                continue
            action = (pycurl.CSELECT_IN if mask & _READ else 0) | (
                pycurl.CSELECT_OUT if mask & _WRITE else 0)
            self._multi.socket_action(key.fd, action)
        if self._timer is not None and time.monotonic() >= self._timer:
            self._timer = None
            self._multi.socket_action(pycurl.SOCKET_TIMEOUT, 0)
        self._finish_done()
        self._cut_stalled()

    def _start_new(self) -> None:
        with self._lock:
            todo, self._inbox = self._inbox, deque()
        for request in todo:
            curl = self._idle.pop() if self._idle else pycurl.Curl()
            try:
                configure(curl, request)
            except Exception:       # an option libcurl refused: urllib3 will say what
                curl.reset()
                self._idle.append(curl)
                tell(request, None)
                continue
            request.active = time.monotonic()
            self._running[curl] = request
            self._multi.add_handle(curl)

    def _finish_done(self) -> None:
        while True:
            queued, ok, failed = self._multi.info_read()
            for curl in ok:
                self._finish(curl, None, "")
            for curl, code, message in failed:
                self._finish(curl, code, message)
            if not queued:
                return

    def _cut_stalled(self) -> None:
        """urllib3's read timeout, rather than libcurl's LOW_SPEED in whole seconds: nothing
        received for `read` seconds once the request is sent (a new or a reused connection:
        PRETRANSFER_TIME is set; before that the connect timeout governs). Header lines are
        counted only when the clock runs out (they are collected without a Python call), so
        silence right after the headers is cut between one and two `read`s; after a body
        byte, at one."""
        now = time.monotonic()
        for curl, request in list(self._running.items()):
            if now < request.active + request.read:
                continue
            if len(request.header_lines) == request.seen and \
                    curl.getinfo(pycurl.PRETRANSFER_TIME) > 0:
                self._finish(curl, pycurl.E_OPERATION_TIMEDOUT, "stalled")
            else:       # progress, or still connecting: the clock starts again
                request.seen, request.active = len(request.header_lines), now

    def _finish(self, curl: Any, code: int | None, message: str) -> None:
        request = self._running.pop(curl)
        if not request.status:      # else read at the first body byte, all headers in then
            request.status, request.response_headers = head(request.header_lines)
        self._multi.remove_handle(curl)
        self._idle.append(curl)     # every option is set again for its next request
        try:
            outcome: Answer | FetchError | None = answer(request, code, message)
        except FetchError as exc:
            outcome = exc
        tell(request, outcome)

    def _on_socket(self, what: int, fd: int, multi: Any, data: Any) -> None:
        if what == pycurl.POLL_REMOVE:
            if self._watched.pop(fd, None) is not None:
                self._selector.unregister(fd)
            return
        events = _EVENTS[what]
        if fd in self._watched:
            self._selector.modify(fd, events)
        else:
            self._selector.register(fd, events)
        self._watched[fd] = events

    def _on_timer(self, ms: int) -> None:
        self._timer = None if ms < 0 else time.monotonic() + ms / 1000


def _drain(sock: socket.socket) -> bool:
    try:
        return len(sock.recv(4096)) == 4096
    except BlockingIOError:
        return False


_shared: tuple[int, CurlEngine] | None = None
_shared_lock = threading.Lock()


def shared_engine() -> CurlEngine:
    """The process's engine, started on first use (again in a forked child)."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared[0] != os.getpid():
            _shared = (os.getpid(), CurlEngine())
        return _shared[1]
