"""The stream bench (bench/stream.py): its judge on messages with known scores, where it
places undated items, and a tiny replay of our own items through the real CLI."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime

import pytest

from bench.stream import Replay, print_replay, replay, score
from bench.stream_feeds import DevItem, arrivals_timeline
from bench.stream_score import Post, UrlIndex, posts_of, score_topic

# Stories: A (items a1, a2), B (b1), C (c1), D (d1, another file); gold: A, B, D.
STORY_OF = {"a1": "A", "a2": "A", "b1": "B", "c1": "C", "d1": "D"}
GOLD = {"A", "B", "D"}

# posts, keep -> messages, stories, hit, duplicates, merged, also_only
SCORING = {
    "one post per gold story is perfect":
        ([Post("a1"), Post("b1"), Post("d1")], None, (3, 3, 3, 0, 0, 0)),
    "a second report as Also: of its own story is no merge":
        ([Post("a1", ("a2",)), Post("b1"), Post("d1")], None, (3, 3, 3, 0, 0, 0)),
    "a story posted twice is a duplicate and costs precision":
        ([Post("a1"), Post("a2"), Post("b1"), Post("d1")], None, (4, 3, 3, 1, 0, 0)),
    "a post of a story outside the topic costs precision":
        ([Post("a1"), Post("b1"), Post("c1"), Post("d1")], None, (4, 4, 3, 0, 0, 0)),
    "another story under Also: is merged, and unseen if never posted itself":
        ([Post("a1", ("b1",)), Post("d1")], None, (2, 2, 2, 0, 1, 1)),
    "a story shown under Also: and posted later is merged and a duplicate":
        ([Post("a1", ("b1",)), Post("b1"), Post("d1")], None, (3, 3, 3, 1, 1, 0)),
    "one file's figure counts its own posts; an earlier one still makes a duplicate":
        ([Post("d1", ("a1",)), Post("a2"), Post("b1")], {"a1", "a2", "b1", "c1"},
         (2, 2, 2, 1, 0, 0)),
    "nothing posted: recall 0":
        ([], None, (0, 0, 0, 0, 0, 0)),
}


@pytest.mark.parametrize("posts, keep, expected", SCORING.values(), ids=SCORING.keys())
def test_story_scores(posts: list[Post], keep: set[str] | None,
                      expected: tuple[int, ...]) -> None:
    gold = GOLD if keep is None else GOLD & {STORY_OF[i] for i in keep}
    s = score_topic(posts, STORY_OF, gold, keep)
    assert (s.messages, s.stories, s.hit, s.duplicates, s.merged, s.also_only) == expected
    assert s.precision == (s.hit / s.messages if s.messages else 1.0)
    assert s.recall == s.hit / len(gold)


@pytest.mark.parametrize(("posts", "rates"), [
    ([Post("a1"), Post("a2"), Post("b1"), Post("d1")], (25.0, 0.0)),   # one repeat in four
    ([Post("a1", ("b1",)), Post("d1")], (0.0, 50.0)),                  # one fold in two
    ([], (0.0, 0.0)),                                                  # nothing posted
])
def test_repeats_and_folds_per_hundred_messages(posts: list[Post],
                                                rates: tuple[float, float]) -> None:
    assert score_topic(posts, STORY_OF, GOLD).per_hundred == rates


def test_precision_recall_f1_of_a_duplicate_and_a_miss() -> None:
    s = score_topic([Post("a1"), Post("a2")], STORY_OF, GOLD)
    assert (s.precision, s.recall) == (0.5, 1 / 3)
    assert s.f1 == pytest.approx(0.4)
    assert sorted(line.split()[0] for line in s.misses) == ["FN", "FN", "duplicate"]


MESSAGES = {
    "a post: the first link leads, the rest are Also:":
        ("Title\nRead more\nAlso: X · Y", ["https://a.example/1", "https://b.example/2",
                                          "https://c.example/3"], [Post("a1", ("a2", "b1"))]),
    "links lose tracking parameters in posts":
        ("Title", ["https://a.example/1?utm_source=rss"], [Post("a1")]),
    "a digest: every entry is a post":
        ("2 more stories on #summits:\n• A\n• B", ["https://a.example/1", "https://c.example/3"],
         [Post("a1"), Post("b1")]),
    "a link to no item is set aside":
        ("Title", ["https://elsewhere.example/"], []),
}


@pytest.mark.parametrize("text, links, expected", MESSAGES.values(), ids=MESSAGES.keys())
def test_messages_become_posts(text: str, links: list[str], expected: list[Post]) -> None:
    index = UrlIndex({"a1": "https://a.example/1", "a2": "https://b.example/2",
                      "b1": "https://c.example/3"})
    assert posts_of(text, links, index) == expected
    assert len(index.unknown) == (0 if expected else 1)


def _item(id: str, published: str | None, story: str | None = None, storyline: str = "s",
          *, source: str = "Wire", title: str = "", summary: str = "",
          labels: dict[str, bool] | None = None) -> DevItem:
    return DevItem(id=id, file="synthetic.jsonl", source=source, url=f"https://n.example/{id}",
                   title=title or None, summary=summary, published=published,
                   story=story or id, storyline=storyline, labels=labels or {})


def test_undated_items_arrive_with_their_story_else_within_what_is_known() -> None:
    items = [_item("x1", "2024-03-01", "X"), _item("x2", None, "X"),
             _item("y1", "2024-03-05T10:00:00+02:00", "Y"),
             _item("m1", "2024-02", "M"), _item("m2", None, "M"), _item("l1", None, "L")]
    at = arrivals_timeline(items)
    assert at == arrivals_timeline(list(reversed(items)))       # deterministic, any order
    hour = 3600
    assert datetime(2024, 3, 1, tzinfo=UTC) <= at["x1"] < datetime(2024, 3, 2, tzinfo=UTC)
    assert 0 <= (at["x2"] - at["x1"]).total_seconds() < hour         # with its story
    assert at["y1"] == datetime(2024, 3, 5, 8, tzinfo=UTC)           # as given
    assert datetime(2024, 2, 1, tzinfo=UTC) <= at["m1"] < datetime(2024, 3, 1, 1, tzinfo=UTC)
    assert abs((at["m2"] - at["m1"]).total_seconds()) < hour         # a month is a date too
    assert datetime(2024, 3, 1, tzinfo=UTC) <= at["l1"] < datetime(2024, 3, 6, 1, tzinfo=UTC)


SUMMIT = ("President Ana Ruiz of Norland and Prime Minister Lars Holm of Estmark met in Geneva "
          "on Friday for their first summit in a decade, their offices said.")
SANCTIONS = ("The European Union imposed sanctions on twelve Estmark shipping firms on "
             "Tuesday, freezing their assets over arms deliveries.")


@pytest.mark.slow
def test_a_tiny_replay_through_the_cli_posts_each_story_once(tmp_path, capsys) -> None:
    if shutil.which("faketime") is None:
        pytest.skip("faketime is not installed (Debian package faketime)")
    summit, sanctions = {"summits": True}, {"sanctions": True}
    items = [
        _item("t1", "2024-03-01T10:00:00Z", "geneva", source="Wire A",
              title="Norland and Estmark leaders hold Geneva summit", summary=SUMMIT,
              labels=summit),
        _item("t2", "2024-03-01T12:30:00Z", "geneva", source="Wire B",
              title="Norland and Estmark leaders hold Geneva summit", summary=SUMMIT,
              labels=summit),
        _item("t3", "2024-03-01T14:00:00Z", source="Wire A",
              title="EU sanctions Estmark shipping firms", summary=SANCTIONS, labels=sanctions),
        _item("t4", "2024-03-01T14:30:00Z", source="Wire C", title="Garden show opens",
              summary="The spring garden show opened on Friday with 300 exhibitors."),
    ]
    r: Replay = replay("timeline", "shipped", items, tmp_path)
    assert r.runs == 3 and r.failed == 0      # empty feeds at 09:00, then 12:00 and 15:00
    summits, lost = score(r, items, "summits")
    assert (summits.messages, summits.hit, summits.duplicates, summits.merged) == (1, 1, 0, 0)
    assert [links[1:] for _, links in r.messages["@summits"]] == [["https://n.example/t2"]]
    sanctions_score, _ = score(r, items, "sanctions")
    assert (sanctions_score.messages, sanctions_score.f1) == (1, 1.0)
    assert r.messages["@other"] == [] and lost == []
    print_replay(r, items, misses=False)
    table = capsys.readouterr().out
    assert "per 100 msgs: dup / merged" in table
    assert re.search(r"^summits +both .* 1\.000 +0 +0 +0  0\.0 / 0\.0$", table, re.MULTILINE)
