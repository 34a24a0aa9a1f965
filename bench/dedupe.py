"""Pairwise precision and recall of "same story" on the labelled dev clusters.

    python bench/dedupe.py

Reads ../shared/data/news-dev.jsonl (never copied into the repo): items sharing a `story` id
are the positive pairs, every other pair is negative, including distinct developments of one
`storyline`. Prints our detector (`bot.dedupe.same_story`) beside an exact-title baseline, the
precision/recall curve of the salient-term rule over its threshold and time gate, sweeps of the
near-duplicate scores, and whether every detected pair shares a lookup key.

`published` is passed only where the data has a full date ("2019-04-18", midnight UTC, or a full
timestamp); a month ("2019-04") or null is unknown, so those pairs can only match by URL, headline
or near-copy text, as in production for an undated feed item.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import dedupe  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "news-dev.jsonl"

Item = dict[str, object]
Pair = tuple[Item, Item, bool]


def load(path: Path = DATA) -> list[Item]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def pairs(items: list[Item]) -> list[Pair]:
    return [(a, b, a["story"] is not None and a["story"] == b["story"])
            for a, b in itertools.combinations(items, 2)]


def published(item: Item) -> datetime | None:
    raw = item.get("published")
    if not isinstance(raw, str) or len(raw) < 10:
        return None   # null or month only: unknown, not a guess
    when = datetime.fromisoformat(raw)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def fp_of(item: Item) -> dedupe.StoryFingerprint:
    return dedupe.fingerprint(str(item["title"] or ""), str(item["summary"]), str(item["url"]),
                              published=published(item))


def score(ps: list[Pair], predict: Callable[[Item, Item], bool]) -> tuple[float, float, int, int]:
    """(precision, recall, true positives, false positives); precision 1.0 when none predicted."""
    tp = fp = 0
    for a, b, same in ps:
        if predict(a, b):
            tp += same
            fp += not same
    positives = sum(same for _, _, same in ps)
    return (tp / (tp + fp) if tp + fp else 1.0, tp / positives if positives else 0.0, tp, fp)


def main() -> int:
    if not DATA.exists():
        print(f"skipped: {DATA} not present (only in the project's workspace)")
        return 0
    items = load()
    ps = pairs(items)
    fps = {str(i["id"]): fp_of(i) for i in items}
    positives = sum(same for _, _, same in ps)
    sibling = sum(1 for a, b, same in ps
                  if not same and a["storyline"] and a["storyline"] == b["storyline"])
    print(f"{len(items)} items, {len(ps)} pairs: {positives} same-story, "
          f"{len(ps) - positives} not (of which {sibling} same-storyline siblings)\n")

    def exact_title(a: Item, b: Item) -> bool:
        ka, kb = (dedupe.title_key(str(x["title"] or "")) for x in (a, b))
        return bool(ka) and ka == kb

    def ours(a: Item, b: Item) -> bool:
        return dedupe.same_story(fps[str(a["id"])], fps[str(b["id"])])

    print(f"{'detector':<34}{'precision':>10}{'recall':>8}{'TP':>5}{'FP':>5}")
    for name, fn in (("exact title (baseline)", exact_title), ("bot.dedupe.same_story", ours)):
        p, r, tp, fp = score(ps, fn)
        print(f"{name:<34}{p:>10.3f}{r:>8.3f}{tp:>5}{fp:>5}")
    sib_fp = sum(1 for a, b, same in ps if not same and a["storyline"]
                 and a["storyline"] == b["storyline"] and ours(a, b))
    print(f"same-storyline siblings merged by same_story: {sib_fp}")
    dated = sum(1 for a, b, same in ps if same and published(a) and published(b))
    print(f"same-story pairs with both dates known: {dated}/{positives} "
          "(the salient-term rule needs both)")

    print(f"\nsalient-term rule alone (dated, >= {dedupe.MIN_SHARED_NAMES} shared names), "
          "by threshold and time gate:")
    gates = (24, 36, 48, 72)
    heads = [f"<= {h} h  P / R (FP)" for h in gates]
    print(f"{'threshold':<12}" + "".join(f"{x:>24}" for x in heads))
    for t in (0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.70):
        cells = []
        for h in gates:
            def fuzzy(a: Item, b: Item, t: float = t, h: int = h) -> bool:
                sc = dedupe.fuzzy_score(fps[str(a["id"])], fps[str(b["id"])], hours=h)
                return sc is not None and sc >= t
            p, r, tp, fp = score(ps, fuzzy)
            cells.append(f"{p:.3f} / {r:.3f} ({fp:>2})")
        mark = "  <- shipped" if t == dedupe.FUZZY else ""
        print(f"{'>= ' + format(t, '.2f'):<12}" + "".join(f"{c:>24}" for c in cells) + mark)
    worst = max(((dedupe.fuzzy_score(fps[str(a["id"])], fps[str(b["id"])]) or 0.0, a["id"], b["id"])
                 for a, b, same in ps if not same), default=(0.0, "", ""))
    print(f"highest-scoring non-duplicate within {dedupe.FUZZY_HOURS} h: {worst[0]:.3f} "
          f"({worst[1]} / {worst[2]})")

    print("\nnear-duplicate score alone (estimated Jaccard of word "
          f"{dedupe.SHINGLE}-shingles, title + summary):")
    print(f"{'threshold':<34}{'precision':>10}{'recall':>8}{'TP':>5}{'FP':>5}")
    for t in (0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        def near(a: Item, b: Item, t: float = t) -> bool:
            return dedupe.jaccard_estimate(fps[str(a["id"])].signature,
                                           fps[str(b["id"])].signature) >= t
        p, r, tp, fp = score(ps, near)
        print(f"{'>= ' + format(t, '.2f'):<34}{p:>10.3f}{r:>8.3f}{tp:>5}{fp:>5}")

    print("\ncontainment alone (share of the shorter text's shingles in the longer):")
    for t in (0.4, 0.5, 0.6, 0.7, 0.8):
        def cont(a: Item, b: Item, t: float = t) -> bool:
            return dedupe.containment_estimate(fps[str(a["id"])], fps[str(b["id"])]) >= t
        p, r, tp, fp = score(ps, cont)
        print(f"{'>= ' + format(t, '.2f'):<34}{p:>10.3f}{r:>8.3f}{tp:>5}{fp:>5}")

    def candidate(a: Item, b: Item) -> bool:
        fa, fb = fps[str(a["id"])], fps[str(b["id"])]
        return bool(set(fa.bands) & set(fb.bands)) or bool(
            fa.url_key and fa.url_key == fb.url_key) or bool(
            fa.title_key and fa.title_key == fb.title_key)
    found = [(a, b) for a, b, _ in ps if ours(a, b)]
    proposed = sum(candidate(a, b) for a, b in found)
    all_cand = sum(candidate(a, b) for a, b, _ in ps)
    most = max(len(f.bands) for f in fps.values())
    print(f"\nlookup keys ({dedupe.BANDS} MinHash bands + name-pair keys, at most {most} per "
          f"article): {proposed}/{len(found)} matched pairs share a key or URL/title key; "
          f"{all_cand}/{len(ps)} pairs are candidates")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
