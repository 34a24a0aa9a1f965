"""A topic's `meaning:` (what it is about, in sentences) and the `semantic:` section."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import bot.config.values as v
from bot.config.source import Ctx, key_line
from bot.semantic import MODELS
from bot.settings import MIN_SCORE, VETO_BELOW, Meaning

__all__ = ["MEANING_KEYS", "meaning", "semantic_model"]

MEANING_KEYS = {"description", "examples", "counter_examples", "min_score", "veto_below",
                "foreign_min_score"}


def _score(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ValueError(f"expected a score between 0 and 1, such as 0.7, got {value!r}")
    return float(value)


def meaning(ctx: Ctx, node: Any, key: str) -> Meaning | None:
    """`topics.NAME.meaning`: description and examples, with optional counter-examples and
    the scores the decision uses (docs/semantic.md)."""
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
        veto_below=ctx.value(sub, "veto_below", _score, VETO_BELOW, f"{key}.veto_below"),
        foreign_min_score=ctx.value(sub, "foreign_min_score", _score, None,
                                    f"{key}.foreign_min_score"))
    for name, bar in (("min_score", found.min_score), ("foreign_min_score",
                                                       found.foreign_min_score)):
        if bar is None or found.veto_below <= bar:
            continue
        why = "a query match would be dropped where the meaning alone matches"
        if "veto_below" in sub:      # name the key the operator wrote, not a default
            raise ctx.error(f"{key}.veto_below", f"must not exceed {name} ({bar:g}): {why}",
                            key_line(sub, "veto_below"))
        raise ctx.error(f"{key}.{name}", f"must not be below veto_below "
                        f"({found.veto_below:g}): {why}", key_line(sub, name))
    return found


def semantic_model(ctx: Ctx, doc: Mapping[str, Any]) -> str:
    """`semantic: {model: auto | off}`: the bundled encoder when it loads, or none."""
    section = ctx.mapping(doc, "semantic", {"model"})

    def model(value: object) -> str:
        if value not in MODELS:
            raise ValueError(f"expected one of {', '.join(MODELS)}, got {value!r}")
        return str(value)

    return ctx.value(section, "model", model, "auto", "semantic.model")
