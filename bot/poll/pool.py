"""`FeedPool`: `bot.feedwork.fetch_parse` with the parsing in worker processes.

Parsing holds the GIL (feedparser is pure Python; feedparser-rs still builds Python
objects), so it runs in workers. The fetch stays in the calling polling thread: most polls
end in a 304 or an unchanged body, and those then cost no trip to a worker and back, which
cost more CPU than the request itself (about 0.6 ms per poll across both processes,
`python bench/poll.py`). A worker runs `threads` parses at once over a small pipe protocol
(a ProcessPoolExecutor's workers take one task at a time, and the pipe carries bodies up to
the size cap).

    main: poll thread ─► fetch ─► 200, new body? ─► pipe ─► worker: thread ─► parse_fetched
          reader thread ◄─ (task id, result | failure) ◄─┘

The worker's side is `bot.feedwork.serve`: a worker imports only what parsing needs.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import os
import threading
from concurrent.futures import Future
from dataclasses import replace
from typing import Any

from bot.errors import ParseError
from bot.feedwork import Failure, FetchParsed, fetch_parse, parse_fetched, serve
from bot.models import Fetched, NotModified

log = logging.getLogger("newsbot.feedpool")


class _WorkerDied(Exception):
    pass


class _Worker:
    def __init__(self, mp: Any, threads: int) -> None:
        self.conn, child = mp.Pipe()
        self.process = mp.Process(target=serve, args=(child, threads), daemon=True,
                                  name="newsbot-feeds")
        self.process.start()
        child.close()
        self.lock = threading.Lock()
        self.pending: dict[int, Future[Any]] = {}
        self.alive = True
        threading.Thread(target=self._read, daemon=True, name="feedpool-reader").start()

    def submit(self, task_id: int, call: dict[str, Any]) -> Future[Any]:
        """The body goes after the pickled call, as raw bytes: pickled with it, a big feed
        was held twice more on each side of the pipe (the pickle, then the bytes out of it:
        `python bench/memory.py --feeds 20`)."""
        fut: Future[Any] = Future()
        result: Fetched = call["result"]
        call = {**call, "result": replace(result, body=b"")}
        with self.lock:     # one writer on the pipe at a time
            if not self.alive:
                raise _WorkerDied
            self.pending[task_id] = fut
            try:
                self.conn.send((task_id, call))
                self.conn.send_bytes(result.body)
            except OSError:
                del self.pending[task_id]
                raise _WorkerDied from None
        return fut

    def _read(self) -> None:
        try:
            while True:
                task_id, out = self.conn.recv()
                with self.lock:
                    fut = self.pending.pop(task_id)
                fut.set_result(out)
        except (EOFError, OSError):
            pass
        with self.lock:
            self.alive = False
            pending, self.pending = self.pending, {}
        for fut in pending.values():
            fut.set_exception(_WorkerDied())

    def stop(self, timeout: float) -> None:
        with self.lock, contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(1)
        self.conn.close()


class FeedPool:
    """`bot.feedwork.fetch_parse`, callable the same way: fetches here with `session`, then
    parses a new body in the least busy worker."""

    INLINE_BYTES = 256 * 1024

    def __init__(self, processes: int | None = None, threads: int = 2) -> None:
        self.processes = processes or min(os.cpu_count() or 1, 4)
        self.threads = threads
        # forkserver: safe beside threads (fork is not); workers import bot.feedwork once.
        self._mp = multiprocessing.get_context(
            "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn")
        if self._mp.get_start_method() == "forkserver":
            self._mp.set_forkserver_preload(["bot.feedwork"])
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self._workers = [_Worker(self._mp, threads) for _ in range(self.processes)]

    def __call__(self, url: str, **call: Any) -> NotModified | FetchParsed:
        return fetch_parse(url, **call, parse_with=self._parse)

    def _parse(self, result: Fetched, **call: Any) -> FetchParsed:
        """`parse_fetched` in the least busy worker, or here when it is light: a feed with
        history (`known` keys: its entries seen before are read briefly) and a body under
        `INLINE_BYTES`. Such a parse costs about 1.2 ms, and a worker's round trip (pickling,
        the pipe, waking a thread in each process) about 1 ms more (`python bench/poll.py`);
        first polls and big bodies, the heavy parses, are what the workers are for."""
        if call.get("known") and len(result.body) <= self.INLINE_BYTES:
            return parse_fetched(result, **call)
        url = result.url
        with self._lock:
            for i, w in enumerate(self._workers):
                if not w.alive:     # died (out of memory?) since the last call: replace it
                    w.stop(0)
                    self._workers[i] = _Worker(self._mp, self.threads)
            worker = min(self._workers, key=lambda w: len(w.pending))
            task_id = next(self._ids)
        try:
            out = worker.submit(task_id, {"result": result, **call}).result()
        except _WorkerDied:
            log.error("a feed parsing process died (%s); starting a new one", url)
            raise ParseError(url, "the worker process died on this feed (out of memory?); "
                                  "it will be retried, report the feed if it persists") from None
        if isinstance(out, Failure):
            raise out.error()
        if isinstance(out, str):
            raise RuntimeError(f"in a feed worker process:\n{out}")
        return out

    def pids(self) -> list[int]:
        return [w.process.pid for w in self._workers if w.process.pid]

    def close(self, timeout: float = 10) -> None:
        """Let the calls in flight finish (up to `timeout`), then stop every worker."""
        for w in self._workers:
            w.stop(timeout)
