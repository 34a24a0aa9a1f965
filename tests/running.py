"""A real `newsbot run` subprocess for operations tests: the Bot API stand-in and feed
servers on loopback, SQLite in a temp dir, stdout captured to a file we can watch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

WAIT = 30.0      # generous: CI machines stall; tests wait for events, not for time


def wait_for(predicate: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Newsbot:
    proc: subprocess.Popen[bytes]
    log_path: Path
    config: Path
    db_url: str

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, text: str, timeout: float = WAIT) -> None:
        wait_for(lambda: text in self.log or self.proc.poll() is not None,
                 f"{text!r} in the log", timeout)
        assert text in self.log, f"newsbot exited ({self.proc.returncode}):\n{self.log}"

    def terminate(self, timeout: float = 10.0) -> int:
        """SIGTERM and wait at most `timeout` seconds for the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)


def start_newsbot(config: Path, api: Any, tmp: Path, *, args: tuple[str, ...] = (),
                  ready: str | None = "newsbot running", db_url: str | None = None,
                  name: str = "newsbot", wrap: tuple[str, ...] = ()) -> Newsbot:
    """`wrap`: a command that runs newsbot, e.g. setpriv dropping root's capabilities."""
    db_url = db_url or f"sqlite:///{tmp / 'newsbot.db'}"
    env = {**os.environ, "NEWSBOT_CONFIG": str(config), "DATABASE_URL": db_url,
           "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": api.base_url,
           "NO_PROXY": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1"}
    log_path = tmp / f"{name}.log"
    with log_path.open("wb") as out:
        proc = subprocess.Popen([*wrap, sys.executable, "-m", "bot", "run", *args], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    bot = Newsbot(proc, log_path, config, db_url)
    if ready:
        bot.wait_log(ready)
    return bot
