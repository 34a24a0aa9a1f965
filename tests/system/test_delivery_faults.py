"""Issue #18 with real `python -m bot run` processes against the Bot API stand-in: a 429's
retry_after survives kill -9 and binds a second process; the admin-command reader comes back
after the Bot API refused connections or the token, shows it in /healthz and `newsbot
status`, and SIGTERM still exits 0 with every lease released."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select

from bot.store.schema import chat_pauses, leases, outbox
from tests.conftest import ROOT
from tests.fakes.telegram_api import TelegramAPIServer
from tests.running import start_newsbot, wait_for
from tests.system.test_crash import CHAT, delivered, env, prepared, start, wait_until

ADMIN = 111


def test_a_retry_after_survives_kill_9_and_binds_a_second_process(
        feed_server: Any, telegram_api: TelegramAPIServer, db_url: str,
        tmp_path: Path) -> None:
    cfg, items = prepared(feed_server, tmp_path, 12)
    telegram_api.flood_chat(CHAT, retry_after=8)
    first = start(telegram_api, cfg, db_url)
    assert wait_until(lambda: paused(db_url) and len(_query(db_url, outbox)) == len(items),
                      30), "no pause stored"
    first.send_signal(signal.SIGKILL)                # killed inside the window
    first.communicate(timeout=30)
    restarted = start(telegram_api, cfg, db_url)     # at once: its memory has no pause
    second = start(telegram_api, cfg, db_url)        # and another process on the same DB
    done = wait_until(lambda: len(telegram_api.texts(CHAT)) >= len(items), 60)
    logs = []
    for proc in (restarted, second):
        proc.send_signal(signal.SIGTERM)
        logs.append(proc.communicate(timeout=30)[0])
    assert done, "\n".join(logs) + dump(db_url)
    assert telegram_api.violations(CHAT) == []       # nothing inside retry_after
    seen = delivered(telegram_api)
    assert sorted(set(seen)) == sorted({f"Sanctions {i}" for i in range(len(items))})
    assert len(seen) == len(items)                   # the kill came at a 429: nothing sent


def _query(db: str, table: Any) -> list[Any]:
    engine = create_engine(db.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(table)).all())
    finally:
        engine.dispose()


def paused(db: str) -> bool:
    try:
        return bool(_query(db, chat_pauses))
    except Exception:                               # not created yet
        return False


def dump(db: str) -> str:
    cols = ("id", "state", "attempts", "not_before", "lease_owner", "lease_until",
            "unanswered", "batch", "last_error")
    rows = [str({c: getattr(r, c) for c in cols}) for r in _query(db, outbox)]
    return "\n".join(rows + [str(r) for t in (chat_pauses, leases) for r in _query(db, t)])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def healthz(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
        return dict(json.loads(r.read()))


def status_text(config: Path, db: str, api: TelegramAPIServer) -> str:
    out = subprocess.run([sys.executable, "-m", "bot", "status"], cwd=ROOT,
                         env=env(api, config, db) | {"NEWSBOT_CONFIG": str(config)},
                         capture_output=True, text=True, timeout=60)
    return out.stdout + out.stderr


def ask_status(api: TelegramAPIServer) -> bool:
    before = len(api.texts(ADMIN))
    api.push_message(ADMIN, ADMIN, "/status")
    return bool(wait_until(lambda: len(api.texts(ADMIN)) > before, 20))


def test_admin_commands_come_back_after_refused_connections_and_401s_and_sigterm_is_clean(
        feed_server: Any, telegram_api: TelegramAPIServer, tmp_path: Path) -> None:
    port = free_port()
    url = feed_server.set_feed("/w.xml", "<rss version='2.0'><channel><title>w</title>"
                                         "</channel></rss>")
    config = tmp_path / "newsbot.yaml"
    config.write_text(f'channel: "{CHAT}"\nadmins: [{ADMIN}]\noperator_chat: "@ops_room"\n'
                      f"health_port: {port}\nfeeds:\n  - url: {url}\n"
                      "topics:\n  s:\n    terms: [sanctions]\n")
    telegram_api.outage("refused", seconds=3)      # unreachable as it starts
    bot = start_newsbot(config, telegram_api, tmp_path)
    try:
        bot.wait_log("admin commands on")           # came back by itself
        assert ask_status(telegram_api)
        # 401 for every getUpdates for a while (longer than one long poll, so the next one
        # meets it): PTB's own Updater gave up for good here.
        telegram_api.fail(401, "Unauthorized", method="getUpdates", seconds=14)
        wait_for(lambda: healthz(port)["admin_commands"]["state"] == "down", "reader down")
        health = healthz(port)
        assert health["status"] == "degraded" and "Unauthorized" in str(health)
        assert "admin commands: DOWN" in status_text(config, bot.db_url, telegram_api)
        wait_for(lambda: healthz(port)["admin_commands"]["state"] == "up", "reader back", 60)
        assert ask_status(telegram_api)
        wait_for(lambda: any("admin commands are off" in t
                             for t in telegram_api.texts("@ops_room")), "one alert")
        # SIGTERM while the Bot API refuses the token: no traceback, exit 0, leases freed.
        telegram_api.fail(401, "Unauthorized", method=None, seconds=30)
        wait_for(lambda: healthz(port)["admin_commands"]["state"] == "down", "down again")
    finally:
        started = time.monotonic()
        code = bot.terminate(timeout=10)
    assert code == 0 and time.monotonic() - started < 10, bot.log
    assert "newsbot stopped" in bot.log and "Traceback" not in bot.log, bot.log
    alerts = [t for t in telegram_api.texts("@ops_room") if "admin commands are off" in t]
    assert len(alerts) == 1
    engine = create_engine(bot.db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(leases.c.name)).all() == []
            assert conn.execute(select(outbox.c.id).where(
                outbox.c.lease_owner.isnot(None))).all() == []
    finally:
        engine.dispose()
    assert telegram_api.token.split(":")[1].lower() not in bot.log.lower()
