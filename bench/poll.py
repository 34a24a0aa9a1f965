"""Polling benchmark (not a test): N feeds × M items on loopback, three modes in one run.

    python bench/poll.py                       # 1,000 feeds × 50 items, 10 hosts
    python bench/poll.py --feeds 200 --items 20
    python bench/poll.py --engine urllib3      # without the curl engine (bot.poll_mux)
    python bench/poll.py --topics shipped      # the shipped topics, meanings and all

(a) cold: newsbot's polling path (bot.poll.cycle.poll_cycle with a ParsePool: fetch → parse in
    worker processes → match → dedupe → record into SQLite; nothing is sent; no feed leases,
    which `run --once` adds: bench/instances.py measures that path);
(b) warm: the same store again after 10% of the feeds gained one new item (the rest 304);
    three such cycles (--warm-cycles), each adding one more item to the same feeds; the
    median by CPU is reported, with each cycle's CPU beside it;
(c) naive: sequential requests.get + feedparser.parse + substring match.

The feed server runs in its own process (asyncio, pre-built bodies, ETag/304) on
127.0.0.1..127.0.0.H, so it is not in the measurement; each mode runs in a fresh child
process. CPU = user+sys of the child and its parse workers; peak RSS = the largest sum of
VmRSS over the child and its workers, sampled every 20 ms (shared pages count twice).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.feedgen import Item, rss

TERMS = ["summit", "sanctions", "election", "earthquake", "merger", "vaccine", "tariff",
         "strike", "drought", "satellite"]
WORDS = ["market", "city", "council", "river", "report", "school", "train", "budget", "court",
         "island", "energy", "water", "garden", "museum", "festival", "bridge", "hospital",
         "airport", "harbour", "farmer", "league", "teacher"]
GLUE = ["of", "the", "to", "and", "for", "on", "with", "by", "from"]
BASE = datetime(2025, 1, 1, tzinfo=UTC)


# --- the feeds ---------------------------------------------------------------------------

def make_item(feed: int, n: int, rng: random.Random, published: datetime) -> Item:
    words = rng.sample(WORDS, 6)
    if rng.random() < 0.05:
        words[2] = rng.choice(TERMS)
    title = " ".join(words).capitalize() + f" {feed}-{n}"
    body = "<p>" + prose(rng, 40) + ".</p><p>" + prose(rng, 20) + ".</p>"
    return Item(guid=f"https://bench.example/{feed}/{n}", title=title, description=body,
                published=published, link=f"https://bench.example/{feed}/{n}")


def prose(rng: random.Random, n: int) -> str:
    """`n` words of English-looking news: nouns, every third word a function word. Without
    those the matcher would read the text as another language (bot.match.language)."""
    return " ".join(rng.choice(GLUE if i % 3 == 1 else WORDS) for i in range(n))


def feed_body(feed: int, items: int, extra: int) -> bytes:
    rng = random.Random(feed)
    made = [make_item(feed, n, rng, BASE + timedelta(hours=n)) for n in range(items)]
    made += [make_item(feed, items + k, rng, datetime.now(UTC) + timedelta(minutes=1))
             for k in range(extra)]
    return rss(made, title=f"Bench feed {feed}")


class Server:
    """Minimal HTTP/1.1 keep-alive server: GET /f<i>.xml with ETag/If-None-Match → 304;
    POST /_bump?every=10 adds one item to every 10th feed; POST /_reset undoes all bumps."""

    def __init__(self, feeds: int, items: int) -> None:
        self.feeds, self.items, self.round = feeds, items, 0
        self.bodies: dict[str, tuple[bytes, str]] = {}
        self.reset()

    def reset(self, bump_every: int = 0) -> None:
        """No bump: the original feeds. A bump: every `bump_every`-th feed gains one more
        new item than at the previous bump (so every warm cycle has new items to find)."""
        self.round = self.round + 1 if bump_every else 0
        for i in range(self.feeds):
            bumped = bump_every and i % bump_every == 0
            if bumped or not bump_every:
                body = feed_body(i, self.items, self.round if bumped else 0)
                self.bodies[f"/f{i}.xml"] = (body, '"' + hashlib.sha1(body).hexdigest() + '"')

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {k.lower(): v.strip() for k, _, v in
                           (ln.partition(":") for ln in lines[1:] if ln)}
                if int(headers.get("content-length", "0")):
                    await reader.readexactly(int(headers["content-length"]))
                writer.write(self.respond(method, target, headers))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def respond(self, method: str, target: str, headers: dict[str, str]) -> bytes:
        path, _, query = target.partition("?")
        if method == "POST":
            self.reset(int(query.split("=")[1]) if path == "/_bump" else 0)
            return b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
        if path not in self.bodies:
            return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        body, etag = self.bodies[path]
        if headers.get("if-none-match") == etag:
            return f"HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\n\r\n".encode()
        return (f"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\n"
                f"ETag: {etag}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


def serve(feeds: int, items: int, hosts: int) -> None:
    server = Server(feeds, items)

    async def main() -> None:
        srv = await asyncio.start_server(server.handle, "127.0.0.1", 0, backlog=2048)
        port = srv.sockets[0].getsockname()[1]
        # Same port on every address: bind the others to the first one's port.
        for h in range(1, hosts):
            await asyncio.start_server(server.handle, f"127.0.0.{h + 1}", port, backlog=2048)
        print(port, flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


@contextmanager
def farm(feeds: int, items: int, hosts: int) -> Iterator[int]:
    """`serve` in a child process for the length of the block; yields its port."""
    server = subprocess.Popen([sys.executable, __file__, "--serve", "--feeds", str(feeds),
                               "--items", str(items), "--hosts", str(hosts)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        yield int(server.stdout.readline())
    finally:
        server.terminate()
        server.wait()


# --- measurement -------------------------------------------------------------------------

def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError):
        return 0.0


def _proc_rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Meter:
    """Wall, CPU (self + given worker pids) and sampled peak RSS of one phase."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids

    def __enter__(self) -> Meter:
        self.peak, self.stop = 0, threading.Event()
        self.sampler = threading.Thread(target=self._sample, daemon=True)
        self.sampler.start()
        self.wall = time.perf_counter()
        ru = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu = ru.ru_utime + ru.ru_stime + sum(_proc_cpu(p) for p in self.pids)
        return self

    def _sample(self) -> None:
        while not self.stop.wait(0.02):
            self.peak = max(self.peak, sum(_proc_rss(p) for p in [os.getpid(), *self.pids]))

    def __exit__(self, *exc: object) -> None:
        ru = resource.getrusage(resource.RUSAGE_SELF)
        self.cpu = ru.ru_utime + ru.ru_stime + sum(_proc_cpu(p) for p in self.pids) - self.cpu
        self.wall = time.perf_counter() - self.wall
        self.stop.set()
        self.sampler.join()

    def result(self, **extra: object) -> dict[str, object]:
        return {"wall_s": round(self.wall, 2), "cpu_s": round(self.cpu, 2),
                "peak_rss_mb": round(self.peak / 2**20, 1), **extra}


def urls(args: argparse.Namespace) -> list[str]:
    return [f"http://127.0.0.{i % args.hosts + 1}:{args.port}/f{i}.xml"
            for i in range(args.feeds)]


def write_config(args: argparse.Namespace, directory: Path) -> Path:
    """`directory`/newsbot.yaml: every feed of the farm and one topic per bench term."""
    feeds = "\n".join(f"  - {u}" for u in urls(args))
    topics = "\n".join(f"  t{t}: {{terms: [{t}]}}" for t in TERMS)
    path = directory / "newsbot.yaml"
    engine = getattr(args, "engine", "auto")
    # --topics shipped: the shipped summits and sanctions (queries and meanings) instead.
    shipped = getattr(args, "topics", "bench") == "shipped"
    path.write_text(f'channel: "@bench"\npolling: {{http_engine: {engine}}}\nfeeds:\n{feeds}\n'
                    + (f'include: ["{ROOT / "config" / "topics.yaml"}"]\n' if shipped
                       else f'topics:\n{topics}\n')
                    + f"semantic: {{model: '{getattr(args, 'semantic', 'auto')}'}}\n")
    return path


def newsbot_setup(args: argparse.Namespace) -> tuple[Any, Any, Any, Any]:
    """A config naming every feed of the farm, a fresh SQLite store, the context, a host
    limiter and parse workers: (settings, ctx, limiter, pool)."""
    from bot.config import load
    from bot.pipeline import build_context
    from bot.poll import HostLimiter, ParsePool
    from bot.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="newsbot-bench-"))
    settings = load(write_config(args, tmp), env={"DATABASE_URL": f"sqlite:///{tmp / 'db'}"})
    store = Store(settings.database_url.reveal())
    store.migrate()
    store.ensure_feeds((f.url for f in settings.feeds), datetime.now(UTC))
    return (settings, build_context(settings, store), HostLimiter(settings.polling.per_host),
            ParsePool(args.processes))


def run_newsbot(args: argparse.Namespace) -> dict[str, object]:
    from bot.poll import poll_cycle

    settings, ctx, limiter, pool = newsbot_setup(args)
    out: dict[str, object] = {}
    warm: list[dict[str, Any]] = []
    for phase in ["cold"] + ["warm"] * args.warm_cycles:
        if phase == "warm":
            bump(args, every=round(1 / args.warm))
        with Meter(pool.pids()) as meter:
            reports = poll_cycle(ctx, settings.feeds, workers=settings.polling.workers,
                                 limiter=limiter, parse_pool=pool)
        outcomes: dict[str, int] = {}
        for r in reports:
            outcomes[r.outcome] = outcomes.get(r.outcome, 0) + 1
        result = meter.result(outcomes=outcomes, items=sum(r.items for r in reports),
                              new=sum(r.new for r in reports),
                              queued=sum(r.queued for r in reports))
        if phase == "cold":
            out["cold"] = result
        else:
            warm.append(result)
    pool.close()
    # Every warm cycle does the same work (each bump adds one item to the same feeds): the
    # median by CPU is the figure, the spread is printed beside it.
    out["warm"] = {**sorted(warm, key=lambda r: r["cpu_s"])[len(warm) // 2],
                   "cpu_s_each": [r["cpu_s"] for r in warm]}
    return out


def run_naive(args: argparse.Namespace) -> dict[str, object]:
    import feedparser
    import requests

    with Meter([]) as meter:
        matched = items = 0
        for url in urls(args):
            d = feedparser.parse(requests.get(url, timeout=30).content)
            for e in d.entries:
                items += 1
                text = (e.get("title", "") + " " + e.get("summary", "")).lower()
                matched += any(t in text for t in TERMS)
    return {"naive": meter.result(items=items, matched=matched)}


def _engine() -> str:
    try:
        import pycurl
    except ImportError:
        return "pycurl not installed: auto is urllib3"
    return str(pycurl.version.split()[0])


def bump(args: argparse.Namespace, every: int = 0) -> None:
    path = f"/_bump?every={every}" if every else "/_reset"
    urllib.request.urlopen(urllib.request.Request(
        f"http://127.0.0.1:{args.port}{path}", method="POST"), timeout=60).read()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--hosts", type=int, default=10)
    ap.add_argument("--warm", type=float, default=0.1, help="fraction of feeds with a new item")
    ap.add_argument("--warm-cycles", type=int, default=3,
                    help="warm cycles to run (the median by CPU is reported)")
    ap.add_argument("--processes", type=int, default=None, help="parse worker processes")
    ap.add_argument("--engine", choices=["auto", "curl", "urllib3"], default="auto",
                    help="polling.http_engine (auto: curl if pycurl is installed)")
    ap.add_argument("--topics", choices=["bench", "shipped"], default="bench",
                    help="one terms topic per bench word (default), or the shipped topics "
                         "with their meanings (the semantic signal's cost)")
    ap.add_argument("--semantic", choices=["auto", "off"], default="auto",
                    help="semantic.model: the encoder when installed, or none")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--mode", choices=["newsbot", "naive"], help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        return serve(args.feeds, args.items, args.hosts)
    if args.mode:
        result = run_newsbot(args) if args.mode == "newsbot" else run_naive(args)
        print(json.dumps(result), flush=True)
        return None
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    common = ["--feeds", str(args.feeds), "--items", str(args.items), "--hosts", str(args.hosts),
              "--warm", str(args.warm), "--warm-cycles", str(args.warm_cycles),
              "--engine", args.engine, "--topics", args.topics, "--semantic",
              args.semantic] + (
                  ["--processes", str(args.processes)]
                                           if args.processes else [])
    with farm(args.feeds, args.items, args.hosts) as args.port:
        print(f"{args.feeds} feeds × {args.items} items on {args.hosts} loopback hosts, "
              f"{os.cpu_count()} CPUs, polling.http_engine: {args.engine} ({_engine()})",
              file=sys.stderr)
        results: dict[str, object] = {}
        for mode in ("newsbot", "naive"):
            bump(args)
            child = subprocess.run([sys.executable, __file__, "--mode", mode, "--port",
                                    str(args.port), *common], env=env, capture_output=True,
                                   text=True, check=True)
            results.update(json.loads(child.stdout.strip().splitlines()[-1]))
    print(json.dumps(results, indent=2))
    cold, warm, naive = (results[k] for k in ("cold", "warm", "naive"))
    assert isinstance(cold, dict) and isinstance(warm, dict) and isinstance(naive, dict)
    print(f"cold wall / naive wall = {cold['wall_s'] / naive['wall_s']:.2f} (target ≤ 0.5)\n"
          f"warm CPU / cold CPU    = {warm['cpu_s'] / cold['cpu_s']:.3f} (target ≤ 0.10; median "
          f"of {warm['cpu_s_each']} s)\n"
          f"peak RSS cold / warm   = {cold['peak_rss_mb']} / {warm['peak_rss_mb']} MB "
          "(target ≤ 200)")


if __name__ == "__main__":
    main()
