"""Stories' vectors kept in memory between lookups (`VectorIndex`), and the nearest of them.

A report in another language shares no word with its story, so the pipeline also looks up the
stories whose first report reads most like it. Reading every vector of the dedupe window from
the store for each report cost O(stories in the window) per report: at 30,000 stories in the
window (a busy deployment's three days) 277 ms a lookup, more than embedding the report
(`python bench/semantic.py lookup`). The index keeps them unpacked in one matrix, and
takes from the store only what was opened since it last looked (`fresh_since`), with a margin:
a story's `created_at` is its poll's clock, and a poll that started earlier may commit later,
in this process or another one sharing the database.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

import numpy as np

from bot.semantic.codec import NEAREST, unpack
from bot.semantic.types import Vector

__all__ = ["MARGIN", "VectorIndex"]

# How far before the newest story it holds the index asks the store again: longer than a poll
# of one feed takes from reading its clock to committing its stories.
MARGIN = timedelta(minutes=15)


class VectorIndex:
    """Story id -> unit vector, for the stories opened within the window; thread-safe.

    Rows are appended in about the order stories were opened, so those that leave the window
    are at the front: `add` moves the start past them, and a row that came late (within
    `MARGIN`) and has already left is masked at lookup. The arrays double when full, keeping
    only the live rows."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = np.empty(0, np.int64)
        self._when = np.empty(0, np.float64)        # created_at, as POSIX seconds
        self._matrix = np.empty((0, 0), np.float32)
        self._start = self._end = 0
        self._known: set[int] = set()
        self._cut = -np.inf                          # the window's start, as POSIX seconds
        self._newest: datetime | None = None

    def __len__(self) -> int:
        return self._end - self._start

    def fresh_since(self, since: datetime) -> datetime:
        """From when to read the store: the window's start, or `MARGIN` before the newest
        story held, whichever is later."""
        newest = self._newest
        return since if newest is None else max(since, newest - MARGIN)

    def add(self, rows: Iterable[tuple[int, datetime, bytes]], since: datetime) -> None:
        """Take stories read from the store (id, created_at, packed vector) that it does not
        hold yet, and let go of those opened before `since` (out of the window). The first
        vector sets the size; a vector of another size (another model's) is skipped."""
        with self._lock:
            for story_id, when, data in rows:
                if story_id in self._known:     # read again within the margin
                    continue
                vector = unpack(data)
                if not self._fits(vector):
                    continue
                self._append(story_id, when.timestamp(), vector)
                self._known.add(story_id)
                self._newest = when if self._newest is None else max(self._newest, when)
            self._cut = since.timestamp()
            while self._start < self._end and self._when[self._start] < self._cut:
                self._known.discard(int(self._ids[self._start]))
                self._start += 1

    def nearest(self, vector: Vector, k: int = NEAREST) -> list[int]:
        """Ids of the (at most) `k` stories whose vectors are most similar to `vector`."""
        with self._lock:
            if self._start == self._end or not vector.any() or not self._fits(vector):
                return []
            live = slice(self._start, self._end)
            sims = self._matrix[live] @ vector
            sims[self._when[live] < self._cut] = -np.inf
            top = np.argpartition(-sims, k)[:k] if len(sims) > k else np.arange(len(sims))
            best = top[np.argsort(-sims[top])]
            return [int(self._ids[self._start + n]) for n in best if np.isfinite(sims[n])]

    def _fits(self, vector: Vector) -> bool:
        if self._matrix.shape[1] == 0:
            self._matrix = np.empty((0, vector.shape[0]), np.float32)
        return vector.shape == (self._matrix.shape[1],)

    def _append(self, story_id: int, when: float, vector: Vector) -> None:
        if self._end == len(self._ids):      # full: keep the live rows, with room to grow
            live = slice(self._start, self._end)
            size = self._end - self._start
            room = max(64, 2 * size)
            ids, stamps = np.empty(room, np.int64), np.empty(room, np.float64)
            matrix = np.empty((room, self._matrix.shape[1]), np.float32)
            ids[:size], stamps[:size], matrix[:size] = (
                self._ids[live], self._when[live], self._matrix[live])
            self._ids, self._when, self._matrix = ids, stamps, matrix
            self._start, self._end = 0, size
        self._ids[self._end], self._when[self._end] = story_id, when
        self._matrix[self._end] = vector
        self._end += 1
