"""Vectors as bytes for the store, and the nearest stored ones to a new vector."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.semantic.types import Vector

__all__ = ["NEAREST", "nearest", "pack", "unpack"]

# Stories whose first report reads most like a new report, looked at beside those sharing a
# key: a report in another language shares no word with its story. Ten is plenty; the
# identity score decides among them.
NEAREST = 10


def pack(vector: Vector) -> bytes:
    """float16, little-endian: 768 bytes for 384 dimensions, cosine error under 1e-3."""
    return vector.astype("<f2").tobytes()


def unpack(data: bytes) -> Vector:
    return np.frombuffer(data, dtype="<f2").astype(np.float32)


def nearest(vector: Vector, stored: Sequence[tuple[int, bytes]], k: int = NEAREST) -> list[int]:
    """Ids of the `k` stored vectors most similar to `vector` (others' dimensions skipped:
    a vector from another model is not comparable)."""
    rows = [(i, unpack(b)) for i, b in stored if len(b) == 2 * vector.shape[0]]
    if not rows or not vector.any():
        return []
    sims = np.vstack([v for _, v in rows]) @ vector
    best = np.argsort(-sims)[:k]
    return [rows[int(n)][0] for n in best]
