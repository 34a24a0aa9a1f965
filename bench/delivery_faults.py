"""Issue #18's figures: delivery against what Telegram actually does, measured, not asserted.

    python bench/delivery_faults.py [--pg postgresql://...] [--only NAME ...] [--quick]

Every scenario runs the real Sender (python-telegram-bot over HTTP) or real `python -m bot
run` processes against the Bot API stand-in on 127.0.0.1 (tests/fakes/telegram_api.py):

- retry_after: a 429 with retry_after closes the chat; the process is killed (-9) inside the
  window and restarted at once, and (PostgreSQL) a second process starts on the same
  database. Counted: requests to the chat inside the window (the stand-in records them).
- late: Telegram takes 3 messages and answers each 25 s late; default settings
  (send_timeout 45 s). Counted: stories that reached the channel more than once. And what
  is left: answers later than send_timeout (scaled down: 2 s timeout, 3 s late).
- outage: 150 s of 502 pages from the front nginx while 105 stories are queued; default
  settings (retry_base 5 s). Counted: requests during the outage, stories out of order
  after it, and log lines written (the production log set-up).
- getme400: getMe answers 400 (echoing the token-bearing path) for 10 s before the first
  post, 14 posts queued. Counted: posts failed.
- token: the same 400 to a real `newsbot run` and to `newsbot check`. Searched, in any
  letter case: the log, the command output, every table of the database, the alerts.
- admin: a real `newsbot run`; the Bot API refuses connections for its first 10 s, later
  answers getUpdates with 401 for 25 s. Timed: from each recovery to /status answered.
- sigterm: SIGTERM while every call gets 401. Timed: until exit; and its exit code.

Prints one line per figure; docs/delivery.md has the numbers of the last run.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import io
import itertools
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, inspect, text

from bot.deliver import Sender, TelegramDeliverer
from bot.models import utcnow
from bot.service import setup_logging
from bot.settings import DeliverySettings
from bot.store import Store
from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_api import TelegramAPIServer
from tests.feedgen import rss
from tests.outbox_helpers import open_store, queue, title
from tests.system.test_crash import CHAT, config, stories
from tests.system.test_crash import wait_until as wait

ADMIN = 111


def figure(name: str, value: object, note: str = "") -> None:
    print(f"{name:<58} {value!s:>10}  {note}", flush=True)


def sender(store: Store, api: TelegramAPIServer, owner: str = "bench", *,
           send_timeout: float | None = None, **delivery: Any) -> Sender:
    settings = dataclasses.replace(DeliverySettings(), **delivery)
    if send_timeout is not None:
        settings = dataclasses.replace(settings, send_timeout=timedelta(seconds=send_timeout))
    deliverer = TelegramDeliverer(api.token, api.base_url,
                                  send_timeout=settings.send_timeout.total_seconds())
    return Sender(store, deliverer, settings, owner, operator_chat="@ops_room")


async def drain_all(s: Sender, limit: float) -> None:
    """The service loop: drain, sleep until the next wake, until nothing waits."""
    deadline = time.monotonic() + limit
    try:
        while time.monotonic() < deadline:
            await s.drain()
            wake = await s.next_wake()
            if wake is None:
                return
            await asyncio.sleep(max(0.05, min(1.0, (wake - utcnow()).total_seconds())))
    finally:
        await s.deliverer.close()


def copies(api: TelegramAPIServer, chat: str, n: int) -> Counter[int]:
    """How many messages in the channel hold each story (a digest holds several)."""
    found: Counter[int] = Counter()
    for t in api.texts(chat):
        for i in range(n):
            if title(i) in unescape(t):
                found[i] += 1
    return found


def run_bot(api: TelegramAPIServer, cfg: Path, db: str, log: Path, *args: str,
            extra: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NEWSBOT_CONFIG": str(cfg), "DATABASE_URL": db,
           "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": api.base_url,
           "NO_PROXY": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1", **(extra or {})}
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def rows_in(db: str, table: str) -> int:
    engine = create_engine(db.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table(table):
                return 0
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)
    finally:
        engine.dispose()


# -- scenarios ------------------------------------------------------------------------------
def retry_after(tmp: Path, pg: str | None, window: int) -> None:
    runs = [("SQLite, kill -9 and restart", f"sqlite:///{tmp / 'ra.db'}", False)]
    drop = None
    if pg:
        url, drop = pg_schema(pg)
        runs.append(("PostgreSQL, kill -9, restart + a second process", url, True))
    for label, db, second in runs:
        _retry_after_run(tmp, label, db, second, window)
    if drop is not None:
        drop()


def _retry_after_run(tmp: Path, label: str, db: str, second: bool, window: int) -> None:
    with FeedServer() as feeds, TelegramAPIServer() as api:
        items = stories(20)
        cfg = config(tmp, feeds.set_feed("/ra.xml", rss(items)))
        api.flood_chat(CHAT, retry_after=window)
        log = tmp / "ra.log"
        first = run_bot(api, cfg, db, log, "run")
        wait(lambda: rows_in(db, "chat_pauses") and rows_in(db, "outbox") == len(items), 60)
        first.send_signal(signal.SIGKILL)
        first.wait()
        procs = [run_bot(api, cfg, db, log, "run")]
        if second:
            procs.append(run_bot(api, cfg, db, log, "run"))
        wait(lambda: len(api.texts(CHAT)) >= len(items), window + 60)
        inside = api.violations(CHAT)
        first_ok = min((r.time for r in api.calls("sendMessage") if r.status == 200),
                       default=None)
        flood = min(r.time for r in api.calls("sendMessage") if r.status == 429)
        for p in procs:
            p.send_signal(signal.SIGTERM)
            p.wait(30)
        figure(f"sends inside a {window} s retry_after ({label})", len(inside),
               f"first accepted send {first_ok - flood:.1f} s after the 429; "
               f"{len(api.texts(CHAT))}/{len(items)} delivered"
               if first_ok else "nothing delivered")


def pg_schema(base: str) -> tuple[str, Callable[[], None]]:
    """A fresh schema on `base` (as the tests' pg_url fixture does) and its dropper."""
    import uuid

    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return f"{base}?options=-csearch_path%3D{schema}", drop


def late(tmp: Path, quick: bool) -> None:
    cases = [("25 s late, send_timeout 45 s (default)", 25.0, None)]
    if quick:
        cases = []
    cases.append(("3 s late, send_timeout 2 s (past the timeout)", 3.0, 2.0))
    for label, delay, timeout in cases:
        with TelegramAPIServer() as api:
            store = open_store(f"sqlite:///{tmp / f'late{delay}.db'}")
            queue(store, range(12), CHAT, now=utcnow())          # a digest, then posts
            api.answer_late(delay, times=3)
            s = sender(store, api, send_timeout=timeout, retry_base=timedelta(seconds=1))
            started = time.monotonic()
            asyncio.run(drain_all(s, 600))
            seen = copies(api, CHAT, 12)
            extra = sum(c - 1 for c in seen.values())
            unconfirmed = store.outbox.pending()
            figure(f"duplicate copies, 3 answers {label}", extra,
                   f"{len(seen)}/12 stories out in {time.monotonic() - started:.0f} s, "
                   f"{len(api.calls('sendMessage'))} requests, {unconfirmed} left pending")
            store.close()


def outage(tmp: Path, seconds: float) -> None:
    buf = io.StringIO()
    setup_logging("INFO", stream=buf)
    with TelegramAPIServer() as api:
        store = open_store(f"sqlite:///{tmp / 'outage.db'}")
        api.outage("502", seconds=seconds)
        s = sender(store, api)
        n, start = 105, time.monotonic()

        async def go() -> None:
            queued = 0
            while time.monotonic() - start < seconds:   # the pipeline keeps queueing
                due = int(n * (time.monotonic() - start) / seconds) + 1
                if due > queued:
                    queue(store, range(queued, min(due, n)), CHAT, now=utcnow())
                    queued = min(due, n)
                await s.drain()
                await asyncio.sleep(0.5)
            queue(store, range(queued, n), CHAT, now=utcnow())
            await drain_all(s, 900)
        asyncio.run(go())
        during = [r for r in api.requests if r.status == 502]
        order = [i for t in api.texts(CHAT) for i in range(n) if title(i) in unescape(t)]
        late_ones = sum(1 for a, b in itertools.pairwise(order) if b < a)
        lines = buf.getvalue().splitlines()
        figure(f"requests during {seconds:.0f} s of 502s", len(during),
               f"{len(api.texts(CHAT))} messages after it, all {len(set(order))}/{n} stories")
        figure("stories out after a newer one", late_ones, "(0: oldest first)")
        figure("log lines during the outage and after", len(lines),
               f"{sum('Traceback' in x for x in lines)} tracebacks")
        store.close()
    logging.getLogger().handlers.clear()


def getme400(tmp: Path) -> None:
    with TelegramAPIServer() as api:
        store = open_store(f"sqlite:///{tmp / 'getme.db'}")
        queue(store, range(14), CHAT, now=utcnow())
        api.refuse_echoing_path(method="getMe", seconds=10)
        s = sender(store, api, digest_after=100, retry_base=timedelta(seconds=1))
        started = time.monotonic()
        asyncio.run(drain_all(s, 300))
        engine = store.engine
        with engine.connect() as conn:
            failed = conn.execute(text("SELECT count(*) FROM outbox WHERE state = 'failed'"))
            failed_n = failed.scalar()
        figure("posts failed by a getMe 400 before the first post", failed_n,
               f"{len(api.texts(CHAT))}/14 posted {time.monotonic() - started:.0f} s later; "
               f"{len(api.texts('@ops_room'))} operator alert(s)")
        store.close()


def token(tmp: Path) -> None:
    with FeedServer() as feeds, TelegramAPIServer(token="424242:AbCdEf-MiXeD-CaSe-Secret") \
            as api:
        items = stories(5)
        cfg = config(tmp, feeds.set_feed("/tok.xml", rss(items)))
        cfg.write_text(cfg.read_text() + 'operator_chat: "@ops_room"\n')
        db, log = f"sqlite:///{tmp / 'token.db'}", tmp / "token.log"
        api.refuse_echoing_path(method="getMe", seconds=6)
        api.refuse_echoing_path(description="Bad Request: invalid path", method="sendMessage",
                                times=2)
        proc = run_bot(api, cfg, db, log, "run", "--once")
        proc.wait(180)
        check = tmp / "check.out"
        api.refuse_echoing_path(method="getMe", times=1)
        run_bot(api, cfg, db, check, "check").wait(120)
        engine = create_engine(db)
        with engine.connect() as conn:
            dump = " ".join(str(v) for t in inspect(conn).get_table_names()
                            for r in conn.execute(text(f"SELECT * FROM {t}")) for v in r)
        engine.dispose()
        secret = api.token.split(":")[1]
        where = {"log": log.read_text(), "newsbot check output": check.read_text(),
                 "database": dump, "alerts and posts": " ".join(api.texts("@ops_room"))}
        found = {k: len(re.findall(re.escape(secret), v, re.IGNORECASE))
                 for k, v in where.items()}
        echoed = sum(v.count("<TELEGRAM_BOT_TOKEN>") for v in where.values())
        figure("the token's secret half, any case, in log/output/DB/alerts", sum(found.values()),
               f"{found}; {echoed} places show <TELEGRAM_BOT_TOKEN> instead")


def admin(tmp: Path) -> None:
    with FeedServer() as feeds, TelegramAPIServer() as api:
        cfg = config(tmp, feeds.set_feed("/a.xml", rss([])))
        cfg.write_text(cfg.read_text() + f"admins: [{ADMIN}]\n")
        db, log = f"sqlite:///{tmp / 'admin.db'}", tmp / "admin.log"

        def answered_after(recovered: float) -> float | None:
            before = len(api.texts(ADMIN))
            api.push_message(ADMIN, ADMIN, "/status")
            if wait(lambda: len(api.texts(ADMIN)) > before, 120):
                return time.monotonic() - recovered
            return None

        api.outage("refused", seconds=10)
        proc = run_bot(api, cfg, db, log, "run")
        wait(lambda: not api.is_down, 30)
        back = answered_after(time.monotonic())
        figure("admin commands back after 10 s of refused connections at start",
               f"{back:.1f} s" if back is not None else "never", "after the API came back")
        api.fail(401, "Unauthorized", method="getUpdates", seconds=25)
        time.sleep(25)
        back = answered_after(time.monotonic())
        figure("admin commands back after 25 s of 401s from getUpdates",
               f"{back:.1f} s" if back is not None else "never", "after the 401s ended")
        api.fail(401, "Unauthorized", method=None, seconds=60)
        time.sleep(3)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
        took = time.monotonic() - started
        text_ = log.read_text()
        figure("SIGTERM while every call gets 401: exit code, seconds", f"{code}, {took:.1f}",
               f"'newsbot stopped' logged: {'newsbot stopped' in text_}; "
               f"tracebacks: {text_.count('Traceback')}; leases left: {rows_in(db, 'leases')}")


SCENARIOS = ("retry_after", "late", "outage", "getme400", "token", "admin")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pg", help="a PostgreSQL URL for the two-process retry_after run "
                    "(in a schema of its own, dropped afterwards)")
    ap.add_argument("--only", nargs="*", choices=SCENARIOS, default=list(SCENARIOS))
    ap.add_argument("--quick", action="store_true",
                    help="shorter windows (a 10 s retry_after, a 30 s outage)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if "retry_after" in args.only:
            retry_after(tmp, args.pg, 10 if args.quick else 60)
        if "late" in args.only:
            late(tmp, args.quick)
        if "outage" in args.only:
            outage(tmp, 30 if args.quick else 150)
        if "getme400" in args.only:
            getme400(tmp)
        if "token" in args.only:
            token(tmp)
        if "admin" in args.only:
            admin(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
