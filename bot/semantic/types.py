"""What the semantic package shares: a sentence vector and the encoder protocol."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

__all__ = ["Encoder", "Vector"]

# One L2-normalised float32 sentence embedding; a matrix of them is (n, dim).
Vector = npt.NDArray[np.float32]


class Encoder(Protocol):
    """Turns texts into L2-normalised vectors; cosine similarity is then a dot product."""

    name: str       # model id: stored vectors from another model are not comparable
    dim: int

    def encode(self, texts: list[str]) -> Vector:
        """(len(texts), dim) float32, one row per text, each of unit length (or all zero
        for a text with nothing to embed)."""
        ...
