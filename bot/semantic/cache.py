"""Sentence vectors remembered: the background and the shipped topics' examples come
precomputed in `vectors.npz` (so fitting the shipped meanings at start costs milliseconds, not
the seconds of embedding 150 sentences), and whatever else is embedded for a meaning is kept
in memory for the next config reload.

Regenerate after editing `BACKGROUND` or the shipped topics' `meaning:` sentences:

    python bench/fit_meaning.py --write-vectors     # writes bot/semantic/vectors.npz

tests/semantic checks that the file covers every shipped sentence and matches the encoder.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from bot.semantic.types import Encoder, Vector

__all__ = ["PACKAGED", "SentenceCache", "sentence_key", "write"]

PACKAGED = Path(__file__).with_name("vectors.npz")


def sentence_key(model: str, sentence: str) -> str:
    """A fixed key per (model, sentence): vectors of another model are never mixed in."""
    return hashlib.blake2b(f"{model}\x1f{sentence}".encode(), digest_size=10).hexdigest()


class SentenceCache:
    """sentence -> vector for one encoder, seeded from the packaged file."""

    def __init__(self, encoder: Encoder, packaged: Path = PACKAGED) -> None:
        self.encoder = encoder
        self._lock = threading.Lock()
        self._known: dict[str, Vector] = {}
        if packaged.exists():
            with np.load(packaged, allow_pickle=False) as z:
                self._known = {k: z[k].astype(np.float32) for k in z.files}

    def vectors(self, sentences: Iterable[str]) -> Vector:
        """One row per sentence, embedding only those not seen before."""
        sentences = list(sentences)
        keys = [sentence_key(self.encoder.name, s) for s in sentences]
        with self._lock:
            missing = list(dict.fromkeys(s for s, k in zip(sentences, keys, strict=True)
                                         if k not in self._known))
        if missing:
            fresh = self.encoder.encode(missing)
            with self._lock:
                for s, row in zip(missing, fresh, strict=True):
                    self._known[sentence_key(self.encoder.name, s)] = row
        with self._lock:
            rows = [self._known[k] for k in keys]
        return np.vstack(rows) if rows else np.zeros((0, self.encoder.dim), np.float32)


def write(sentences: Iterable[str], encoder: Encoder, path: Path = PACKAGED) -> int:
    """Embed `sentences` and store them as the packaged cache (float16: half the bytes,
    cosine error under 1e-3)."""
    unique = list(dict.fromkeys(sentences))
    rows = encoder.encode(unique)
    np.savez_compressed(path, **{sentence_key(encoder.name, s): r.astype(np.float16)
                                 for s, r in zip(unique, rows, strict=True)})
    return len(unique)

