"""A live edit of a setting read only at start (health_port, log) is not silently "applied":
the log and the operator chat say a restart is needed, and the old port keeps serving."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from html import unescape
from pathlib import Path

from tests.feedgen import rss
from tests.running import start_newsbot, wait_for

OPS = "@restart_ops"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def healthz(port: int) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            return int(json.loads(r.read())["feeds"])
    except (urllib.error.URLError, OSError):
        return None


def test_changing_health_port_or_log_live_says_a_restart_is_needed(
        feed_server, telegram_api, tmp_path: Path) -> None:
    feed = feed_server.set_feed("/world.xml", rss([]))
    old_port, new_port = free_port(), free_port()
    config = tmp_path / "newsbot.yaml"
    base = (f'channel: "@restart_chan"\noperator_chat: "{OPS}"\nfeeds:\n  - url: {feed}\n'
            "topics:\n  summits: {terms: [summit]}\n")
    config.write_text(base + f"health_port: {old_port}\n")
    bot = start_newsbot(config, telegram_api, tmp_path)
    try:
        wait_for(lambda: healthz(old_port), "the health server")
        config.write_text(base + f"health_port: {new_port}\nlog: {{level: DEBUG}}\n")
        pending = f"health_port {old_port} -> {new_port}; log.level INFO -> DEBUG"
        bot.wait_log(f"config applied, except what needs a restart: {pending}. "
                     "Restart newsbot to apply them")
        alert = wait_for(lambda: telegram_api.texts(OPS), "the operator alert")
        assert pending in unescape(alert[-1]) and "Restart newsbot" in alert[-1]
        assert healthz(old_port) == 1 and healthz(new_port) is None   # as the note says
        # A later edit that changes nothing more of the kind does not repeat the note.
        config.write_text(base + f"health_port: {new_port}\nlog: {{level: DEBUG}}\n"
                          "backfill: 1\n")
        wait_for(lambda: bot.log.count("config applied: 1 feeds") == 2, "the second reload")
        assert bot.log.count("except what needs a restart") == 1
    finally:
        assert bot.terminate() == 0, bot.log
