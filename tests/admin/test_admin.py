"""Admin commands through the Bot API stand-in's getUpdates, against a real `newsbot run`
process; and the round-trip config writer they use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from bot.config import ConfigEditor
from bot.errors import ConfigError
from bot.store.schema import outbox
from tests.feedgen import Item, rss
from tests.running import start_newsbot, wait_for

ADMIN, STRANGER = 111, 999
CHANNEL = "@admin_e2e"


def write_config(tmp: Path, feed_url: str, *, allow_private: bool = True,
                 more_feeds: str = "") -> Path:
    """`allow_private`: feeds added through /addfeed may reach the feed server on loopback
    (polling.allow_private, on purpose); without it, public addresses only."""
    path = tmp / "newsbot.yaml"
    polling = "polling: {allow_private: true}   # /addfeed may add loopback feeds\n" \
        if allow_private else ""
    path.write_text(f"""# Operator's header comment: must survive every edit.
channel: "{CHANNEL}"
admins: [{ADMIN}]            # who may run /commands
defaults: {{every: 10m}}
{polling}
feeds:
  - url: {feed_url}   # the world desk
    name: World
{more_feeds}
topics:
  # summits: leaders meeting
  summits:
    terms: [summit]
""")
    return path


def fresh(n: int, title: str) -> Item:
    """Published just after now (the call's, not the module's import: in a long run that was
    before the feed was added): a new feed's first poll posts it (no-flood rule)."""
    return Item(guid=f"id-{n}", title=title, description=f"<p>{title}.</p>",
                published=datetime.now(UTC) + timedelta(minutes=n + 1),
                link=f"https://news.example/{n}")


def ask(api, text: str, *, user: int = ADMIN, expect: str) -> str:
    """Send `text` as `user` in their private chat; return the reply containing `expect`."""
    before = len(api.texts(user))
    api.push_message(user, user, text)
    return wait_for(lambda: next((t for t in api.texts(user)[before:] if expect in t), None),
                    f"a reply to {text!r} containing {expect!r}")


@pytest.fixture
def newsbot(feed_server, telegram_api, tmp_path):
    url = feed_server.set_feed("/world.xml", rss([]))
    config = write_config(tmp_path, url)
    bot = start_newsbot(config, telegram_api, tmp_path, ready="admin commands on")
    yield bot
    assert bot.terminate() == 0, bot.log


def test_an_admin_gets_answers_and_a_stranger_a_polite_refusal(newsbot, telegram_api) -> None:
    refusal = ask(telegram_api, "/status", user=STRANGER, expect="administrators")
    assert str(STRANGER) in refusal                      # tells them their id, nothing else
    status = ask(telegram_api, "/status", expect="feeds:")
    assert "1 ok, 0 failing" in status and "queue: 0" in status and "up " in status
    assert "posting: on" in status
    assert "/watch NAME QUERY" in ask(telegram_api, "/help", expect="/help")
    assert "World" in ask(telegram_api, "/feeds", expect="1 feeds")
    assert "summits" in ask(telegram_api, "/topics", expect="1 topics")
    # Every admin action is logged with who did it; refusals too.
    newsbot.wait_log(f"admin @user{ADMIN} ({ADMIN}): /status")
    newsbot.wait_log(f"refused '/status' from @user{STRANGER} ({STRANGER})")


def test_watch_and_addfeed_are_written_back_and_take_effect_at_once(
        newsbot, telegram_api, feed_server) -> None:
    reply = ask(telegram_api, "/watch volcanoes volcano OR eruption", expect="Topic volcanoes")
    assert "added" in reply
    url = feed_server.set_feed("/geo.xml", rss([fresh(1, "Volcano erupts near the coast"),
                                                fresh(2, "Markets close higher")]))
    ask(telegram_api, f"/addfeed {url} 15m", expect="added")

    post = wait_for(lambda: telegram_api.texts(CHANNEL), "the new topic's first post")
    assert "Volcano erupts" in unescape(post[0]) and "#volcanoes" in post[0]
    text = newsbot.config.read_text()
    assert "# Operator's header comment: must survive every edit." in text
    assert "# the world desk" in text and "# summits: leaders meeting" in text
    assert "  volcanoes:\n    query: volcano OR eruption\n" in text
    assert f"  - url: {url}\n    every: 15m\n    origin: telegram\n" in text

    ask(telegram_api, "/unwatch volcanoes", expect="removed")
    ask(telegram_api, f"/rmfeed {url}", expect="removed")
    assert "volcanoes" not in newsbot.config.read_text() and url not in newsbot.config.read_text()
    assert "1 feeds" in ask(telegram_api, "/feeds", expect="feeds")


def test_a_refused_edit_changes_nothing_and_replies_with_the_error(newsbot,
                                                                   telegram_api) -> None:
    before = newsbot.config.read_bytes()
    reply = ask(telegram_api, "/watch broken summit AND (", expect="Refused")
    assert "newsbot.yaml:" in reply and "topics.broken.query" in reply
    reply = ask(telegram_api, "/unwatch summits", expect="Refused")   # the last topic
    assert "no topics configured" in reply
    reply = ask(telegram_api, "/addfeed https://example.com/f.xml sometimes", expect="Refused")
    assert newsbot.config.read_bytes() == before


def test_test_command_dry_runs_a_query_on_recent_articles(newsbot, telegram_api,
                                                          feed_server) -> None:
    url = feed_server.set_feed("/local.xml", rss([fresh(1, "Leaders hold summit in Oslo"),
                                                  fresh(2, "Garden show opens")]))
    ask(telegram_api, f"/addfeed {url}", expect="added")
    # Recent articles come from the store: wait for the new feed's first poll.
    wait_for(lambda: telegram_api.texts(CHANNEL), "the summit post")
    reply = ask(telegram_api, "/test garden OR oslo", expect="match")
    assert reply.startswith("2 of 2 articles") and "Garden show opens" in reply
    assert "Query refused" in ask(telegram_api, "/test (oops", expect="refused")


def test_pause_holds_posts_until_resume(newsbot, telegram_api, feed_server) -> None:
    ask(telegram_api, "/pause", expect="paused")
    assert "PAUSED by @user111" in ask(telegram_api, "/status", expect="posting:")
    url = feed_server.set_feed("/more.xml", rss([fresh(1, "Summit date set")]))
    ask(telegram_api, f"/addfeed {url}", expect="added")
    engine = create_engine(newsbot.db_url)
    try:
        wait_for(lambda: _pending(engine), "the post to be queued")
        assert telegram_api.texts(CHANNEL) == []        # queued, not sent, while paused
        ask(telegram_api, "/resume", expect="resumed")
        post = wait_for(lambda: telegram_api.texts(CHANNEL), "the post after /resume")
        assert "Summit date set" in unescape(post[0])
    finally:
        engine.dispose()


def _pending(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(outbox)
                                .where(outbox.c.state == "pending")).scalar() or 0)


# -- the round-trip writer, in-process on real files -------------------------------------

def test_edits_keep_comments_quotes_and_indentation(tmp_path: Path) -> None:
    config = write_config(tmp_path, "https://feeds.example/world.xml")
    original = config.read_text()
    editor = ConfigEditor(config, env={})
    editor.set_topic("volcanoes", 'volcano OR "lava flow"')
    editor.add_feeds([("https://feeds.example/geo.xml", "Geo", "1h")], origin="telegram")
    text = config.read_text()
    assert text.startswith(original.split("\ntopics:")[0].replace(
        "    name: World\n", "    name: World\n  - url: https://feeds.example/geo.xml\n"
        "    name: Geo\n    every: 1h\n    origin: telegram\n"))
    editor.remove_topic("volcanoes")
    editor.remove_feed("https://feeds.example/geo.xml")
    assert config.read_text() == original


def test_topics_are_edited_where_they_are_defined(tmp_path: Path) -> None:
    (tmp_path / "topics.yaml").write_text("# shared topics\ntopics:\n  summits:\n"
                                          "    terms: [summit]\n")
    config = tmp_path / "newsbot.yaml"
    config.write_text('channel: "@c_chan"\ninclude: [topics.yaml]\n'
                      "feeds:\n  - https://feeds.example/a.xml\n")
    edited = ConfigEditor(config, env={}).set_topic("sanctions", "embargo")
    assert edited.file == tmp_path / "topics.yaml"
    assert "sanctions" in (tmp_path / "topics.yaml").read_text()
    assert [t.name for t in edited.settings.topics] == ["summits", "sanctions"]
    assert "topics:" not in config.read_text()


TOPIC_WITH_JUDGEMENT = """\
topics:
  summits:
    # the words
    terms: [summit]
    channel: "@summit_chan"
    exclude: [everest]      # never a mountain
    exclude_query: 'ministers NEAR/4 met'
    meaning:
      description: Leaders meet.
      examples: [The two presidents met for talks.]
"""


@pytest.mark.parametrize(("topic", "note", "kept"), [
    # /watch replaces the words; the topic's channel, vetoes and meaning stay as they were.
    (TOPIC_WITH_JUDGEMENT, "replaced (kept channel, exclude, exclude_query, meaning)",
     TOPIC_WITH_JUDGEMENT.replace("terms: [summit]", "query: summit OR cumbre")),
    # A topic of words alone is its new query alone.
    ("topics:\n  summits:\n    query: summit\n", "replaced",
     "topics:\n  summits:\n    query: summit OR cumbre\n"),
])
def test_watch_replaces_a_topics_words_and_keeps_its_judgement(
        tmp_path: Path, topic: str, note: str, kept: str) -> None:
    (tmp_path / "topics.yaml").write_text(topic)
    config = tmp_path / "newsbot.yaml"
    config.write_text('channel: "@c_chan"\ninclude: [topics.yaml]\n'
                      "feeds:\n  - https://feeds.example/a.xml\n")
    edited = ConfigEditor(config, env={}).set_topic("summits", "summit OR cumbre")
    assert edited.note == note
    assert (tmp_path / "topics.yaml").read_text() == kept
    [summits] = edited.settings.topics
    assert (summits.meaning is not None) is ("meaning:" in topic)


def test_a_refused_edit_leaves_the_file_byte_for_byte(tmp_path: Path) -> None:
    config = write_config(tmp_path, "https://feeds.example/world.xml")
    before = config.read_bytes()
    with pytest.raises(ConfigError) as err:
        ConfigEditor(config, env={}).set_topic("bad", "NEAR/2")
    assert err.value.file == str(config) and err.value.key == "topics.bad.query"
    assert err.value.line is not None
    with pytest.raises(ConfigError, match="already in the config"):
        ConfigEditor(config, env={}).add_feeds([("https://feeds.example/world.xml/", None,
                                                 None)], origin="telegram")
    assert config.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["newsbot.yaml"]   # no temp file left
