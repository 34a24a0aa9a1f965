"""Crash safety with real processes: `python -m bot run` subprocesses against a feed server and
the Bot API stand-in on loopback, killed with SIGKILL at random moments, facing outages and
429 storms. Telegram has no idempotency key, so a kill between Telegram's acceptance and our
commit may repeat that one message: at most one duplicate per kill, and nothing lost."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from bot.store.schema import outbox
from tests.conftest import ROOT
from tests.fakes.telegram_api import TelegramAPIServer
from tests.feedgen import Item, rss

CHAT = "@crash_watch"
SYLLABLES = ["ka", "lo", "mi", "ren", "tu", "vas", "qo", "zer", "pim", "dal", "fen", "gru",
             "hob", "jex", "nir", "sul", "wex", "yad", "bri", "cot"]


def config(tmp: Path, feed_url: str, **delivery: Any) -> Path:
    knobs = {"per_chat_per_minute": 1000, "per_second": 100, "digest_after": 1000,
             "retry_base": 0.2, "retry_max": 1, "lease": 2, **delivery}
    path = tmp / "newsbot.yaml"
    path.write_text(f"""channel: "{CHAT}"
defaults: {{every: 10m}}
feeds:
  - url: {feed_url}
    name: Wire
topics:
  sanctions:
    terms: [sanctions]
delivery:
""" + "".join(f"  {k}: {v}\n" for k, v in knobs.items()))
    return path


def stories(n: int, seed: int = 7) -> list[Item]:
    """`n` matching items with unrelated wording (no two are the same story), oldest first,
    published after the feed was first polled."""
    rng = random.Random(seed)

    def words(k: int) -> str:
        return " ".join("".join(rng.choice(SYLLABLES) for _ in range(3)) for _ in range(k))

    start = datetime.now(UTC) + timedelta(minutes=5)
    return [Item(guid=f"s{i}", title=f"Sanctions {i}: {words(5)}",
                 description=f"<p>{words(30)}.</p>", published=start + timedelta(seconds=i),
                 link=f"https://wire.example/{i}") for i in range(n)]


def env(api: TelegramAPIServer, cfg: Path, db: str) -> dict[str, str]:
    return {**os.environ, "NEWSBOT_CONFIG": str(cfg), "DATABASE_URL": db,
            "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": api.base_url,
            "NO_PROXY": "127.0.0.1,localhost"}


def start(api: TelegramAPIServer, cfg: Path, db: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bot", "run", *args], cwd=ROOT,
                            env=env(api, cfg, db), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def run_once(api: TelegramAPIServer, cfg: Path, db: str) -> str:
    proc = start(api, cfg, db, "--once")
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    return out


def prepared(feed_server: Any, tmp: Path, n: int, **delivery: Any) -> tuple[Path, list[Item]]:
    """A feed with `n` matching items published after the bot first sees it (so the first
    poll posts them all: no backfill rule applies) and a config for it."""
    items = stories(n)
    url = feed_server.set_feed("/wire.xml", rss(items))
    return config(tmp, url, **delivery), items


def delivered(api: TelegramAPIServer) -> list[str]:
    """Which story each message in the channel is, in channel order."""
    return [unescape(t).split("\n")[0].split(":")[0] for t in api.texts(CHAT)]


def states(db: str) -> Counter[str]:
    url = db.replace("postgresql://", "postgresql+psycopg://")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return Counter(conn.execute(select(outbox.c.state)).scalars())
    finally:
        engine.dispose()


def wait_until(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_kill_9_at_random_moments_loses_nothing_and_repeats_at_most_one_per_kill(
        feed_server: Any, telegram_api: TelegramAPIServer, db_url: str,
        tmp_path: Path) -> None:
    cfg, items = prepared(feed_server, tmp_path, 40)
    telegram_api.slow(0.05, "sendMessage")     # accepted first, answered late: a wide window
    rng, kills = random.Random(), 0
    for i in range(5):                          # `run --once` and long-lived `run`, in turn
        before = len(telegram_api.calls("sendMessage"))
        proc = start(telegram_api, cfg, db_url, *(() if i % 2 else ("--once",)))
        if i % 2:                               # anywhere: start-up, polling, sending
            time.sleep(rng.uniform(0.3, 2.5))
        else:                                   # while it is sending
            wait_until(lambda b=before, p=proc: len(telegram_api.calls("sendMessage")) > b
                       or p.poll() is not None, 10)
            time.sleep(rng.uniform(0.0, 0.6))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.communicate(timeout=30)
    run_once(telegram_api, cfg, db_url)         # the final restart, left to finish

    seen = Counter(delivered(telegram_api))
    assert set(seen) == {f"Sanctions {i}" for i in range(len(items))}, "a story was lost"
    duplicates = sum(c - 1 for c in seen.values())
    assert duplicates <= kills, f"{duplicates} duplicates after {kills} kills"
    assert states(db_url) == Counter(sent=len(items))


@pytest.mark.parametrize("outage", ["refused", "502"])
def test_everything_queued_during_an_outage_goes_out_in_order_after_it(
        feed_server: Any, telegram_api: TelegramAPIServer, tmp_path: Path, outage: str) -> None:
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    cfg, items = prepared(feed_server, tmp_path, 8)
    if outage == "refused":
        telegram_api.down_for(3)
    else:
        telegram_api.server_error(502, seconds=3)
    out = run_once(telegram_api, cfg, db)
    # It met the outage: while sending, or (a slow start-up) already at its getMe.
    assert "retrying in" in out or "not reachable at start" in out
    assert delivered(telegram_api) == [f"Sanctions {i}" for i in range(len(items))]


def test_a_429_storm_loses_nothing_and_no_retry_comes_before_retry_after(
        feed_server: Any, telegram_api: TelegramAPIServer, db_url: str,
        tmp_path: Path) -> None:
    cfg, items = prepared(feed_server, tmp_path, 10)
    telegram_api.flood(times=2, retry_after=1)  # the first two tries, then more mid-run
    struck = threading.Event()

    def storm() -> None:
        if wait_until(lambda: len(telegram_api.texts(CHAT)) >= 4, 60):
            telegram_api.flood(times=2, retry_after=1)
            struck.set()

    threading.Thread(target=storm, daemon=True).start()
    run_once(telegram_api, cfg, db_url)
    assert struck.is_set()
    assert delivered(telegram_api) == [f"Sanctions {i}" for i in range(len(items))]
    calls = telegram_api.calls("sendMessage")
    floods = [c for c in calls if c.status == 429]
    assert floods, "the storm did not hit"
    for flood in floods:
        early = [c for c in calls if flood.time < c.time < flood.time + 1]
        assert early == [], f"retried {early[0].time - flood.time:.2f} s after a 429"


def test_a_restart_right_after_a_run_sends_nothing_again(
        feed_server: Any, telegram_api: TelegramAPIServer, db_url: str,
        tmp_path: Path) -> None:
    cfg, items = prepared(feed_server, tmp_path, 5)
    proc = start(telegram_api, cfg, db_url)     # long-lived, then a clean SIGTERM
    assert wait_until(lambda: len(telegram_api.texts(CHAT)) == len(items), 30)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    sent = len(telegram_api.calls("sendMessage"))
    run_once(telegram_api, cfg, db_url)
    proc = start(telegram_api, cfg, db_url)
    time.sleep(2.5)                             # polled and drained by now, if it would
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert len(telegram_api.calls("sendMessage")) == sent
    assert len(telegram_api.texts(CHAT)) == len(items)
