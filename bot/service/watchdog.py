"""The SIGTERM watchdog: a hard exit if a clean shutdown takes too long."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading

__all__ = ["start_watchdog"]

log = logging.getLogger("newsbot")


def start_watchdog(seconds: float) -> None:
    """SIGTERM must end the process within 10 s even if a feed fetch is stuck in a worker
    thread (threads are joined at exit). Data is safe: every write is one transaction and
    leases have been released by then."""

    def expire() -> None:
        log.warning("shutdown took longer than %.0f s: exiting now", seconds)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(0)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
