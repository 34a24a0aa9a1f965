"""`newsbot check`: config, Bot API getMe and every feed, as a table; non-zero on problems."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.feedgen import Item, rss


def check(config: Path, api, token: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": token or api.token,
           "TELEGRAM_API_URL": api.base_url, "DATABASE_URL": "sqlite:///:memory:"}
    return subprocess.run([sys.executable, "-m", "bot", "--config", str(config), "check"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def config_with(tmp_path: Path, *urls: str) -> Path:
    path = tmp_path / "newsbot.yaml"
    feeds = "".join(f"  - url: {u}\n" for u in urls)
    path.write_text(f'channel: "@checked"\nfeeds:\n{feeds}topics:\n  s: {{terms: [summit]}}\n')
    return path


def test_all_good_exits_zero_with_a_table(feed_server, telegram_api, tmp_path) -> None:
    url = feed_server.set_feed("/ok.xml", rss([Item("1", "Summit", "<p>x</p>")]))
    result = check(config_with(tmp_path, url), telegram_api)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Bot API getMe" in result.stdout and "OK" in result.stdout
    assert "1 items, rss20" in result.stdout and "all good" in result.stdout
    assert [r.method for r in telegram_api.requests if r.method == "getMe"]


def test_problems_are_listed_and_exit_non_zero(feed_server, telegram_api, tmp_path) -> None:
    good = feed_server.set_feed("/ok.xml", rss([Item("1", "Summit", "<p>x</p>")]))
    html = feed_server.set_html("/page.html")
    gone = feed_server.set_status("/gone.xml", 410)
    result = check(config_with(tmp_path, good, html, gone), telegram_api)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any("page.html" in line and "FAIL" in line and "not a feed" in line
               for line in lines)
    assert any("gone.xml" in line and "FAIL" in line for line in lines)
    assert "2 problem(s)" in result.stdout


def test_a_rejected_token_is_a_problem_and_never_printed(feed_server, telegram_api,
                                                         tmp_path) -> None:
    url = feed_server.set_feed("/ok.xml", rss([Item("1", "Summit", "<p>x</p>")]))
    bad = "999999:WRONG-TOKEN-VALUE"
    result = check(config_with(tmp_path, url), telegram_api, token=bad)
    assert result.returncode == 1
    assert "TELEGRAM_BOT_TOKEN" in result.stdout
    assert bad not in result.stdout + result.stderr
