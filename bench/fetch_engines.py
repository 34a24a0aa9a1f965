"""What a 304 costs, by fetching engine (not a test): evidence for the warm-cycle target.

    python bench/fetch_engines.py                 # 1,000 feeds on 10 loopback hosts
    python bench/fetch_engines.py --threads 4     # polling threads for the threaded row
    pip install pycurl && python bench/fetch_engines.py   # adds the CurlMulti row
    pip install pycurl && python bench/fetch_engines.py --cycle   # the prototype below

Every feed of the bench/poll.py farm is fetched once for its ETag, then each engine sends
the same 1,000 conditional GETs (all answered 304), three times; the median CPU (user+sys
of this process) and wall time are printed, with voluntary context switches per request:

- `fetch`, 1 thread: `bot.fetch.fetch` in a loop (what one request costs by itself);
- `fetch`, N threads: the same from a pool of polling threads, as `poll_cycle` runs it
  (`polling.workers`, default 8): the threads hand the GIL to each other around every
  blocking socket call, which costs CPU the single loop does not pay;
- CurlMulti, 1 thread: libcurl's multi interface driving 16 transfers at once (2 per host)
  from one thread, headers and bodies handled in C. Only a measurement of the floor: newsbot
  does not fetch this way (docs/polling.md, "Where the warm cycle goes").

`--cycle` runs bench/poll.py's cold and warm cycles (1,000 feeds × 50 items) twice, each in
a fresh process: as newsbot runs them, and with a prototype CurlMulti pass first that sends
every feed with validators a conditional GET; a feed answered 304 is then handed to
`poll_cycle` as NotModified without a fetch of its own, any other answer is dropped after
its headers and the feed is fetched as usual (so a changed feed costs two requests here: the
prototype overstates the warm cycle's cost). It estimates what a multiplexed fetch stage
would do to the warm/cold ratio; the prototype lives only in this file.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import poll  # noqa: E402  (the feed farm of bench/poll.py)

from bot.fetch import FetchLimits, fetch, make_session  # noqa: E402
from bot.models import Fetched, NotModified  # noqa: E402


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


def curl_statuses(requests: list[tuple[str, list[str]]], pycurl: Any) -> dict[str, int]:
    """GETs (URL, request headers) through one CurlMulti from this thread, 16 transfers at
    once and 2 per host; each URL's status (0: no answer). No body is read: a transfer stops
    at its first body byte (the prototype then fetches the feed as usual)."""
    multi = pycurl.CurlMulti()
    multi.setopt(pycurl.M_MAX_HOST_CONNECTIONS, 2)
    idle, todo = [pycurl.Curl() for _ in range(16)], list(requests)
    statuses: dict[str, int] = {}
    urls: dict[int, str] = {}

    def start(curl: Any, url: str, headers: list[str]) -> None:
        curl.setopt(pycurl.URL, url)
        curl.setopt(pycurl.HTTPHEADER, headers)
        curl.setopt(pycurl.WRITEFUNCTION, lambda chunk: 0)
        curl.setopt(pycurl.CONNECTTIMEOUT, 10)
        curl.setopt(pycurl.TIMEOUT, 60)
        urls[id(curl)] = url
        multi.add_handle(curl)

    while todo and idle:
        start(idle.pop(), *todo.pop())
    while len(statuses) < len(requests):
        while multi.perform()[0] == pycurl.E_CALL_MULTI_PERFORM:
            pass
        while True:
            queued, ok, failed = multi.info_read()
            for curl in [*ok, *(f[0] for f in failed)]:
                statuses[urls[id(curl)]] = curl.getinfo(pycurl.RESPONSE_CODE)
                multi.remove_handle(curl)
                if todo:
                    start(curl, *todo.pop())
            if not queued:
                break
        multi.select(1.0)
    return statuses


def curl_multi(urls: list[str], etags: dict[str, str], pycurl: Any) -> Callable[[], None]:
    def run() -> None:
        statuses = curl_statuses([(u, [f"If-None-Match: {etags[u]}"]) for u in urls], pycurl)
        if set(statuses.values()) != {304}:
            raise SystemExit(f"CurlMulti: expected only 304s, got {set(statuses.values())}")
    return run


def probe_pass(states: list[Any], pycurl: Any) -> set[str]:
    """The prototype: conditional GETs for every feed with validators; the URLs answered 304."""
    requests = []
    for state in states:
        headers = [f"If-None-Match: {state.etag}"] if state.etag else []
        if state.last_modified:
            headers.append(f"If-Modified-Since: {state.last_modified}")
        if headers:
            requests.append((state.url, headers))
    return {url for url, status in curl_statuses(requests, pycurl).items() if status == 304}


def run_cycles(args: argparse.Namespace, probe: bool) -> dict[str, object]:
    import pycurl

    from bot.poller import poll_cycle

    settings, ctx, limiter, pool = poll.newsbot_setup(args)
    same: set[str] = set()

    def fetch_parse(url: str, **call: Any) -> Any:
        return NotModified(url=url) if url in same else pool(url, **call)

    ctx = dataclasses.replace(ctx, fetch_parse=fetch_parse)
    cold, warm = 0.0, []
    for phase in ("cold", "warm", "warm", "warm"):
        if phase == "warm":
            poll.bump(args, every=10)
        with poll.Meter(pool.pids()) as meter:
            same.clear()
            if probe:
                same |= probe_pass(ctx.store.feed_states(), pycurl)
            poll_cycle(ctx, settings.feeds, workers=settings.polling.workers, limiter=limiter)
        if phase == "cold":
            cold = meter.cpu
        else:
            warm.append(round(meter.cpu, 2))
    pool.close()
    return {"cold_cpu_s": round(cold, 2), "warm_cpu_s_each": warm,
            "warm_cpu_s": statistics.median(warm),
            "warm/cold": round(statistics.median(warm) / cold, 3)}


def cycles(args: argparse.Namespace) -> None:
    """Both variants of `--cycle`, each in a child process against one feed server."""
    try:
        import pycurl  # noqa: F401
    except ImportError:
        raise SystemExit("--cycle needs pycurl: pip install pycurl") from None

    with poll.farm(args.feeds, 50, args.hosts) as port:
        results = {}
        for variant in ("threads", "probe"):
            poll.bump(argparse.Namespace(port=port))
            child = subprocess.run([sys.executable, __file__, "--variant", variant, "--port",
                                    str(port), "--feeds", str(args.feeds), "--hosts",
                                    str(args.hosts)], capture_output=True, text=True,
                                   check=True)
            results[variant] = json.loads(child.stdout.strip().splitlines()[-1])
    print(json.dumps(results, indent=2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--hosts", type=int, default=10)
    ap.add_argument("--threads", type=int, default=8, help="polling threads (polling.workers)")
    ap.add_argument("--cycle", action="store_true", help="the poll-cycle prototype (pycurl)")
    ap.add_argument("--variant", choices=["threads", "probe"], help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        os.environ.pop(name, None)      # loopback only (the children inherit this)
    if args.cycle:
        return cycles(args)
    if args.variant:
        args.items, args.processes = 50, None
        print(json.dumps(run_cycles(args, probe=args.variant == "probe")))
        return None
    with poll.farm(args.feeds, 20, args.hosts) as args.port:
        urls = poll.urls(args)
        session, limits = make_session(), FetchLimits()
        etags: dict[str, str] = {}
        for url in urls:
            first = fetch(url, limits=limits, session=session)
            assert isinstance(first, Fetched) and first.etag
            etags[url] = first.etag

        def one(url: str) -> None:
            if not isinstance(fetch(url, etag=etags[url], limits=limits, session=session),
                              NotModified):
                raise SystemExit(f"{url}: expected 304")

        def sequential() -> None:
            for url in urls:
                one(url)

        def threaded() -> None:
            with ThreadPoolExecutor(args.threads) as pool:
                list(pool.map(one, urls))

        rows = {"fetch, 1 thread": measure(sequential, len(urls)),
                f"fetch, {args.threads} threads": measure(threaded, len(urls))}
        try:
            import pycurl
        except ImportError:
            print("(pycurl is not installed: `pip install pycurl` adds the CurlMulti row)",
                  file=sys.stderr)
        else:
            rows["CurlMulti, 1 thread"] = measure(curl_multi(urls, etags, pycurl), len(urls))
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
