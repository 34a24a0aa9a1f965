"""Broken configs that used to load and then crash `run` (or name the wrong line): each is
refused at load, at the line that is wrong, with the dotted key and what was expected.

Each case carries its files (the main file `newsbot.yaml`, maybe `topics.yaml`) and its
expectation: the file, the 1-based line and key the error must name, and words it must say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.config import load
from bot.errors import ConfigError

MAIN = """# a comment on line 1
channel: "@world_watch"
admins: [123456789]
include: [topics.yaml]
feeds:
  - url: https://example.com/rss.xml
    name: Example
"""
TOPICS = """lists:
  leaders:
    - Putin
    - '"Kim Jong Un"'
    - Xi
topics:
  summits:
    query: '@leaders NEAR/8 summit'
"""


@dataclass
class Broken:
    why: str
    file: str                      # the file the error must name
    line: int | None
    key: str
    says: str
    main: str = MAIN
    topics: str = TOPICS
    env: dict[str, str] = field(default_factory=dict)


def add(text: str) -> str:
    return MAIN + text


CASES = [
    Broken("a misspelt time zone", "newsbot.yaml", 9, "delivery.timezone",
           "did you mean 'Europe/Berlin'?",
           main=add("delivery:\n  timezone: Europe/Berln\n")),
    Broken("a port above 65535", "newsbot.yaml", 8, "health_port", "from 1 to 65535",
           main=add("health_port: 99999\n")),
    Broken("a broken entry in a list, at the entry's own line", "topics.yaml", 4,
           "lists.leaders[1]", "unterminated quote at column 1 (used by topics.summits.query)",
           topics=TOPICS.replace("'\"Kim Jong Un\"'", "'\"Kim Jong Un'")),
    Broken("a broken entry in a list no topic uses yet", "topics.yaml", 8, "lists.spare[1]",
           "unterminated quote",
           topics=TOPICS.replace("topics:\n", "  spare:\n    - fine\n    - '\"oops'\ntopics:\n")),
    Broken("a quote opened on line 2 and closed by the next quote, lines later",
           "newsbot.yaml", 2, "", "single quote opened on this line is only closed on line 8",
           main=MAIN.replace('"@world_watch"', "'@world_watch") + "x: 'y'\n"),
    Broken("a quote never closed", "newsbot.yaml", 7, "", "never closed",
           main=MAIN.replace("name: Example", 'name: "Example')),
    Broken("a [ never closed", "newsbot.yaml", 4, "", "the [ opened on this line is not closed",
           main=MAIN.replace("[topics.yaml]", "[topics.yaml")),
    Broken("a jitter that is not a fraction", "newsbot.yaml", 8, "polling.jitter",
           "fraction from 0 to below 1", main=add("polling: {jitter: 5}\n")),
    Broken("a negative timeout", "newsbot.yaml", 9, "polling.read_timeout",
           "number of seconds above 0", main=add("polling:\n  read_timeout: -1\n")),
    Broken("a thread per feed", "newsbot.yaml", 8, "polling.workers", "from 1 to 256",
           main=add("polling: {workers: 100000}\n")),
    Broken("min_interval above max_interval", "newsbot.yaml", 9, "polling.min_interval",
           "longer than polling.max_interval (1h)",
           main=add("polling:\n  min_interval: 2h\n  max_interval: 1h\n")),
    Broken("a size above 1GB", "newsbot.yaml", 8, "polling.max_bytes", "from 1 byte to 1GB",
           main=add("polling: {max_bytes: 99999999GB}\n")),
    Broken("a retention past year 9999", "newsbot.yaml", 8, "retention", "at most 3650d",
           main=add("retention: 9999999999d\n")),
    Broken("a digest for a topic that does not exist", "newsbot.yaml", 10,
           "delivery.digests.sumits", "did you mean 'summits'?",
           main=add("delivery:\n  digests:\n    sumits: daily\n")),
    Broken("an empty quiet window", "newsbot.yaml", 8, "delivery.quiet_hours",
           "starts and ends at the same time",
           main=add("delivery: {quiet_hours: '23:00-23:00'}\n")),
    Broken("chat id 0", "newsbot.yaml", 8, "operator_chat", "numeric chat id",
           main=add("operator_chat: 0\n")),
    Broken("a forum topic in a basic group (topics are in supergroups)", "newsbot.yaml", 2,
           "channel", "supergroups, whose ids start with -100",
           main=MAIN.replace('"@world_watch"', '"-4001234:45"')),
    Broken("a forum topic 0", "newsbot.yaml", 8, "feeds[0].channel", "chat:topic_id",
           main=add("    channel: '-1001234:0'\n")),
    Broken("a delivery.images that is not a switch", "newsbot.yaml", 8, "delivery.images",
           "true or false", main=add("delivery: {images: sometimes}\n")),
    Broken("a negative user id", "newsbot.yaml", 3, "admins", "numeric Telegram user ids",
           main=MAIN.replace("[123456789]", "[-5]")),
    Broken("a feed name that is a list", "newsbot.yaml", 7, "feeds[0].name", "expected a text",
           main=MAIN.replace("name: Example", "name: [a, b]")),
    Broken("a query that is a list", "topics.yaml", 8, "topics.summits.query",
           "expected a query in quotes", topics=TOPICS.replace("'@leaders NEAR/8 summit'",
                                                               "[summit]")),
    Broken("a misspelt list in a query", "topics.yaml", 8, "topics.summits.query",
           "unknown list '@leadres' at column 1; did you mean 'leaders'?",
           topics=TOPICS.replace("@leaders", "@leadres")),
    Broken("a list name a query cannot say", "topics.yaml", 2, "lists.world leaders",
           "letters, digits, _ and -", topics=TOPICS.replace("  leaders:", "  world leaders:")),
    Broken("a database URL of another kind", "", None, "DATABASE_URL",
           "expected sqlite:///path/to/newsbot.db or postgresql://",
           env={"DATABASE_URL": "mysql://root:hunter2@db/news"}),
]

@pytest.mark.parametrize("case", CASES, ids=[c.why for c in CASES])
def test_a_broken_config_is_refused_at_the_line_that_is_wrong(tmp_path: Path,
                                                                case: Broken) -> None:
    (tmp_path / "newsbot.yaml").write_text(case.main)
    (tmp_path / "topics.yaml").write_text(case.topics)
    with pytest.raises(ConfigError) as err:
        load(tmp_path / "newsbot.yaml", env=case.env)
    got = err.value
    assert (got.file, got.line, got.key or "") == (
        str(tmp_path / case.file) if case.file else None, case.line, case.key), str(got)
    assert case.says in str(got)
    assert "hunter2" not in str(got)


def test_the_same_config_fixed_loads(tmp_path: Path) -> None:
    """The table's base is valid: each case breaks exactly one thing."""
    (tmp_path / "newsbot.yaml").write_text(MAIN + "delivery:\n  timezone: Europe/Berlin\n"
                                           "health_port: 9100\n")
    (tmp_path / "topics.yaml").write_text(TOPICS)
    settings = load(tmp_path / "newsbot.yaml", env={})
    assert settings.delivery.timezone == "Europe/Berlin" and settings.health_port == 9100


def test_postgres_without_its_driver_says_which_extra(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "newsbot.yaml").write_text(MAIN)
    (tmp_path / "topics.yaml").write_text(TOPICS)
    monkeypatch.setitem(__import__("sys").modules, "psycopg", None)   # as if not installed
    with pytest.raises(ConfigError) as err:
        load(tmp_path / "newsbot.yaml", env={"DATABASE_URL": "postgresql://u:pw@db/news"})
    assert err.value.key == "DATABASE_URL"
    assert "pip install 'newsbot[postgres]'" in str(err.value) and "pw" not in str(err.value)
