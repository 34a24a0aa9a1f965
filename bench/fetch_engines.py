"""What a 304 costs, by HTTP engine (not a test): the evidence behind `bot.fetch.curl`.

    python bench/fetch_engines.py                 # 1,000 feeds on 10 loopback hosts
    python bench/fetch_engines.py --threads 4     # polling threads for the threaded rows

Every feed of the bench/poll.py farm is fetched once for its ETag; then each way below
sends the same 1,000 conditional GETs (all answered 304), three times, and the median CPU
(user+sys of this process, every thread) and wall time are printed, with voluntary context
switches per request:

- urllib3, 1 thread: `fetch()` in a loop (what one request costs by itself);
- urllib3, N threads: the same from N polling threads, as the threaded cycle runs it: the
  threads hand the GIL to each other around every blocking socket call;
- curl engine thread, N threads: `fetch()` from N threads through the process's engine
  thread (what `newsbot run`'s poll jobs, redirects and article pages use);
- curl driven by one thread: `fetch.send` for every feed (N in flight) and
  `CurlEngine.step` from one thread, then `fetch()` takes each held answer: how
  `bot.poll.mux` runs a poll cycle.

The curl rows need the curl extra (`pip install 'newsbot[curl]'`). Whole poll cycles by
engine: `python bench/poll.py --engine curl` and `--engine urllib3`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import poll

from bot.fetch import FetchLimits, fetch, make_session, send
from bot.models import Fetched, NotModified


def measure(run: Callable[[], None], requests: int, repeat: int = 3) -> dict[str, float]:
    rows = []
    for _ in range(repeat):
        before, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        run()
        after, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - wall
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        rows.append((cpu, wall, (after.ru_nvcsw - before.ru_nvcsw) / requests))
    cpu, wall, switches = (statistics.median(r[i] for r in rows) for i in range(3))
    return {"cpu_s": round(cpu, 3), "wall_s": round(wall, 3),
            "cpu_ms_per_304": round(1000 * cpu / requests, 3),
            "switches_per_304": round(switches, 1)}


def ways(urls: list[str], etags: dict[str, str], threads: int, limits: FetchLimits,
         engines: list[str]) -> dict[str, Callable[[], None]]:
    def check(result: object, url: str) -> None:
        if not isinstance(result, NotModified):
            raise SystemExit(f"{url}: expected 304, got {result!r}")

    def looped(session: Any) -> Callable[[], None]:
        def run() -> None:
            for url in urls:
                check(fetch(url, etag=etags[url], limits=limits, session=session), url)
        return run

    def threaded(session: Any) -> Callable[[], None]:
        def one(url: str) -> None:
            check(fetch(url, etag=etags[url], limits=limits, session=session), url)

        def run() -> None:
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(one, urls))
        return run

    def driven(session: Any) -> Callable[[], None]:
        def run() -> None:
            engine, todo, done = session.engine(), list(urls), []
            while len(done) < len(urls):
                while todo and len(todo) + len(done) > len(urls) - threads:
                    url = todo.pop()
                    send(url, etag=etags[url], last_modified=None, limits=limits,
                         session=session, engine=engine, done=done.append)
                engine.step()
            engine.close()
            for url in urls:        # each takes its held answer: no request
                check(fetch(url, etag=etags[url], limits=limits, session=session), url)
        return run

    urllib3 = make_session(pool_size=threads, engine="urllib3")
    out = {"urllib3, 1 thread": looped(urllib3),
           f"urllib3, {threads} threads": threaded(urllib3)}
    if "curl" in engines:
        curl = make_session(engine="curl")
        out[f"curl engine thread, {threads} threads"] = threaded(curl)
        out["curl driven by one thread (poll_mux)"] = driven(curl)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--hosts", type=int, default=10)
    ap.add_argument("--threads", type=int, default=8, help="polling threads (polling.workers)")
    args = ap.parse_args()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        os.environ.pop(name, None)      # loopback only
    try:
        import pycurl  # noqa: F401
        engines = ["urllib3", "curl"]
    except ImportError:
        engines = ["urllib3"]
        print("(pycurl is not installed: pip install 'newsbot[curl]' adds the curl rows)",
              file=sys.stderr)
    with poll.farm(args.feeds, 20, args.hosts) as args.port:
        urls, limits = poll.urls(args), FetchLimits()
        session = make_session(engine="urllib3")
        etags: dict[str, str] = {}
        for url in urls:
            first = fetch(url, limits=limits, session=session)
            assert isinstance(first, Fetched) and first.etag
            etags[url] = first.etag
        rows = {name: measure(run, len(urls))
                for name, run in ways(urls, etags, args.threads, limits, engines).items()}
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
