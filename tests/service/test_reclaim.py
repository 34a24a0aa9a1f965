"""A restart takes back the leases its dead predecessor on this host held, at once; a live
process's leases and other hosts' are left alone (real processes for alive and dead)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.service.reclaim import alive, reclaim_leases
from bot.store import Store
from bot.store.schema import feeds

NOW = datetime.now(UTC)
HOST = socket.gethostname()


def a_dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_dead_owners_on_this_host_lose_their_leases_at_start(db_url: str) -> None:
    store = Store(db_url)
    store.migrate()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    owners = {"dead": f"{HOST}:{a_dead_pid()}:aaaaaa",
              "live": f"{HOST}:{sleeper.pid}:bbbbbb",
              "elsewhere": f"another-host:{a_dead_pid()}:cccccc",
              "earlier me": f"{HOST}:{os.getpid()}:dddddd"}
    urls = {name: f"https://news.example/{i}.xml" for i, name in enumerate(owners)}
    store.ensure_feeds(urls.values(), NOW)
    try:
        with store.engine.begin() as conn:
            for name, owner in owners.items():
                conn.execute(update(feeds).where(feeds.c.url == urls[name]).values(
                    lease_owner=owner, lease_until=NOW + timedelta(minutes=2)))
        store.leases.acquire("admin-updates", owners["dead"], NOW, timedelta(minutes=2))

        assert reclaim_leases(store, f"{HOST}:{os.getpid()}:eeeeee") == 2
        with store.engine.connect() as conn:
            held = dict(conn.execute(select(feeds.c.url, feeds.c.lease_owner)).all())
        assert {name for name in owners if held[urls[name]]} == {"live", "elsewhere"}
        assert store.leases.holder("admin-updates", NOW) is None
    finally:
        sleeper.kill()
        sleeper.wait()
        store.close()


def test_an_owner_id_it_cannot_read_counts_as_alive() -> None:
    assert alive("not-an-owner-id") and alive(f"{HOST}:notapid:x")
