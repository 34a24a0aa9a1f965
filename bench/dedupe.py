"""Pairwise precision and recall of "same story" on the labelled dev clusters.

    python bench/dedupe.py

Reads ../shared/data/news-dev.jsonl (never copied into the repo): items sharing a `story` id
are the positive pairs, every other pair is negative, including distinct developments of one
`storyline`. Prints our detector (`bot.dedupe.same_story`) beside an exact-title baseline,
the precision/recall curve of the salient-term rule over its threshold and time gate, the missed
pairs (ids and numbers only), sweeps of the near-duplicate scores, and whether every detected
pair shares a lookup key.

Dates are intervals of what the data knows: "2019-04-18" is that whole UTC day, a timestamp an
instant, "2019-04" the month, null nothing. Production always has a time (the feed's, or when
the item was first seen), so an unknown date is a gap in the *data*, and the bench shows two
readings of it:

- "undated: no time evidence" (the headline): a null or month-only date opens no time gate,
  exactly what `same_story` does when it is given no usable time. A lower bound on recall:
  in production those reports would be dated.
- "undated: arrived together": a report the data cannot place within a day (null or month) is
  taken to have arrived with whatever report it is compared with, as the pipeline's
  `published or now` assumes for undated feed items. An upper bound on recall and a lower bound
  on precision: it also puts the report beside siblings that were days or a year away, which no
  single arrival time could do, and which the store's 72 h window would never compare.
"""

from __future__ import annotations

import calendar
import dataclasses
import itertools
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.dedupe import story as dedupe
from bot.dedupe.terms import overlap, shared_names

DATA = ROOT.parent / "shared" / "data" / "news-dev.jsonl"
WINDOW = timedelta(hours=72)   # the store's default dedupe window

Item = dict[str, object]
Pair = tuple[Item, Item, bool]
Fps = dict[str, dedupe.StoryFingerprint]


def load(path: Path = DATA) -> list[Item]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def pairs(items: list[Item]) -> list[Pair]:
    return [(a, b, a["story"] is not None and a["story"] == b["story"])
            for a, b in itertools.combinations(items, 2)]


def published(item: Item) -> tuple[datetime, datetime | None] | None:
    """(earliest, latest) publication time the data allows; latest None = an exact time."""
    raw = item.get("published")
    if not isinstance(raw, str) or len(raw) < 7:
        return None
    if len(raw) == 7:                       # "2019-04": the whole month
        year, month = int(raw[:4]), int(raw[5:])
        start = datetime(year, month, 1, tzinfo=UTC)
        return start, start + timedelta(days=calendar.monthrange(year, month)[1])
    when = datetime.fromisoformat(raw)
    if len(raw) == 10:                      # "2019-04-18": the whole UTC day
        return when.replace(tzinfo=UTC), when.replace(tzinfo=UTC) + timedelta(days=1)
    return (when if when.tzinfo else when.replace(tzinfo=UTC)), None


def fp_of(item: Item) -> dedupe.StoryFingerprint:
    start, until = published(item) or (None, None)
    return dedupe.fingerprint(str(item["title"] or ""), str(item["summary"]), str(item["url"]),
                              published=start, published_until=until)


def _placed(fp: dedupe.StoryFingerprint) -> bool:
    # Known to within a day: the only dates that can open the gate.
    if fp.published is None:
        return False
    return fp.published_until is None or (
        fp.published_until - fp.published <= timedelta(hours=dedupe.SPREAD_HOURS))


def together(a: dedupe.StoryFingerprint, b: dedupe.StoryFingerprint
             ) -> tuple[dedupe.StoryFingerprint, dedupe.StoryFingerprint]:
    """The "arrived together" reading: an unplaced date becomes the other report's time."""
    if not _placed(a) and not _placed(b):
        t = datetime(2000, 1, 1, tzinfo=UTC)
        return (dataclasses.replace(a, published=t, published_until=None),
                dataclasses.replace(b, published=t, published_until=None))
    if not _placed(a):
        a = dataclasses.replace(a, published=b.published, published_until=b.published_until)
    if not _placed(b):
        b = dataclasses.replace(b, published=a.published, published_until=a.published_until)
    return a, b


def score(ps: list[Pair], predict: Callable[[Item, Item], bool]) -> tuple[float, float, int, int]:
    """(precision, recall, true positives, false positives); precision 1.0 when none predicted."""
    tp = fp = 0
    for a, b, same in ps:
        if predict(a, b):
            tp += same
            fp += not same
    positives = sum(same for _, _, same in ps)
    return (tp / (tp + fp) if tp + fp else 1.0, tp / positives if positives else 0.0, tp, fp)


def row(name: str, ps: list[Pair], fn: Callable[[Item, Item], bool]) -> None:
    p, r, tp, fp = score(ps, fn)
    print(f"{name:<46}{p:>10.3f}{r:>8.3f}{tp:>5}{fp:>5}")


def main() -> int:
    if not DATA.exists():
        print(f"skipped: {DATA} not present (only in the project's workspace)")
        return 0
    items = load()
    ps = pairs(items)
    fps: Fps = {str(i["id"]): fp_of(i) for i in items}

    def f2(a: Item, b: Item) -> tuple[dedupe.StoryFingerprint, dedupe.StoryFingerprint]:
        return fps[str(a["id"])], fps[str(b["id"])]

    positives = sum(same for _, _, same in ps)
    sibling = sum(1 for a, b, same in ps
                  if not same and a["storyline"] and a["storyline"] == b["storyline"])
    print(f"{len(items)} items, {len(ps)} pairs: {positives} same-story, "
          f"{len(ps) - positives} not (of which {sibling} same-storyline siblings)\n")

    def exact_title(a: Item, b: Item) -> bool:
        ka, kb = (dedupe.title_key(str(x["title"] or "")) for x in (a, b))
        return bool(ka) and ka == kb

    def ours(a: Item, b: Item) -> bool:
        return dedupe.same_story(*f2(a, b))

    def ours_together(a: Item, b: Item) -> bool:
        return dedupe.same_story(*together(*f2(a, b)))

    def in_window(a: Item, b: Item) -> bool:
        gap = dedupe.time_gap(*f2(a, b))
        return all(_placed(f) for f in f2(a, b)) and gap is not None and gap[0] <= WINDOW

    windowed = [p for p in ps if in_window(p[0], p[1])]
    print(f"{'detector':<46}{'precision':>10}{'recall':>8}{'TP':>5}{'FP':>5}")
    row("exact title (baseline)", ps, exact_title)
    row("same_story, undated: no time evidence", ps, ours)
    row("same_story, undated: arrived together", ps, ours_together)
    row(f"same_story, dated pairs within 72 h ({sum(s for *_, s in windowed)} pos.)",
        windowed, ours)
    sib_fp = sum(1 for a, b, same in ps if not same and a["storyline"]
                 and a["storyline"] == b["storyline"] and ours(a, b))
    print(f"same-storyline siblings merged by same_story: {sib_fp}")
    placed = sum(1 for a, b, same in ps if same and _placed(fps[str(a['id'])])
                 and _placed(fps[str(b['id'])]))
    print(f"same-story pairs with both dates known to the day: {placed}/{positives} "
          "(the salient-term rule needs both)")

    print(f"\nsalient-term rule alone (>= {dedupe.MIN_SHARED_NAMES} shared names), by threshold"
          " and gate (smallest possible distance / largest), undated: no time evidence; dev"
          " dates are days, so the columns are: same day, up to 1, 2 and 3 days apart:")
    gates = ((12, 24), (dedupe.FUZZY_HOURS, dedupe.SPREAD_HOURS), (36, 72), (72, 96))
    print(f"{'threshold':<12}" + "".join(f"{f'{h}/{sp} h  P / R (FP)':>24}" for h, sp in gates))
    for t in (0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.70):
        cells = []
        for h, sp in gates:
            def fuzzy(a: Item, b: Item, t: float = t, h: float = h, sp: float = sp) -> bool:
                sc = dedupe.fuzzy_score(*f2(a, b), hours=h, spread=sp)
                return sc is not None and sc >= t
            p, r, _, fp = score(ps, fuzzy)
            cells.append(f"{p:.3f} / {r:.3f} ({fp:>2})")
        mark = "  <- shipped" if t == dedupe.FUZZY else ""
        print(f"{'>= ' + format(t, '.2f'):<12}" + "".join(f"{c:>24}" for c in cells) + mark)
    worst = max(((dedupe.fuzzy_score(*f2(a, b)) or 0.0, a["id"], b["id"])
                 for a, b, same in ps if not same), default=(0.0, "", ""))
    print(f"highest-scoring non-duplicate through the gate: {worst[0]:.3f} "
          f"({worst[1]} / {worst[2]})")
    cells = []
    for t in (0.45, 0.60, 0.75, 0.90):
        def imputed(a: Item, b: Item, t: float = t) -> bool:
            return (dedupe.fuzzy_score(*together(*f2(a, b))) or 0.0) >= t
        p, r, _, fp = score(ps, imputed)
        cells.append(f"{t:.2f}: {p:.3f} / {r:.3f} ({fp})")
    print("same, undated: arrived together (threshold: P / R (FP)):  " + "   ".join(cells))

    print("\nmissed same-story pairs (undated: no time evidence):")
    for a, b, same in ps:
        if same and not ours(a, b):
            fa, fb = f2(a, b)
            gap = dedupe.time_gap(fa, fb)
            when = ("date unknown" if gap is None else
                    f"{gap[0].total_seconds() / 3600:.0f}-{gap[1].total_seconds() / 3600:.0f} h")
            print(f"  {a['id']} / {b['id']}  {a['lang']}/{b['lang']}  {when:<14}"
                  f"overlap {overlap(fa.names, fa.words, fb.names, fb.words):.2f}  "
                  f"names {shared_names(fa.names, fb.names)}  {a['story']}")

    print("\nnear-duplicate score alone (estimated Jaccard of word "
          f"{dedupe.SHINGLE}-shingles, title + summary):")
    for t in (0.1, 0.15, 0.2, 0.3, 0.5, 0.7):
        def near(a: Item, b: Item, t: float = t) -> bool:
            fa, fb = f2(a, b)
            return dedupe.jaccard_estimate(fa.signature, fb.signature) >= t
        row(f">= {t:.2f}", ps, near)
    print("containment alone (share of the shorter text's shingles in the longer):")
    for t in (0.4, 0.5, 0.6, 0.7, 0.8):
        def cont(a: Item, b: Item, t: float = t) -> bool:
            return dedupe.containment_estimate(*f2(a, b)) >= t
        row(f">= {t:.2f}", ps, cont)

    # What any detector could reach here without time evidence: a pair without two day-level
    # dates competes with every other-story pair lacking one (siblings included).
    def both_placed(a: Item, b: Item) -> bool:
        return all(_placed(f) for f in f2(a, b))

    def term_overlap(a: Item, b: Item) -> float:
        fa, fb = f2(a, b)
        return overlap(fa.names, fa.words, fb.names, fb.words)

    def shingle_jaccard(a: Item, b: Item) -> float:
        return dedupe.jaccard_estimate(*(f.signature for f in f2(a, b)))

    undated_pos = [(a, b) for a, b, same in ps if same and not both_placed(a, b)]
    undated_neg = [(a, b) for a, b, same in ps if not same and not both_placed(a, b)]
    reach = set()
    print(f"\nceiling without time evidence: {len(undated_pos)} same-story pairs lack two "
          f"day-level dates, beside {len(undated_neg)} other-story pairs that do too")
    for name, measure in (("salient-term overlap", term_overlap), ("shingle Jaccard",
                                                                   shingle_jaccard)):
        best = max(measure(a, b) for a, b in undated_neg)
        above = {(a["id"], b["id"]) for a, b in undated_pos if measure(a, b) > best}
        reach |= above
        print(f"  {name}: best other-story pair {best:.3f}; same-story pairs above it: "
              f"{len(above)}")
    windowed_pos = [p for p in windowed if p[2]]
    ceiling = (len(windowed_pos) + len(reach)) / positives
    print(f"  every dated pair within 72 h ({len(windowed_pos)}) plus those: recall ceiling "
          f"{ceiling:.2f} at precision 1.000")

    def candidate(a: Item, b: Item) -> bool:
        fa, fb = f2(a, b)
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
