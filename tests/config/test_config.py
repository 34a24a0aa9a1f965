"""Config errors name the file, the line and the key, and say what was expected."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import load, needs_restart
from bot.errors import ConfigError
from bot.pipeline import fetch_limits
from tests.conftest import ROOT

BASE = """channel: "@world_watch"
admins: [123456789]
defaults: {every: 10m}
feeds:
  - url: https://example.com/rss.xml
    name: Example
topics:
  summits:
    terms: [summit]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newsbot.yaml"
    path.write_text(text)
    return path


def test_the_readme_example_loads_as_it_stands() -> None:
    settings = load(ROOT / "config" / "example.yaml", env={})
    assert settings.channel == "@world_watch" and settings.admins == (123456789,)
    assert [f.every for f in settings.feeds] == [timedelta(minutes=10), timedelta(minutes=5)]
    sanctions = next(t for t in settings.topics if t.name == "sanctions")
    assert sanctions.channel == "@sanctions_watch"


def test_the_shipped_demo_config_loads() -> None:
    settings = load(ROOT / "config" / "newsbot.yaml", env={})
    assert {t.name for t in settings.topics} >= {"summits", "sanctions"}
    assert all(Path(f.url).is_file() for f in settings.feeds)


@pytest.mark.parametrize("replace, with_, line, key, says", [
    ("name: Example", "nmae: Example", 6, "feeds[0].nmae", "did you mean 'name'"),
    ("{every: 10m}", "{every: 10 minutes}", 3, "defaults.every", "duration such as 10m"),
    ("url: https://example.com/rss.xml", "url: htp//example", 5, "feeds[0].url",
     "neither an http(s) URL nor an existing file"),
    ("    terms: [summit]", "    terms: []", 9, "topics.summits.terms", "list of non-empty"),
    ("    terms: [summit]", "    exclude: [x]", 8, "topics.summits", "empty topic"),
    ('channel: "@world_watch"', "channel: world watch", 1, "channel", "@channelname"),
    ("admins: [123456789]", "admins: [alice]", 2, "admins", "numeric Telegram user ids"),
    ("    terms: [summit]", "    query: '(summit OR talks'", 9, "topics.summits.query",
     "column"),
    ("defaults:", "defualts:", 3, "defualts", "did you mean 'defaults'"),
    ("admins: [123456789]", "admins: [123456789]\nretention: 1d", 3, "retention",
     "at least dedupe.window (72h)"),
    ("admins: [123456789]", "admins: [123456789]\nretention: forever", 3, "retention",
     "duration such as"),
    # A feed from Telegram or OPML names no local file (bot.fetch.guard).
    ("    name: Example", "    name: Example\n    origin: opml\n  - url: /etc/passwd\n"
     "    origin: telegram", 8, "feeds[1].url", "must be an http(s) URL"),
    ("    name: Example", "    name: Example\n    origin: me", 7, "feeds[0].origin",
     "expected one of config, telegram, opml"),
    ("admins: [123456789]", "admins: [123456789]\npolling: {allow_private: yes}", 3,
     "polling.allow_private", "expected true or false"),
    ("admins: [123456789]", "admins: [123456789]\ndedupe:\n  window: 48h\n  merge: eagre", 5,
     "dedupe.merge",
     "expected one of cautious, balanced, eager, got 'eagre'; did you mean 'eager'"),
])
def test_a_bad_edit_names_file_line_and_key(tmp_path: Path, replace: str, with_: str,
                                            line: int, key: str, says: str) -> None:
    path = write(tmp_path, BASE.replace(replace, with_))
    with pytest.raises(ConfigError) as err:
        load(path, env={})
    assert (err.value.file, err.value.line, err.value.key) == (str(path), line, key)
    assert says in str(err.value)
    assert str(err.value).startswith(f"{path}:{line} {key}: ")


def test_a_duplicate_feed_points_at_both_lines(tmp_path: Path) -> None:
    text = BASE.replace("    name: Example\n",
                        "    name: Example\n  - url: https://example.com/rss.xml\n")
    with pytest.raises(ConfigError) as err:
        load(write(tmp_path, text), env={})
    assert err.value.line == 7 and "duplicate feed" in str(err.value)
    assert "first at line 5" in str(err.value)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load(write(tmp_path, BASE + "  bad: [unclosed\n"), env={})
    assert err.value.line is not None and "not valid YAML" in str(err.value)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load(tmp_path / "nope.yaml", env={})


def test_secrets_come_from_the_environment_and_are_masked(tmp_path: Path) -> None:
    env = {"TELEGRAM_BOT_TOKEN": "123:SECRET", "DATABASE_URL": "postgresql://u:pw@h/db",
           "TELEGRAM_API_URL": "http://127.0.0.1:9/"}
    settings = load(write(tmp_path, BASE), env=env)
    assert settings.token is not None and settings.token.reveal() == "123:SECRET"
    assert settings.api_url == "http://127.0.0.1:9"
    assert "SECRET" not in repr(settings) and "pw" not in repr(settings)


def test_local_paths_resolve_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "a.xml").write_text("<rss/>")
    text = BASE.replace("https://example.com/rss.xml", "feeds/a.xml")
    settings = load(write(tmp_path, text), env={})
    assert settings.feeds[0].url == str(tmp_path / "feeds" / "a.xml")


def test_every_auto_and_per_feed_overrides(tmp_path: Path) -> None:
    text = BASE.replace("    name: Example\n", "    name: Example\n    every: auto\n"
                        "  - url: https://example.org/x\n    every: 1h30m\n")
    feeds = load(write(tmp_path, text), env={}).feeds
    assert feeds[0].every is None and feeds[1].every == timedelta(minutes=90)


@pytest.mark.parametrize(("extra", "merge"), [
    ("", "balanced"), ("dedupe: {merge: eager}\n", "eager"),
    ("dedupe: {window: 24h, merge: cautious}\n", "cautious")])
def test_the_merge_policy_defaults_to_balanced_and_takes_each_named_trade(
        tmp_path: Path, extra: str, merge: str) -> None:
    assert load(write(tmp_path, BASE + extra), env={}).dedupe_merge == merge


def test_retention_defaults_to_30_days_or_the_dedupe_window_if_longer(tmp_path: Path) -> None:
    assert load(write(tmp_path, BASE), env={}).retention == timedelta(days=30)
    settings = load(write(tmp_path, BASE + "dedupe: {window: 60d}\n"), env={})
    assert settings.retention == settings.dedupe_window == timedelta(days=60)


@pytest.mark.parametrize("before, after, pending", [
    ("health_port: 9100", "health_port: 9200", ["health_port 9100 -> 9200"]),
    ("log: {level: INFO}", "log: {level: DEBUG, json: true}",
     ["log.level INFO -> DEBUG", "log.json False -> True"]),
    ("polling: {workers: 8}", "polling: {workers: 16}", ["polling.workers 8 -> 16"]),
    ("delivery: {preview: false}", "delivery: {preview: true}",
     ["delivery.preview False -> True"]),
    ("delivery: {digests: {summits: daily}}", "delivery: {digests: {summits: hourly}}", []),
    ("backfill: 0", "backfill: 3", []),                # read per poll: these apply live
    ("dedupe: {merge: balanced}", "dedupe: {merge: eager}", []),
])
def test_a_live_edit_names_what_needs_a_restart(tmp_path: Path, before: str, after: str,
                                                pending: list[str]) -> None:
    running = load(write(tmp_path, BASE + before + "\n"), env={})
    edited = load(write(tmp_path, BASE + after + "\n"), env={})
    assert needs_restart(running, edited) == pending


@pytest.mark.parametrize(("origin", "allow_private", "reach"), [
    ("", "", "any"),                                    # written by hand: anything
    ("    origin: config\n", "", "any"),
    ("    origin: telegram\n", "", "public"),             # /addfeed
    ("    origin: opml\n", "", "public"),                 # newsbot opml import
    ("    origin: opml\n", "polling: {allow_private: true}\n", "private"),
])
def test_a_feeds_origin_decides_which_addresses_it_may_reach(tmp_path: Path, origin: str,
                                                            allow_private: str,
                                                            reach: str) -> None:
    text = BASE.replace("    name: Example\n", "    name: Example\n" + origin) + allow_private
    settings = load(write(tmp_path, text), env={})
    (feed,) = settings.feeds
    assert feed.trusted == (reach == "any")
    assert fetch_limits(settings, feed).reach == reach
