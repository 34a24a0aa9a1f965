"""/healthz and /metrics from a running newsbot; logs on stdout as JSON without the token;
the `run --once` progress bar in a terminal."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import socket
import struct
import subprocess
import sys
import termios
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from bot.config import load
from bot.models import FeedState
from bot.service.health import failing_feeds
from bot.service.polling import housekeep_every
from bot.store.schema import feeds, stories
from tests.conftest import ROOT
from tests.feedgen import Item, rss
from tests.running import start_newsbot, wait_for

CHANNEL = "@ops_e2e"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def feed_with_a_match(feed_server) -> str:
    when = datetime.now(UTC) + timedelta(minutes=1)
    return feed_server.set_feed("/o.xml", rss([Item(
        guid="o-1", title="Summit opens in Oslo", description="<p>Leaders meet.</p>",
        published=when, link="https://news.example/o1")]))


def test_healthz_and_metrics_are_served_on_health_port(feed_server, telegram_api,
                                                       tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "newsbot.yaml"
    config.write_text(f'channel: "{CHANNEL}"\nhealth_port: {port}\n'
                      f"feeds:\n  - url: {feed_with_a_match(feed_server)}\n"
                      "topics:\n  summits:\n    terms: [summit]\n")
    bot = start_newsbot(config, telegram_api, tmp_path)
    try:
        wait_for(lambda: telegram_api.texts(CHANNEL), "the post")
        status, body = get(f"http://127.0.0.1:{port}/healthz")
        health = json.loads(body)
        assert status == 200 and health["status"] == "ok" and health["feeds"] == 1
        assert health["paused"] is False
        def counted() -> str | None:
            text = get(f"http://127.0.0.1:{port}/metrics")[1]
            return text if 'newsbot_posts_sent_total{kind="post"} 1.0' in text else None

        metrics = wait_for(counted, "the post to be counted")
        for line in ('newsbot_feeds_polled_total{outcome="ok"} 1.0',
                     "newsbot_items_parsed_total 1.0",
                     'newsbot_matches_total{topic="summits"} 1.0',
                     "newsbot_outbox_pending ", "newsbot_telegram_429_total 0.0",
                     "newsbot_publish_to_post_seconds_count 1.0"):
            assert line in metrics, line
        assert get(f"http://127.0.0.1:{port}/nope")[0] == 404
    finally:
        assert bot.terminate() == 0, bot.log


def test_logs_are_json_lines_on_stdout_and_never_contain_the_token(
        feed_server, telegram_api, tmp_path: Path) -> None:
    config = tmp_path / "newsbot.yaml"
    # DEBUG: PTB logs its request URLs, which contain the token, at this level.
    config.write_text(f'channel: "{CHANNEL}"\nadmins: [5]\nlog: {{json: true, level: DEBUG}}\n'
                      f"feeds:\n  - url: {feed_with_a_match(feed_server)}\n"
                      "topics:\n  summits:\n    terms: [summit]\n")
    bot = start_newsbot(config, telegram_api, tmp_path, ready="admin commands on")
    telegram_api.push_message(6, 6, "/status")               # a refusal gets logged too
    wait_for(lambda: telegram_api.texts(CHANNEL) and telegram_api.texts(6), "post and reply")
    assert bot.terminate() == 0
    log = bot.log
    secret = telegram_api.token.split(":", 1)[1]
    assert telegram_api.token not in log and secret not in log
    records = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert {"time", "level", "logger", "message"} <= set(records[0])
    assert any("refused" in r["message"] for r in records)


def test_run_once_shows_a_progress_bar_in_a_terminal(feed_server, tmp_path: Path) -> None:
    config = tmp_path / "newsbot.yaml"
    config.write_text(f'channel: "{CHANNEL}"\nfeeds:\n  - url: {feed_with_a_match(feed_server)}\n'
                      "topics:\n  summits:\n    terms: [summit]\n")
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update(NEWSBOT_CONFIG=str(config), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite'}",
               NO_PROXY="127.0.0.1,localhost")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    proc = subprocess.run([sys.executable, "-m", "bot", "run", "--once"], cwd=ROOT, env=env,
                          stdout=subprocess.DEVNULL, stderr=slave, timeout=120)
    os.close(slave)
    out = b""
    try:
        while chunk := os.read(master, 65536):
            out += chunk
    except OSError:                       # EIO: the terminal's other end is closed
        pass
    os.close(master)
    assert proc.returncode == 0
    assert "polling: 100%" in out.decode(errors="replace") and "1/1" in out.decode()


# -- the failing gauge counts the feeds in the config -----------------------------------------

def test_the_failing_gauge_counts_only_configured_feeds(tmp_path: Path) -> None:
    (tmp_path / "newsbot.yaml").write_text("feeds:\n  - https://a.example/rss\n"
                                           "  - https://b.example/rss\n"
                                           "topics:\n  summits: {terms: [summit]}\n")
    settings = load(tmp_path / "newsbot.yaml", env={})
    states = [FeedState(url="https://a.example/rss", error_count=3),
              FeedState(url="https://b.example/rss"),
              FeedState(url="https://removed.example/rss", error_count=7)]
    assert failing_feeds(settings, states) == 1


def _metric(port: int, name: str) -> str | None:
    for line in get(f"http://127.0.0.1:{port}/metrics")[1].splitlines():
        if line.startswith(f"{name} "):
            return line.split()[1]
    return None


def test_a_feed_removed_from_the_config_leaves_the_failing_gauge(feed_server, telegram_api,
                                                                 tmp_path: Path) -> None:
    port = free_port()
    good = feed_server.set_feed("/good.xml", rss([]))
    bad = feed_server.set_status("/bad.xml", 500)
    config = tmp_path / "newsbot.yaml"

    def write(*urls: str, comment: str = "") -> None:
        config.write_text(f'# {comment}\nchannel: "{CHANNEL}"\nhealth_port: {port}\nfeeds:\n'
                          + "".join(f"  - url: {u}\n" for u in urls)
                          + "topics:\n  summits:\n    terms: [summit]\n")

    write(good, bad)
    bot = start_newsbot(config, telegram_api, tmp_path)
    wait_for(lambda: _metric(port, "newsbot_feeds_failing") == "1.0", "the failing feed")
    # Removed while newsbot is stopped: its row stays in the database, not in the gauge.
    assert bot.terminate() == 0, bot.log
    write(good)
    bot = start_newsbot(config, telegram_api, tmp_path, name="again")
    try:
        for n in (1, 2):        # two reloads: the gauge is set after each config check
            write(good, comment=f"edit {n}")
            wait_for(lambda n=n: bot.log.count("config applied") == n, f"reload {n}")
        assert _metric(port, "newsbot_feeds_failing") == "0.0"
        # Removed while running: forgotten at once.
        write(good, bad)
        wait_for(lambda: _metric(port, "newsbot_feeds_failing") == "1.0", "the feed back")
        write(good)
        wait_for(lambda: _metric(port, "newsbot_feeds_failing") == "0.0", "the gauge to drop")
        engine = create_engine(bot.db_url)
        try:
            with engine.connect() as conn:
                assert conn.execute(select(feeds.c.url)).scalars().all() == [good]
        finally:
            engine.dispose()
    finally:
        assert bot.terminate() == 0, bot.log


# -- the retention sweep follows `retention` --------------------------------------------------

@pytest.mark.parametrize(("retention", "every"), [
    (timedelta(days=30), timedelta(hours=6)),          # long: at most every 6 hours
    (timedelta(hours=72), timedelta(hours=6)),
    (timedelta(hours=10), timedelta(hours=1)),         # a tenth of it
    (timedelta(minutes=2), timedelta(seconds=12)),
    (timedelta(seconds=5), timedelta(seconds=1)),      # at most every second
])
def test_the_sweep_runs_every_tenth_of_retention_within_bounds(retention, every) -> None:
    assert housekeep_every(retention) == every


def test_a_long_lived_run_deletes_stories_as_they_pass_retention(feed_server, telegram_api,
                                                                  tmp_path: Path) -> None:
    when = datetime.now(UTC) + timedelta(minutes=1)
    url = feed_server.set_feed("/r.xml", rss([
        Item(guid=f"r-{n}", title=f"Summit number {n} in city {n}", link=f"https://n.ex/{n}",
             description=f"<p>Report {n} of its own.</p>", published=when) for n in range(3)]))
    config = tmp_path / "newsbot.yaml"
    config.write_text(f'channel: "{CHANNEL}"\nfeeds:\n  - url: {url}\n'
                      "topics:\n  summits:\n    terms: [summit]\n"
                      "dedupe: {window: 2s}\nretention: 3s\n")
    bot = start_newsbot(config, telegram_api, tmp_path)
    engine = create_engine(bot.db_url)
    try:
        wait_for(lambda: len(telegram_api.texts(CHANNEL)) == 3, "three posts")
        # Sent, then older than 3 s: the sweep (every 1 s here, not every 6 hours) takes them.
        bot.wait_log("retention: deleted 3 stories", timeout=15)
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(stories)).scalar() == 0
    finally:
        engine.dispose()
        assert bot.terminate() == 0, bot.log
