"""The parse worker process (bot/feedwork/worker.py), run as FeedPool runs it: a real process
on the other end of a pipe, a task's body sent apart from its call."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.errors import ParseError
from bot.feedwork import Failure, FetchParsed, serve
from bot.models import Fetched
from tests.conftest import ROOT
from tests.feedgen import Item, rss

FEED = rss([Item(guid="https://example.org/1", title="Leaders meet", description="<p>Talks.</p>",
                 published=datetime(2026, 12, 1, tzinfo=UTC), link="https://example.org/1")])


@pytest.fixture
def worker() -> Iterator[Any]:
    mp = multiprocessing.get_context("spawn")
    conn, child = mp.Pipe()
    process = mp.Process(target=serve, args=(child, 2), daemon=True)
    process.start()
    child.close()
    yield conn
    conn.send(None)                 # "stop": the worker drains and exits
    process.join(10)
    assert process.exitcode == 0


def ask(conn: Any, task_id: int, body: bytes) -> Any:
    fetched = Fetched("https://example.org/feed", 200, b"", {"content-type": "application/rss+xml"},
                      None, None, "hash")
    conn.send((task_id, {"result": fetched, "source": "Example", "light_before": None}))
    conn.send_bytes(body)
    assert conn.poll(30)
    return conn.recv()


@pytest.mark.parametrize(("body", "answer"), [
    (FEED, FetchParsed),
    (b"<html><body>not a feed</body></html>", Failure),
])
def test_a_worker_answers_each_task_with_a_result_or_an_error_value(
        worker: Any, body: bytes, answer: type) -> None:
    task_id, out = ask(worker, 7, body)
    assert task_id == 7 and isinstance(out, answer)
    if isinstance(out, FetchParsed):
        assert [a.title for a in out.parsed.articles] == ["Leaders meet"]
        assert out.fetched.body == b""              # the body does not travel back
    else:
        assert isinstance(out.error(), ParseError)  # rebuilt in this process, as raised there


HEAVY = "{'numpy', 'sqlalchemy', 'telegram', 'bot.match', 'bot.store', 'bot.cli'}"


@pytest.mark.parametrize("module", [
    "bot.feedwork",     # what the worker runs
    # What the `newsbot` console script imports on its top line: multiprocessing re-runs the
    # script in every worker it starts, so that line must be light too.
    tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["newsbot"]
    .split(":")[0],
])
def test_a_worker_imports_only_what_parsing_needs(module: str) -> None:
    # numpy (the encoder's) and SQLAlchemy (the store's) cost every worker ~35 MB, the rest
    # of the layers ~20 MB more (bench/poll.py, docs/polling.md).
    code = f"import sys, {module}; print(sorted({HEAVY} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
