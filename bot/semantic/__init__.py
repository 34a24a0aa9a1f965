"""The semantic stage: a multilingual sentence encoder whose weights ship inside a package
(`load_semantic()`), an item's vector (`Semantic.item_vector`, `LazyVector`), what a topic's
example sentences mean (`Semantic.scorer`), vectors as bytes, and the stories' vectors
in memory for the nearest ones (`VectorIndex`).
Only this package imports the encoder."""

from bot.semantic.classifier import logistic
from bot.semantic.codec import NEAREST, pack, unpack
from bot.semantic.encoder import MAX_CHARS
from bot.semantic.index import VectorIndex
from bot.semantic.load import MODELS, load_semantic
from bot.semantic.signal import LazyVector, Semantic, item_text
from bot.semantic.types import Encoder, Vector

__all__ = ["MAX_CHARS", "MODELS", "NEAREST", "Encoder", "LazyVector", "Semantic", "Vector",
           "VectorIndex", "item_text", "load_semantic", "logistic", "pack", "unpack"]
