"""Vectors as bytes for the store."""

from __future__ import annotations

import numpy as np

from bot.semantic.types import Vector

__all__ = ["NEAREST", "pack", "unpack"]

# Stories whose first report reads most like a new report, looked at beside those sharing a
# key: a report in another language shares no word with its story. Ten is plenty; the
# identity score decides among them.
NEAREST = 10


def pack(vector: Vector) -> bytes:
    """float16, little-endian: 768 bytes for 384 dimensions, cosine error under 1e-3."""
    return vector.astype("<f2").tobytes()


def unpack(data: bytes) -> Vector:
    return np.frombuffer(data, dtype="<f2").astype(np.float32)
