"""The parse worker process's side of `bot.poll.pool.FeedPool`: `serve` reads tasks from its
pipe and answers each with `parse_fetched`'s result, or the error as a value (`Failure`).

It lives here, beside `parse_fetched`, so that a worker imports only what parsing needs
(fetch, parse, summarize: about 28 MB), not the polling and matching layers above it with
numpy and SQLAlchemy (about 64 MB, in every worker).
"""

from __future__ import annotations

import signal
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import Any

from bot.errors import FeedError
from bot.feedwork.work import FetchParsed, parse_fetched

__all__ = ["Failure", "serve"]


@dataclass(frozen=True)
class Failure:
    """A FeedError as a value: its (url, message) constructor does not survive pickling."""

    kind: type[FeedError]
    args: tuple[Any, ...]
    state: dict[str, Any]

    def error(self) -> FeedError:
        exc = self.kind.__new__(self.kind)
        exc.args = self.args
        exc.__dict__.update(self.state)
        return exc


def _run(call: dict[str, Any]) -> FetchParsed | Failure | str:
    try:
        return parse_fetched(**call)
    except FeedError as exc:
        return Failure(type(exc), exc.args, dict(vars(exc)))
    except Exception:       # a bug: the text goes back to be logged by the main process
        return traceback.format_exc()


def serve(conn: Connection, threads: int) -> None:
    """The worker process: read tasks until told to stop, answer each when it is done."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # the parent decides when we stop
    send = threading.Lock()

    def one(task_id: int, call: dict[str, Any]) -> None:
        out = _run(call)
        with send:
            conn.send((task_id, out))

    with ThreadPoolExecutor(threads, thread_name_prefix="feed") as pool:
        while True:
            try:
                msg = conn.recv()
                if msg is None:
                    break
                task_id, call = msg
                call["result"] = replace(call["result"], body=conn.recv_bytes())
            except (EOFError, OSError):
                break
            pool.submit(one, task_id, call)
