"""A topic's `meaning:` (what it is about, in sentences) and the `semantic:` section."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import bot.config.values as v
from bot.config.source import Ctx, key_line
from bot.semantic import MODELS
from bot.settings import MIN_SCORE, VETO_BELOW, Meaning

__all__ = ["MEANING_KEYS", "meaning", "semantic_model"]

MEANING_KEYS = {"description", "examples", "counter_examples", "min_score", "veto_below"}


def _score(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ValueError(f"expected a score between 0 and 1, such as 0.7, got {value!r}")
    return float(value)


def meaning(ctx: Ctx, node: Any, key: str) -> Meaning | None:
    """`topics.NAME.meaning`: description and examples, with optional counter-examples and
    the two scores the decision uses (docs/semantic.md)."""
    sub = node.get("meaning")
    if not sub:
        return None
    ctx.keys(sub, MEANING_KEYS, f"{key}.meaning.", key_line(node, "meaning"))
    key = f"{key}.meaning"
    description = ctx.value(sub, "description", str, "", f"{key}.description").strip()
    examples = ctx.value(sub, "examples", v.string_list, (), f"{key}.examples")
    if not examples:
        raise ctx.error(f"{key}.examples", "a meaning needs a few example sentences: "
                        "examples: [\"...\", \"...\"] (in any language)",
                        key_line(node, "meaning"))
    found = Meaning(
        description=description, examples=examples,
        counter_examples=ctx.value(sub, "counter_examples", v.string_list, (),
                                   f"{key}.counter_examples"),
        min_score=ctx.value(sub, "min_score", _score, MIN_SCORE, f"{key}.min_score"),
        veto_below=ctx.value(sub, "veto_below", _score, VETO_BELOW, f"{key}.veto_below"))
    if found.veto_below > found.min_score:
        raise ctx.error(f"{key}.veto_below", f"must not exceed min_score ({found.min_score:g}):"
                        " a query match would be dropped where the meaning alone matches",
                        key_line(sub, "veto_below"))
    return found


def semantic_model(ctx: Ctx, doc: Mapping[str, Any]) -> str:
    """`semantic: {model: auto | off}`: the bundled encoder when it loads, or none."""
    section = ctx.mapping(doc, "semantic", {"model"})

    def model(value: object) -> str:
        if value not in MODELS:
            raise ValueError(f"expected one of {', '.join(MODELS)}, got {value!r}")
        return str(value)

    return ctx.value(section, "model", model, "auto", "semantic.model")
