"""The poll cycle with the curl engine: this thread sends every feed's request and handles
each 304 itself; only the feeds whose answer needs work go to the polling threads.

Why: with a thread per request, a warm cycle spent most of its CPU on the polling threads
handing the GIL around blocking socket calls, not on HTTP (docs/polling.md, "Where the
warm cycle goes"). Here the requests of all polling threads go out through libcurl's multi
interface (`bot.fetch.curl`), and the 304s (most polls) never wake a thread.

    mux_cycle: claim (gate) ─► fetch.send ─► curl engine thread ─┐
        ▲          events ◄── answer ◄───────────────────────────┘
        ├─ 304: refresh_feed here (fetch takes the held answer: no request, no wait)
        └─ else: a polling thread runs refresh_feed (fetch takes the held 200, or the
           error, or asks again through urllib3; parsing in worker processes) ─► report

The limits are the threaded cycle's: at most `workers` feeds in progress at once (from the
claim until their report), at most `per_host` of them on one host (`HostLimiter`'s rule),
and hosts taken in turn (`by_host_round_robin`).
"""

from __future__ import annotations

import queue
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any

from bot.fetch import Outcome, send, shared_session
from bot.models import FeedState
from bot.pipeline import Context, FeedReport
from bot.settings import FeedConfig

Gate = Callable[[str], AbstractContextManager[bool]]
Poll = Callable[[Context, FeedConfig, Callable[[], datetime], FeedState | None], FeedReport]


class MuxCycle:
    """One cycle's bookkeeping; `run` returns when every feed has its report."""

    def __init__(self, ctx: Context, feeds: Sequence[FeedConfig], states: dict[str, FeedState],
                 *, workers: int, per_host: int, gate: Gate | None,
                 clock: Callable[[], datetime], poll: Poll,
                 report: Callable[[FeedReport], object], host_key: Callable[[str], str]) -> None:
        self.ctx, self.states, self.gate, self.clock = ctx, states, gate, clock
        self.workers, self.per_host, self.poll, self.report = workers, per_host, poll, report
        self.session = ctx.session or shared_session()
        self.engine = self.session.engine()
        self.host_key = host_key
        self.waiting: dict[str, deque[FeedConfig]] = {}
        for feed in feeds:
            self.waiting.setdefault(host_key(feed.url), deque()).append(feed)
        self.busy: Counter[str] = Counter()
        self.claims: dict[str, tuple[AbstractContextManager[bool], str]] = {}
        self.events: queue.SimpleQueue[tuple[FeedConfig, bool, Any]] = queue.SimpleQueue()

    def run(self) -> None:
        try:
            with ThreadPoolExecutor(self.workers, thread_name_prefix="poll") as pool:
                try:
                    while self.waiting or self.claims:
                        self._start_more()
                        if self.events.empty() and self.claims:
                            self.engine.step()      # until an answer, a report or a timeout
                        while not self.events.empty():
                            self._handle(pool, *self.events.get())
                finally:        # after a bug: no claim is kept, no answer is held
                    for url in list(self.claims):
                        self._release(url)
        finally:                # once no polling thread can wake it any more
            self.engine.close()

    def _handle(self, pool: ThreadPoolExecutor, feed: FeedConfig, answered: bool,
                payload: Any) -> None:
        if not answered:
            self._finish(feed, payload)
        elif isinstance(payload, tuple) and payload[0] == 304:
            self._finish(feed, self._poll(feed))    # cheap: no thread for it
        else:
            pool.submit(self._poll_and_report, feed)

    def _poll_and_report(self, feed: FeedConfig) -> None:
        """In a polling thread: poll, then hand the report to `run`, waking it."""
        self.events.put((feed, False, self._poll(feed)))
        self.engine.wake()

    def _start_more(self) -> None:
        """Claim and send feeds, hosts in turn, while the limits allow (a feed another
        process holds takes no place)."""
        started = True
        while started and self.waiting:
            started = False
            for host in list(self.waiting):
                if len(self.claims) >= self.workers:
                    return
                if self.busy[host] >= self.per_host:
                    continue
                feed = self.waiting[host].popleft()
                if not self.waiting[host]:
                    del self.waiting[host]
                self._start(feed, host)
                started = True

    def _start(self, feed: FeedConfig, host: str) -> None:
        gate = self.gate(feed.url) if self.gate else nullcontext(True)
        if not gate.__enter__():
            gate.__exit__(None, None, None)
            self.report(FeedReport(url=feed.url, outcome="skipped"))  # another process has it
            return
        state = self.states.get(feed.url)
        url = (state.moved_to if state else None) or feed.url     # as refresh_feed polls it
        self.claims[feed.url] = (gate, url)
        self.busy[host] += 1

        def answered(outcome: Outcome) -> None:
            self.events.put((feed, True, outcome))

        send(url, etag=state.etag if state else None,
             last_modified=state.last_modified if state else None,
             limits=self.ctx.limits_for(feed), session=self.session, engine=self.engine,
             done=answered)

    def _poll(self, feed: FeedConfig) -> FeedReport:
        return self.poll(self.ctx, feed, self.clock, self.states.get(feed.url))

    def _finish(self, feed: FeedConfig, report: FeedReport) -> None:
        self._release(feed.url)
        self.busy[self.host_key(feed.url)] -= 1
        self.report(report)

    def _release(self, url: str) -> None:
        gate, fetched = self.claims.pop(url)
        self.session.drop(fetched)      # an answer its fetch did not take (a bug, a skip)
        gate.__exit__(None, None, None)


def mux_cycle(ctx: Context, feeds: Sequence[FeedConfig], states: dict[str, FeedState], *,
              workers: int, per_host: int, gate: Gate | None, clock: Callable[[], datetime],
              poll: Poll, report: Callable[[FeedReport], object],
              host_key: Callable[[str], str]) -> None:
    """Poll every feed of `feeds` once (see the module docstring); `report` gets each
    feed's report, in this thread, as it is done."""
    MuxCycle(ctx, feeds, states, workers=workers, per_host=per_host, gate=gate, clock=clock,
             poll=poll, report=report, host_key=host_key).run()

