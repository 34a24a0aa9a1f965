"""Several `newsbot run` processes on one PostgreSQL split the work and never repeat it:
real processes, real PostgreSQL, a feed server and the Bot API stand-in on loopback."""

from __future__ import annotations

import itertools
import random
import signal
import time
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest

from tests.feedgen import Item, rss
from tests.running import start_newsbot, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

FEEDS = 200
EVERY = 4.0            # seconds between polls of one feed
JITTER = 0.1
CHANNEL = "@multi_watch"
# 384 made-up words: two stories share hardly any, so neither the salient terms nor the
# encoder (which reads these template ledes as alike) can take one for the other.
VOCABULARY = [f"{a}{m}{b}" for a in ("tar", "vel", "mor", "quin", "dax", "lum", "sor", "pel")
              for m in ("ka", "lo", "mi", "ren", "tu", "vas")
              for b in ("ano", "ide", "ust", "orra", "eth", "ivo", "ampa", "uk")]
ADMIN = 4242


def config(tmp: Path, urls: list[str], every: float = EVERY) -> Path:
    feeds = "".join(f"  - url: {u}\n" for u in urls)
    path = tmp / "newsbot.yaml"
    path.write_text(f'''channel: "{CHANNEL}"
admins: [{ADMIN}]
defaults: {{every: {every:g}s}}
polling: {{jitter: {JITTER}, total_timeout: 5, workers: 8}}
delivery: {{lease: 10s, per_chat_per_minute: 1000, per_second: 100, digest_after: 1000}}
feeds:
{feeds}topics:
  summits: {{terms: [summit]}}
''')
    return path


def test_three_processes_poll_each_feed_once_per_interval_and_post_each_story_once(
        feed_server, telegram_api, pg_url: str, tmp_path: Path) -> None:
    rng = random.Random(7)
    items: dict[int, list[Item]] = {
        n: [Item(guid=f"old-{n}", title=f"Old news {n}", description="<p>old</p>",
                 published=datetime.now(UTC) - timedelta(days=1))] for n in range(FEEDS)}
    urls = [feed_server.set_feed(f"/f{n}.xml", rss(items[n])) for n in range(FEEDS)]
    cfg = config(tmp_path, urls)
    bots = [start_newsbot(cfg, telegram_api, tmp_path, db_url=pg_url, name=f"bot{i}")
            for i in range(3)]
    expected: list[str] = []
    try:
        # Every feed's first poll (marks the old items seen, posts nothing).
        wait_for(lambda: all(feed_server.requests_for(f"/f{n}.xml") for n in range(FEEDS)),
                 "a first poll of every feed", timeout=60)
        start = time.monotonic()
        for round_ in range(6):
            for n in rng.sample(range(FEEDS), 15):
                # Distinct words, and a figure of its own ("2.54"): the template reads alike
                # to the encoder, and a shared round number ("Summit 2-54", "Summit 2-91")
                # was evidence enough to fold two of these into one story.
                words = " ".join(rng.sample(VOCABULARY, 6))
                title = f"Summit on {words} ({round_}.{n})"
                items[n].append(Item(guid=f"r{round_}-{n}", title=title,
                                     description=f"<p>Leaders discussed {words}.</p>",
                                     published=datetime.now(UTC)))
                feed_server.set_feed(f"/f{n}.xml", rss(items[n]))
                expected.append(title)
            if round_ == 2:                     # one process dies without any cleanup
                bots[0].proc.send_signal(signal.SIGKILL)
                bots[0].proc.wait(timeout=10)
                killed_at = time.monotonic()
                bots[0] = start_newsbot(cfg, telegram_api, tmp_path, db_url=pg_url,
                                        name="bot0-again")
            time.sleep(EVERY)

        def posted() -> list[str]:
            return [unescape(t) for t in telegram_api.texts(CHANNEL)]

        def missing() -> list[str]:
            texts = posted()
            return [e for e in expected if not any(e in t for t in texts)]

        try:
            wait_for(lambda: not missing(), "every story posted", timeout=90)
        except AssertionError:
            logs = "\n".join(line for b in bots for line in b.log.splitlines()
                             if "WARNING" in line or "ERROR" in line)
            raise AssertionError(f"{len(missing())} of {len(expected)} stories not posted: "
                                 f"{missing()[:5]}\n{logs[-4000:]}") from None
        end = time.monotonic()
    finally:
        codes = [bot.terminate(timeout=15) for bot in bots if bot.proc.poll() is None]
    assert all(code == 0 for code in codes), [b.log for b in bots]

    # Each matching story once; a kill between Telegram's answer and the commit may
    # repeat the one message in flight (Telegram has no idempotency key).
    texts = posted()
    counts = {e: sum(e in t for t in texts) for e in expected}
    assert all(c >= 1 for c in counts.values())
    assert sum(c - 1 for c in counts.values()) <= 1, counts
    assert len(texts) == len(expected) + sum(c - 1 for c in counts.values())

    # Each feed once per interval: no two polls of a feed closer than the interval's
    # lower bound (a double poll would show as a gap near zero), and, away from the kill,
    # no feed left behind (gaps at most the upper bound plus scheduling slack).
    lower, upper = EVERY * (1 - JITTER) - 0.3, EVERY * (1 + JITTER) + 2.5
    lease_ttl = 5 + 30
    for n in range(FEEDS):
        times = [r.started for r in feed_server.requests_for(f"/f{n}.xml")
                 if start <= r.started <= end]
        gaps = list(itertools.pairwise(times))
        # A poll the killed process had in flight never recorded itself: the restart releases
        # the dead process's leases (bot/service/reclaim.py), so that feed is polled again at
        # once, by design. Only a gap straddling the kill may be that short.
        assert all(b - a >= lower or killed_at - EVERY <= a <= killed_at <= b
                   for a, b in gaps), (n, times, killed_at)
        late = [(a, b) for a, b in gaps if b - a > upper
                and not (a <= killed_at + lease_ttl and b >= killed_at)]
        assert not late, (n, late)

    # One update reader at a time: Telegram answers 409 Conflict to a second reader.
    # A handover (the killed holder's dangling long poll, PTB's last poll at shutdown)
    # may end one poll with a 409; two readers side by side would make a storm of them.
    conflicts = [r for r in telegram_api.calls("getUpdates") if r.status == 409]
    assert len(conflicts) <= 3, len(conflicts)
    assert len(telegram_api.calls("getUpdates")) >= 2, "nobody read admin commands"


def test_once_due_processes_started_together_split_one_cycle(
        feed_server, pg_url: str, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    urls = [feed_server.set_feed(f"/s{n}.xml", rss([Item(
        guid=f"s{n}", title=f"Item {n}", description="<p>x</p>")])) for n in range(40)]
    # A minute apart: the second round below must come before any feed is due again, even
    # on a loaded machine where three processes take more than EVERY seconds to start.
    cfg = config(tmp_path, urls, every=60)
    env = {**os.environ, "DATABASE_URL": pg_url, "NEWSBOT_CONFIG": str(cfg)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    subprocess.run([sys.executable, "-m", "bot", "status"], env=env, cwd=ROOT, check=True,
                   capture_output=True)             # the schema, before the race
    procs = [subprocess.Popen([sys.executable, "-m", "bot", "run", "--once", "--due"],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    errs = [p.communicate(timeout=120)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errs
    assert all(len(feed_server.requests_for(f"/s{n}.xml")) == 1 for n in range(40))
    # A second round right away: nothing is due yet, so nothing is fetched again.
    again = subprocess.run([sys.executable, "-m", "bot", "run", "--once", "--due"], env=env,
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "polled 0 feeds (40 not due or polled by another process)" in again.stderr
    assert all(len(feed_server.requests_for(f"/s{n}.xml")) == 1 for n in range(40))
