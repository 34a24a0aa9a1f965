"""Memory benchmark (not a test): peak RSS of `newsbot run --once` on one big feed.

    python bench/memory.py                         # a 50 MB feed, polling.max_bytes: 64MB
    python bench/memory.py --mb 9.5 --cap 10MB     # the default cap, a feed just under it
    python bench/memory.py --mb 50 --item-kb 20    # fewer, longer items
    python bench/memory.py --feeds 20              # and 19 small feeds: parse processes
    python bench/memory.py --stages                # where the memory goes, in-process

The feed (RSS 2.0, items of about `--item-kb` KB of UTF-8 text with some accented words) is
served over HTTP on 127.0.0.1 by a server process of its own; `newsbot run --once` runs in
a fresh child with a fresh SQLite database and no token (posts would be printed; a first
poll posts nothing: no flood). Peak RSS is the child's own high-water mark (`ru_maxrss`
from wait4), so nothing is sampled and nothing is missed. It counts the parent's memory at
the moment of the spawn too (vfork), which is why the feed is not built in this process.
With under 20 feeds the parse runs in the child itself; with `--feeds 20` or more it runs
in parse processes (bot.poll.pool), and the peak of the sum of VmRSS over the child and its
processes, sampled every 20 ms, is shown too (shared pages count twice).

`--stages` instead runs the steps of one poll in one child (fetch, parse, the pipeline)
and prints the RSS high-water mark after each, to find where a multiple comes from.
"""

from __future__ import annotations

import argparse
import http.server
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.feedgen import Item, rss

WORDS = ["market", "city", "council", "river", "report", "school", "train", "budget", "court",
         "island", "energy", "water", "garden", "museum", "festival", "bridge", "hospital",
         "Zürich", "café", "naïve", "São Paulo", "Kraków"]


def make_feed(mb: float, item_kb: float) -> bytes:
    rng = random.Random(1)
    words_per_item = max(10, int(item_kb * 1024 / 7))
    count = max(1, int(mb * 1024 / (item_kb + 0.4)))
    base = datetime(2025, 1, 1, tzinfo=UTC)
    items = [Item(guid=f"https://mem.example/{n}", link=f"https://mem.example/{n}",
                  title=" ".join(rng.sample(WORDS, 6)).capitalize() + f" {n}",
                  description="<p>" + " ".join(rng.choice(WORDS)
                                               for _ in range(words_per_item)) + ".</p>",
                  published=base + timedelta(minutes=n)) for n in range(count)]
    return rss(items, title="Memory bench feed")


SMALL = make_feed(0.02, 2)


def serve(big: bytes) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = SMALL if "small=" in self.path else big
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/big.xml"


def write_config(tmp: Path, url: str, cap: str, feeds: int = 1) -> Path:
    config = tmp / "newsbot.yaml"
    small = "".join(f"\n  - url: {url}?small={n}" for n in range(1, feeds))
    config.write_text(f"""feeds:
  - url: {url}{small}
topics:
  summits: {{terms: [summit]}}
polling: {{max_bytes: {cap}, total_timeout: 300, read_timeout: 120}}
""")
    return config


def _tree_rss(pid: int) -> int:
    """VmRSS in bytes of `pid` and its descendants."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(status.split("VmRSS:")[1].split()[0]) * 1024 if "VmRSS:" in status \
                else 0
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def run_once(config: Path, data: Path) -> tuple[float, float, float, int, str]:
    """(peak RSS of the child in MB, sampled peak of its process tree in MB, wall seconds,
    exit code, stderr) of `newsbot run --once`."""
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(data), "TELEGRAM_BOT_TOKEN": "",
           "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config), "run",
                              "--once"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    assert child.stderr is not None
    tree, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            tree[0] = max(tree[0], _tree_rss(child.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    err = child.stderr.read()
    done.set()
    sampler.join()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return (usage.ru_maxrss / 1024, tree[0] / 2**20, time.perf_counter() - start,
            child.returncode, err)


def stages(url: str, cap: str) -> None:
    """Each step of one poll in this process (a child: the feed is served elsewhere), with
    the RSS now and its high-water mark after it."""
    from bot.config import load
    from bot.fetch import FetchLimits, fetch
    from bot.models import utcnow
    from bot.parse import parse
    from bot.pipeline import build_context, refresh_feed
    from bot.store import Store

    def rss(label: str) -> None:
        status = dict(line.split(":", 1) for line in
                      Path("/proc/self/status").read_text().splitlines() if ":" in line)
        now, peak = (int(status[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))
        print(f"{label:<34} RSS {now:6.0f} MB, peak {peak:6.0f} MB", flush=True)

    rss("imports")
    with tempfile.TemporaryDirectory() as tmp:
        settings = load(write_config(Path(tmp), url, cap), env={"NEWSBOT_DATA_DIR": tmp})
        limits = FetchLimits(max_bytes=settings.polling.max_bytes, total_timeout=300,
                             read_timeout=120)
        fetched = fetch(url, limits=limits)
        rss(f"fetch ({len(fetched.body) / 2**20:.0f} MB)")
        parsed = parse(fetched.body, fetched.headers, fetched.url)
        rss(f"parse ({len(parsed.articles):,} items)")
        del parsed, fetched
        rss("parse result dropped")
        store = Store(settings.database_url.reveal())
        store.migrate()
        store.ensure_feeds([url], utcnow())
        report = refresh_feed(build_context(settings, store), settings.feeds[0], utcnow())
        rss(f"refresh_feed ({report.outcome}, {report.items:,} items)")
        store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--mb", type=float, default=50, help="feed size in MB (default 50)")
    ap.add_argument("--item-kb", type=float, default=2, help="item size in KB (default 2)")
    ap.add_argument("--cap", default="64MB", help="polling.max_bytes (default 64MB)")
    ap.add_argument("--feeds", type=int, default=1,
                    help="the big feed and this many minus one small ones (default 1)")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--stages", action="store_true", help="step by step, in one child")
    ap.add_argument("--stages-of", help=argparse.SUPPRESS)     # the child: the feed's URL
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)   # the server
    args = ap.parse_args()
    if args.stages_of:
        stages(args.stages_of, args.cap)
        return
    if args.serve:
        body = make_feed(args.mb, args.item_kb)
        _, url = serve(body)
        print(url, len(body), body.count(b"<item>"), flush=True)
        threading.Event().wait()

    server = subprocess.Popen([sys.executable, __file__, "--serve", "--mb", str(args.mb),
                               "--item-kb", str(args.item_kb)], stdout=subprocess.PIPE,
                              text=True)
    assert server.stdout is not None
    url, size, items = server.stdout.readline().split()
    print(f"feed: {int(size) / 2**20:.1f} MB, {int(items):,} items; "
          f"polling.max_bytes: {args.cap}", flush=True)
    try:
        if args.stages:
            subprocess.run([sys.executable, __file__, "--stages-of", url, "--cap", args.cap],
                           check=True, env={**os.environ, "NO_PROXY": "127.0.0.1"})
            return
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                peak, tree, wall, code, err = run_once(
                    write_config(Path(tmp), url, args.cap, args.feeds), Path(tmp))
            last = err.strip().splitlines()[-1] if err.strip() else ""
            print(f"run --once: peak RSS {peak:.0f} MB (with its processes {tree:.0f} MB), "
                  f"{wall:.1f} s, exit {code}: {last}", flush=True)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
