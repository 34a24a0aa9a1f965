"""The semantic signal as the pipeline uses it: an item's vector, and a topic's meaning as a
scorer (fitted once per set of sentences, whatever the number of reloads)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from bot.semantic.background import BACKGROUND
from bot.semantic.cache import SentenceCache
from bot.semantic.classifier import MeaningScorer
from bot.semantic.types import Encoder, Vector

__all__ = ["LazyVector", "Semantic", "item_text"]


def item_text(title: str | None, text: str | None) -> str:
    """What is embedded of an item: the headline, then the lede (the encoder keeps a prefix)."""
    title, text = (title or "").strip(), (text or "").strip()
    if title and text:
        return f"{title}. {text}" if title[-1:].isalnum() else f"{title} {text}"
    return title or text


class Semantic:
    """One encoder, its sentence cache and the meanings fitted with it."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self.name = encoder.name
        self.cache = SentenceCache(encoder)
        self._scorers: dict[tuple[tuple[str, ...], tuple[str, ...]], MeaningScorer] = {}
        self._lock = threading.Lock()

    def item_vector(self, title: str | None, text: str | None) -> Vector:
        return self.encoder.encode([item_text(title, text)])[0]

    def scorer(self, positives: Sequence[str], negatives: Sequence[str]) -> MeaningScorer:
        """A topic's meaning: its description and examples against its counter-examples and
        the everyday `BACKGROUND`."""
        key = (tuple(positives), tuple(negatives))
        with self._lock:
            known = self._scorers.get(key)
        if known is None:
            pos = self.cache.vectors(positives)
            neg = self.cache.vectors([*negatives, *BACKGROUND])
            known = MeaningScorer.fit(pos, neg)
            with self._lock:
                self._scorers[key] = known
        return known


class LazyVector:
    """An item's vector, computed on the first call (a topic's meaning or the story lookup
    asks for it) and remembered; None without the semantic signal. Most items are never
    embedded: no meaning is cued and no story is looked up for them."""

    def __init__(self, semantic: Semantic | None, title: str | None, text: str | None) -> None:
        self._semantic, self._title, self._text = semantic, title, text
        self._vector: Vector | None = None
        self._done = False

    def __call__(self) -> Vector | None:
        if not self._done and self._semantic is not None:
            self._vector = self._semantic.item_vector(self._title, self._text)
        self._done = True
        return self._vector
