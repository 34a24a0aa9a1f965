"""What the admin bot says (issue #19): to strangers, about failing feeds, when the config
cannot be written, when /watch replaces a query (and /undo), and the command menu. Against
a real `newsbot run` process and the Bot API stand-in."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.admin.replies import REFUSE_EVERY, Strangers
from bot.config import ConfigEditor
from bot.errors import ConfigUnwritable
from tests.admin.test_admin import ADMIN, STRANGER, ask, write_config
from tests.feedgen import rss
from tests.running import start_newsbot, wait_for

TUNED = """(summit OR "leaders meet")
      AND (Putin OR Xi OR Biden)
      AND NOT sport
      AND NOT golf
      AND NOT "summit meeting room\""""


@pytest.fixture
def newsbot(feed_server, telegram_api, tmp_path):
    url = feed_server.set_feed("/world.xml", rss([]))
    bot = start_newsbot(write_config(tmp_path, url), telegram_api, tmp_path,
                        ready="admin commands on")
    yield bot
    assert bot.terminate() == 0, bot.log


def test_a_stranger_hears_one_plain_refusal_a_day_whatever_they_send(newsbot,
                                                                     telegram_api) -> None:
    refusal = ask(telegram_api, "/status", user=STRANGER, expect="administrators")
    for text in ("/watch x y", "hello?", "/status"):
        telegram_api.push_message(STRANGER, STRANGER, text)
    ask(telegram_api, "/status", expect="feeds:")    # updates are read in order: all seen
    assert telegram_api.texts(STRANGER) == [refusal]
    assert str(STRANGER) in refusal
    # Words for a stranger: no markup shown literally, nothing about the config's layout.
    for internal in ("`", "admins", "config", "yaml", "<"):
        assert internal not in refusal
    sent = [c for c in telegram_api.calls("sendMessage") if c.params["chat_id"] == str(STRANGER)]
    assert [c.params.get("parse_mode") for c in sent] == [None]   # plain text, as written
    assert newsbot.log.count(f"refused '/status' from @user{STRANGER}") == 1


def test_strangers_are_answered_again_after_a_day_and_the_memory_is_bounded() -> None:
    now = datetime(2026, 12, 4, 9, tzinfo=UTC)
    strangers = Strangers(kept=3)
    assert strangers.refusal(1, now) is not None
    assert strangers.refusal(1, now + REFUSE_EVERY - timedelta(seconds=1)) is None
    assert strangers.refusal(1, now + REFUSE_EVERY) is not None
    for uid in (2, 3, 4):                       # 1 was refused longest ago: forgotten first
        strangers.refusal(uid, now + REFUSE_EVERY)
    assert strangers.refusal(1, now + REFUSE_EVERY) is not None
    assert strangers.refusal(4, now + REFUSE_EVERY) is None


def test_status_names_a_failing_feed_once(newsbot, telegram_api, feed_server) -> None:
    # Added by hand (/addfeed reads a feed first and would refuse a 404): a new feed is
    # polled at once after the reload.
    url = feed_server.set_status("/missing.xml", 404)
    config = newsbot.config
    config.write_text(config.read_text().replace(
        "feeds:\n", f"feeds:\n  - url: {url}\n    name: Missing\n", 1))
    newsbot.wait_log("config applied")
    status = wait_for(lambda: next((t for t in [ask(telegram_api, "/status", expect="feeds:")]
                                    if "1 failing" in t), None), "the feed to fail")
    line = next(x for x in status.splitlines() if "✗" in x)
    assert line.count(url) == 1 and "404" in line


def test_watch_shows_the_query_it_replaces_and_undo_puts_it_back(newsbot,
                                                                 telegram_api) -> None:
    config = newsbot.config
    config.write_text(config.read_text().replace(
        "    terms: [summit]\n", f"    query: >-\n      {TUNED}\n"))
    newsbot.wait_log("config applied")                # reloaded: the tuned query is live
    tuned = config.read_text()
    reply = ask(telegram_api, "/watch summits summit", expect="replaced")
    assert "Putin OR Xi OR Biden" in reply and 'NOT "summit meeting room"' in reply
    assert "/undo" in reply
    assert "Putin" not in config.read_text()
    ask(telegram_api, "/undo", expect="Undone: /watch summits summit")
    assert config.read_text() == tuned                 # byte for byte, comments and all
    assert "Putin" in ask(telegram_api, "/topics", expect="1 topics")
    assert "Nothing to undo" in ask(telegram_api, "/undo", expect="undo")


def test_undo_never_overwrites_a_later_hand_edit(newsbot, telegram_api) -> None:
    ask(telegram_api, "/watch volcanoes volcano", expect="added")
    by_hand = newsbot.config.read_text().replace("volcano\n", "volcano OR lava\n")
    newsbot.config.write_text(by_hand)
    reply = ask(telegram_api, "/undo", expect="nothing changed")
    assert "changed again since" in reply and newsbot.config.read_text() == by_hand


def _without_root_powers() -> tuple[str, ...]:
    """Run newsbot so that file permissions bind it: as root, drop the capabilities that
    override them (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH)."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permissions cannot bind here")
    return (setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--")


def test_an_unwritable_config_directory_gets_a_reply_saying_what_to_do(
        feed_server, telegram_api, tmp_path) -> None:
    conf = tmp_path / "conf"
    conf.mkdir()
    config = write_config(conf, feed_server.set_feed("/world.xml", rss([])))
    config.write_text(config.read_text().replace(
        "    name: World\n", "    name: World\n  - url: http://127.0.0.1:9/second.xml\n")
        + "  volcanoes:\n    terms: [volcano]\n")
    before = config.read_bytes()
    conf.chmod(0o555)                                  # the file stays writable; its dir not
    bot = start_newsbot(config, telegram_api, tmp_path, ready="admin commands on",
                        wrap=_without_root_powers())
    try:
        for command in ("/watch quakes earthquake", "/unwatch volcanoes",
                        "/rmfeed http://127.0.0.1:9/second.xml"):
            reply = ask(telegram_api, command, expect="Not saved")
            assert "PermissionError" not in reply
            assert "permission denied" in reply and str(conf) in reply
            assert "nothing changed" in reply and "write there" in reply
        assert config.read_bytes() == before
    finally:
        assert bot.terminate() == 0, bot.log
        conf.chmod(0o755)


def test_the_editor_names_the_directory_it_cannot_write(tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    conf.mkdir()
    config = write_config(conf, "https://feeds.example/world.xml")
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere: covered through a real process above")
    conf.chmod(0o555)
    try:
        with pytest.raises(ConfigUnwritable, match="may not create files in"):
            ConfigEditor(config, env={}).set_topic("volcanoes", "volcano")
    finally:
        conf.chmod(0o755)


def test_admins_get_the_command_menu_and_strangers_do_not(newsbot, telegram_api) -> None:
    menu = wait_for(lambda: telegram_api.menu({"type": "chat", "chat_id": ADMIN}),
                    "setMyCommands for the admin's chat")
    names = [c["command"] for c in menu]
    assert {"status", "watch", "undo", "help"} <= set(names)
    assert all(1 <= len(c["description"]) <= 256 for c in menu)
    assert telegram_api.menu() == []                   # the default scope: everyone
    assert telegram_api.menu({"type": "all_private_chats"}) == []


def test_a_refused_menu_is_one_log_line_and_commands_still_work(feed_server, telegram_api,
                                                                tmp_path) -> None:
    telegram_api.fail(400, "Bad Request: chat not found", method="setMyCommands", times=5)
    bot = start_newsbot(write_config(tmp_path, feed_server.set_feed("/w.xml", rss([]))),
                        telegram_api, tmp_path, ready="admin commands on")
    try:
        bot.wait_log("the command menu was not set for 1 admin(s)")
        assert "feeds:" in ask(telegram_api, "/status", expect="feeds:")
        assert bot.log.count("command menu") == 1 and "Traceback" not in bot.log
    finally:
        assert bot.terminate() == 0, bot.log
