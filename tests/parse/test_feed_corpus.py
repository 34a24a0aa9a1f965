"""feedparser's own test corpus through fetch (file path) → parse: only our errors, fast.

The corpus lives in ../shared/corpora/feedparser-tests (≈2,100 small feeds: ill-formed XML,
odd encodings, entities, every format). It is read in place, never copied into the repo.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

import bot.parse.feed
from bot.errors import FeedError
from bot.fetch import FetchLimits, fetch
from bot.models import Fetched
from bot.parse import parse
from tests.conftest import need_shared

LIMITS = FetchLimits(max_bytes=2 * 1024 * 1024)
PER_FILE_SECONDS = 2.0


@pytest.mark.parametrize("fast", [True, False], ids=["feedparser-rs-first", "feedparser-only"])
def test_every_corpus_file_fetches_and_parses_with_only_our_errors(
        fast: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    root = need_shared("corpora", "feedparser-tests")
    if not fast:    # as on a platform without a feedparser-rs wheel
        monkeypatch.setattr(bot.parse.feed, "feedparser_rs", None)
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix == ".xml")
    assert len(files) > 1000, f"corpus looks incomplete: {len(files)} files in {root}"
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    slowest = (0.0, "")
    started = time.perf_counter()
    for path in files:
        t0 = time.perf_counter()
        try:
            fetched = fetch(path.as_uri(), limits=LIMITS)
            assert isinstance(fetched, Fetched)
            feed = parse(fetched.body, fetched.headers, fetched.url)
            outcomes["bozo" if feed.bozo else "ok"] += 1
            outcomes["articles"] += len(feed.articles)
        except FeedError as exc:
            outcomes[type(exc).__name__] += 1
        except Exception as exc:  # anything else is a bug: collect them all, then report
            failures.append(f"{path.relative_to(root)}: {type(exc).__name__}: {exc}")
        took = time.perf_counter() - t0
        slowest = max(slowest, (took, str(path.relative_to(root))))
        if took > PER_FILE_SECONDS:
            failures.append(f"{path.relative_to(root)}: took {took:.2f} s")
    elapsed = time.perf_counter() - started
    print(f"\ncorpus: {len(files)} files in {elapsed:.1f} s; {dict(outcomes)}; "
          f"slowest {slowest[0] * 1000:.0f} ms ({slowest[1]})")
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:50])
    assert elapsed < 60, f"corpus took {elapsed:.1f} s"
