"""The labelled dev items, as every benchmark and fitting script reads them.

Both files in ../shared/data (never copied into the repo): news-dev.jsonl (104 items) and
news-dev-2.jsonl (183), 287 in all. `folds` splits them by storyline, so that no event is in
both the part a script fits and the part it scores: an item's group is its storyline, else its
story, else the item itself.
"""

from __future__ import annotations

import calendar
import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
FILES = ("news-dev.jsonl", "news-dev-2.jsonl")
TOPICS = ("summits", "sanctions")

Item = dict[str, object]


def available() -> bool:
    return all((SHARED / name).exists() for name in FILES)


def load(files: tuple[str, ...] = FILES) -> list[Item]:
    items: list[Item] = []
    for name in files:
        with (SHARED / name).open(encoding="utf-8") as f:
            items += [{**json.loads(line), "file": name} for line in f if line.strip()]
    return items


def group(item: Item) -> str:
    return str(item.get("storyline") or item.get("story") or item["id"])


def folds(items: list[Item], k: int = 5, seed: int = 0) -> dict[str, int]:
    """group -> fold number, groups shuffled with a fixed seed."""
    groups = sorted({group(i) for i in items})
    random.Random(seed).shuffle(groups)
    return {g: n % k for n, g in enumerate(groups)}


def published(item: Item) -> tuple[datetime, datetime | None] | None:
    """(earliest, latest) publication time the data allows; latest None = an exact time.
    "2019-04-18" is that whole UTC day, "2019-04" the month, null nothing."""
    raw = item.get("published")
    if not isinstance(raw, str) or len(raw) < 7:
        return None
    if len(raw) == 7:
        year, month = int(raw[:4]), int(raw[5:])
        start = datetime(year, month, 1, tzinfo=UTC)
        return start, start + timedelta(days=calendar.monthrange(year, month)[1])
    when = datetime.fromisoformat(raw)
    if len(raw) == 10:
        return when.replace(tzinfo=UTC), when.replace(tzinfo=UTC) + timedelta(days=1)
    return (when if when.tzinfo else when.replace(tzinfo=UTC)), None


def prf(pred: list[bool], gold: list[bool]) -> tuple[float, float, float]:
    tp = sum(p and g for p, g in zip(pred, gold, strict=True))
    fp = sum(p and not g for p, g in zip(pred, gold, strict=True))
    fn = sum(g and not p for p, g in zip(pred, gold, strict=True))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def auc(pos: Sequence[float], neg: Sequence[float]) -> float:
    """The chance that a positive scores above a negative (ties count half)."""
    p, n = np.asarray(pos, dtype=float)[:, None], np.asarray(neg, dtype=float)[None, :]
    return float((p > n).mean() + 0.5 * (p == n).mean())
