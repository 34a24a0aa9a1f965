"""The stories' vectors in memory (bot.semantic.VectorIndex): nearest by similarity, only
what the window holds, each story once, read from the store only since it last looked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from bot.semantic import VectorIndex, pack
from bot.semantic.index import MARGIN

T0 = datetime(2030, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
RNG = np.random.default_rng(7)
VECTORS = RNG.normal(size=(6, 16)).astype(np.float32)
VECTORS /= np.linalg.norm(VECTORS, axis=1, keepdims=True)


def rows(*ids: int, at: datetime = T0) -> list[tuple[int, datetime, bytes]]:
    return [(i, at + i * HOUR, pack(VECTORS[i])) for i in ids]


@pytest.mark.parametrize(("why", "held", "since", "query", "k", "found"), [
    ("the most similar first, its own vector the nearest", (0, 1, 2, 3), T0, 2, 2, "2,..."),
    ("all of them ranked, at most k", (0, 1, 2, 3), T0, 2, 10, "ranked"),
    ("stories opened before the window are gone", (0, 1, 2, 3), T0 + 2 * HOUR, 0, 10, "2,3"),
    ("a zero vector has no neighbours", (0, 1), T0, None, 10, ""),
    ("nothing held, nothing found", (), T0, 1, 10, ""),
])
def test_nearest_ranks_the_stories_in_the_window_by_similarity(
        why: str, held: tuple[int, ...], since: datetime, query: int | None, k: int,
        found: str) -> None:
    index = VectorIndex()
    index.add(rows(*held), since)
    vector = VECTORS[query] if query is not None else np.zeros(16, np.float32)
    got = index.nearest(vector, k=k)
    if found == "ranked":
        assert got == sorted(held, key=lambda i: -float(VECTORS[i] @ vector)), why
    elif found.endswith("..."):
        assert got[0] == int(found.split(",")[0]) and len(got) == k, why
    else:
        assert sorted(got) == [int(i) for i in found.split(",") if i], why


def test_each_story_is_held_once_and_the_store_is_asked_only_for_what_is_new() -> None:
    index = VectorIndex()
    assert index.fresh_since(T0) == T0                       # empty: the whole window
    index.add(rows(0, 1, 2), T0)
    index.add(rows(1, 2), T0)                                # read again within the margin
    assert len(index) == 3
    assert index.fresh_since(T0) == T0 + 2 * HOUR - MARGIN  # newest held, less the margin
    assert index.fresh_since(T0 + 3 * HOUR) == T0 + 3 * HOUR


def test_a_vector_of_another_size_is_skipped() -> None:
    index = VectorIndex()
    index.add([*rows(0), (9, T0, pack(np.ones(8, np.float32) / np.sqrt(8)))], T0)
    assert len(index) == 1
    assert index.nearest(np.ones(8, np.float32)) == []


def test_it_grows_past_its_first_room_and_lets_old_stories_go_in_order() -> None:
    index = VectorIndex()
    many = RNG.normal(size=(300, 16)).astype(np.float32)
    many /= np.linalg.norm(many, axis=1, keepdims=True)
    for n in range(300):
        minute = T0 + timedelta(minutes=n)
        index.add([(n, minute, pack(many[n]))], minute - timedelta(minutes=99))
    assert len(index) == 100                                 # minutes 200..299 in the window
    assert index.nearest(many[250], k=1) == [250]
    assert index.nearest(many[150], k=1) != [150]            # it left the window
    # A story that came late (within the margin) but was opened before the window: not found.
    index.add([(1000, T0, pack(many[250]))], T0 + timedelta(minutes=200))
    assert 1000 not in index.nearest(many[250], k=5)
