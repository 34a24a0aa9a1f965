"""`newsbot run --once` as a real subprocess, against a feed server and a Bot API stand-in
on loopback, exactly as in production (TELEGRAM_API_URL points at the stand-in)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest

from tests.conftest import ROOT, need_shared
from tests.feedgen import Item, rss

CHANNEL = "@e2e_watch"


def write_config(tmp: Path, urls: list[str], *, backfill: int = 0, extra: str = "") -> Path:
    feeds = "\n".join(f"  - url: {u}\n    name: Feed {i}" for i, u in enumerate(urls))
    path = tmp / "newsbot.yaml"
    path.write_text(f"""channel: "{CHANNEL}"
backfill: {backfill}
defaults: {{every: 10m}}
feeds:
{feeds}
topics:
  summits:
    terms: [summit, "bilateral talks"]
  sanctions:
    terms: [sanctions, embargo]
    exclude: ["sanctioned race"]
{extra}""")
    return path


def run_once(config: Path, db: str, api) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWSBOT_CONFIG": str(config), "DATABASE_URL": db,
           "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": api.base_url,
           "NO_PROXY": "127.0.0.1,localhost"}
    result = subprocess.run([sys.executable, "-m", "bot", "run", "--once"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr + result.stdout
    assert api.token not in result.stdout + result.stderr
    return result


def item(n: int, title: str, *, hours_ago: float = 0, body: str = "") -> Item:
    return Item(guid=f"id-{n}", title=title, description=body or f"<p>{title}.</p>",
                published=datetime.now(UTC) - timedelta(hours=hours_ago),
                link=f"https://news.example/{n}")


def test_first_run_floods_nothing_then_new_matches_post_once_in_order(
        feed_server, telegram_api, db_url: str, tmp_path: Path) -> None:
    old = [item(1, "Leaders plan summit in Oslo", hours_ago=30),
           item(2, "Local bakery wins award", hours_ago=29)]
    url = feed_server.set_feed("/world.xml", rss(old))
    config = write_config(tmp_path, [url])

    run_once(config, db_url, telegram_api)
    assert telegram_api.texts(CHANNEL) == []          # existing items: seen, not posted

    new = [item(3, "New sanctions on steel exporters", hours_ago=-0.01),
           item(4, "Garden show opens", hours_ago=-0.02),
           item(5, "Presidents agree to a summit in Rome", hours_ago=-0.03)]
    feed_server.set_feed("/world.xml", rss(old + new))
    run_once(config, db_url, telegram_api)
    texts = [unescape(t) for t in telegram_api.texts(CHANNEL)]
    assert len(texts) == 2
    assert "New sanctions on steel exporters" in texts[0]      # oldest first
    assert "Presidents agree to a summit in Rome" in texts[1]
    assert "#sanctions" in texts[0] and "#summits" in texts[1]

    run_once(config, db_url, telegram_api)
    assert len(telegram_api.texts(CHANNEL)) == 2       # a second run posts nothing

    newer = item(6, "Embargo on arms shipments extended", hours_ago=-0.05)
    feed_server.set_feed("/world.xml", rss([*old, *new, newer]))
    run_once(config, db_url, telegram_api)
    texts = [unescape(t) for t in telegram_api.texts(CHANNEL)]
    assert len(texts) == 3 and "Embargo on arms shipments extended" in texts[2]


def test_a_feed_that_re_keys_its_old_items_floods_nothing(feed_server, telegram_api,
                                                           tmp_path) -> None:
    old = [item(n, f"Summit report {n}", hours_ago=100 + n) for n in range(5)]
    url = feed_server.set_feed("/k.xml", rss(old))
    config = write_config(tmp_path, [url])
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    run_once(config, db, telegram_api)
    # The site moves to a new GUID and URL scheme: every old item looks unseen. Beside them,
    # one story from while we were away (10 h ago) and one from now.
    rekeyed = [Item(guid=f"v2-{n}", title=i.title, description=i.description,
                    published=i.published, link=f"https://news.example/v2/{n}")
               for n, i in enumerate(old)]
    fresh = [item(7, "Summit of the missed night", hours_ago=10),
             item(8, "Summit called for today", hours_ago=-0.01)]
    feed_server.set_feed("/k.xml", rss(rekeyed + fresh))
    result = run_once(config, db, telegram_api)
    texts = [unescape(t) for t in telegram_api.texts(CHANNEL)]
    assert len(texts) == 2
    assert "missed night" in texts[0] and "called for today" in texts[1]
    assert "5 unseen item(s) dated more than" in result.stdout + result.stderr


def test_backfill_posts_the_most_recent_matches(feed_server, telegram_api, tmp_path) -> None:
    items = [item(n, f"Summit number {n}", hours_ago=10 - n) for n in range(5)]
    url = feed_server.set_feed("/f.xml", rss(items))
    config = write_config(tmp_path, [url], backfill=2)
    run_once(config, f"sqlite:///{tmp_path / 'db.sqlite'}", telegram_api)
    texts = [unescape(t) for t in telegram_api.texts(CHANNEL)]
    assert len(texts) == 2
    assert "Summit number 3" in texts[0] and "Summit number 4" in texts[1]


def test_one_broken_feed_does_not_stop_the_others(feed_server, telegram_api, tmp_path) -> None:
    good = feed_server.set_feed("/good.xml", rss([item(1, "Summit set", hours_ago=1)]))
    broken = feed_server.set_feed("/broken.xml", b"<html><body>Not a feed</body></html>",
                                  content_type="text/html")
    config = write_config(tmp_path, [broken, good], backfill=5)
    result = run_once(config, f"sqlite:///{tmp_path / 'db.sqlite'}", telegram_api)
    assert len(telegram_api.texts(CHANNEL)) == 1
    assert "not a feed" in (result.stdout + result.stderr).lower()


def test_seed_story_posts_without_its_boilerplate(feed_server, telegram_api, tmp_path) -> None:
    text = need_shared("seed", "putin-kim-summit-syndicated.txt").read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
    title = paragraphs[1]
    body = "".join(f"<p>{p}</p>" for p in paragraphs[2:])
    url = feed_server.set_feed("/ri.xml", rss([Item(
        guid="ri-1", title=title, description=body,
        published=datetime.now(UTC) - timedelta(hours=1),
        link="https://russia-insider.example/summit")], title="Russia Insider"))
    config = write_config(tmp_path, [url], backfill=1)
    run_once(config, f"sqlite:///{tmp_path / 'db.sqlite'}", telegram_api)
    [post] = [unescape(t) for t in telegram_api.texts(CHANNEL)]
    assert "Putin" in post and "Kim" in post
    for boilerplate in ("Go Ad-Free", "commenting rules", "Source: Zerohedge"):
        assert boilerplate not in post


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"]])
def test_cli_help_works(args: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "newsbot" in result.stdout


def test_a_paused_bot_queues_but_does_not_send_in_once_runs(feed_server, telegram_api,
                                                             tmp_path) -> None:
    from datetime import UTC, datetime

    from bot.store import SharedState, Store

    url = feed_server.set_feed("/p.xml", rss([item(1, "Summit set", hours_ago=1)]))
    config = write_config(tmp_path, [url], backfill=5)
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    store = Store(db)
    store.migrate()
    SharedState(store.engine).pause("admin 42", datetime.now(UTC))
    result = run_once(config, db, telegram_api)
    assert telegram_api.texts(CHANNEL) == [] and "posting is paused" in result.stdout
    assert store.outbox.pending() == 1
    SharedState(store.engine).resume()
    run_once(config, db, telegram_api)
    assert len(telegram_api.texts(CHANNEL)) == 1
    store.close()
