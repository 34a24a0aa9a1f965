"""Measure as the user meets it: the labelled dev items replayed as live feeds through
`newsbot run --once`, scored per story in each topic's channel.

    python bench/stream.py [--mode timeline|burst|both] [--variant shipped|keywords|both]
                           [--merge cautious|balanced|eager] [--keep DIR] [--misses]

Reads ../shared/data/news-dev.jsonl and news-dev-2.jsonl (never copied into the repo; without
them it prints "skipped" and exits 0). Needs `faketime` (Debian package `faketime`).

Each replay runs in a fresh directory with its own SQLite database and config: the repo's
config/topics.yaml with `summits` routed to @summits and `sanctions` to @sanctions, one feed per
outlet (bench/stream_feeds.py) served on 127.0.0.1, backfill 0, delivery that does not distort
the score (no pacing limit that binds, no digests, "Also:" edits after 1 s, no quiet hours).
Every poll is a real `faketime '<moment>' python -m bot run --once` posting to the Bot API
stand-in (tests/fakes/telegram_api.py); the database persists across the polls of a replay.

- timeline: every item arrives at its real date (bench/stream_feeds.py says how undated items
  are placed), polled at the end of each 3-hour bucket that has arrivals;
- burst: every item arrives within one hour, polled every 10 simulated minutes.

Both start with one poll of every feed, empty, so a feed's first poll (which only marks what is
already there as seen) happens before its items arrive. "keywords" is the same replay with the
semantic signal off (`semantic: {model: off}`), when the config loader knows that key.
`--merge` replays with `dedupe: {merge: ...}` (the shipped default: balanced).
Scores: bench/stream_score.py. A benchmark: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stream_config import CHANNELS, DEFAULT_CHANNEL, semantic_switch, write_config
from bench.stream_feeds import (
    DevItem,
    StreamFeeds,
    arrivals_burst,
    arrivals_timeline,
    load_items,
    poll_moments,
)
from bench.stream_score import (
    DIGEST_HEAD,
    TopicScore,
    UrlIndex,
    links_of,
    posts_of,
    score_topic,
)
from bot.dedupe import MERGE_BARS
from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_api import TelegramAPIServer

DATA = ROOT.parent / "shared" / "data"
FILES = ("news-dev.jsonl", "news-dev-2.jsonl")
BUCKET = timedelta(hours=3)                 # timeline: one poll per 3 simulated hours
BURST_EVERY = timedelta(minutes=10)         # burst: one poll per 10 simulated minutes
BURST_START = datetime(2026, 1, 5, 9, tzinfo=UTC)
RUN_TIMEOUT = 300                           # seconds per `run --once`: fail, never hang
PR_SET_CHILD_SUBREAPER = 36                 # linux/prctl.h
ADOPTING = False                            # set by adopt_orphans()
FAILING = re.compile(r"(\d+) feeds failing")  # `run --once`'s summary line (bot/cli/app.py)


@dataclass
class Replay:
    mode: str
    variant: str
    runs: int = 0
    failed: int = 0                                        # feed polls that ended in an error
    wall: float = 0.0
    cpu: list[float] = field(default_factory=list)        # per `run --once`, seconds
    messages: dict[str, list[tuple[str, list[str]]]] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)


def schedule(mode: str, items: list[DevItem]) -> tuple[dict[str, datetime], list[datetime]]:
    """Arrivals and poll moments; the first moment is the initial poll of empty feeds."""
    if mode == "timeline":
        arrivals = arrivals_timeline(items)
        moments = poll_moments(arrivals.values(), BUCKET)
    else:
        arrivals = arrivals_burst(items, BURST_START)
        moments = [BURST_START + BURST_EVERY * n for n in range(1, 7)]
    return arrivals, [min(arrivals.values()) - timedelta(hours=1), *moments]


def adopt_orphans() -> None:
    """Become the subreaper of what `run --once` starts (prctl PR_SET_CHILD_SUBREAPER, Linux):
    its parse processes come from a multiprocessing forkserver that outlives it, and a
    process reaped by init never shows in our RUSAGE_CHILDREN. The bench's own process
    only: it has no other children whose exit someone else waits for."""
    global ADOPTING
    ADOPTING = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def reap_orphans(timeout: float = 10.0) -> None:
    """Wait for the processes a finished run left behind (the forkserver exits when its
    parent is gone), so their CPU time is counted."""
    if not ADOPTING:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.01)


def run_once(moment: datetime, env: dict[str, str], log: Path) -> tuple[float, int]:
    """One `run --once` at the simulated `moment`: its CPU time (user + sys, its children
    and their parse processes included) and how many of its feed polls failed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # The clock starts at `moment` and runs on; monotonic clocks stay real (timeouts).
    cmd = ["faketime", "--exclude-monotonic", f"{moment:%Y-%m-%d %H:%M:%S} UTC",
           sys.executable, "-m", "bot", "run", "--once"]
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=RUN_TIMEOUT)
    reap_orphans()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    with log.open("a", encoding="utf-8") as f:
        f.write(f"== {moment:%Y-%m-%d %H:%M:%S} UTC: exit {result.returncode}\n"
                f"{result.stdout}{result.stderr}")
    if result.returncode != 0:
        raise SystemExit(f"`run --once` at {moment} failed ({result.returncode}); "
                         f"log: {log}\n{result.stderr[-2000:]}")
    failing = FAILING.search(result.stderr)
    return ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            int(failing[1]) if failing else 0)


def replay(mode: str, variant: str, items: list[DevItem], where: Path,
           merge: str | None = None) -> Replay:
    arrivals, moments = schedule(mode, items)
    out = Replay(mode, variant + (f" (merge: {merge})" if merge else ""))
    started = time.perf_counter()
    with FeedServer() as server, TelegramAPIServer(strict_chats=True) as api:
        for chat in (*CHANNELS.values(), DEFAULT_CHANNEL):
            api.add_chat(chat)
        feeds = StreamFeeds(server, items, arrivals)
        config = write_config(where, feeds.urls(), semantic_off=variant == "keywords",
                              merge=merge)
        env = {**os.environ, "NEWSBOT_CONFIG": str(config),
               "DATABASE_URL": f"sqlite:///{where / 'newsbot.db'}",
               "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": api.base_url,
               "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
        for n, moment in enumerate(moments):
            feeds.advance(None if n == 0 else moment)
            cpu, failed = run_once(moment, env, where / "polls.log")
            out.cpu.append(cpu)
            out.failed += failed
            out.runs += 1
        for chat in (*CHANNELS.values(), DEFAULT_CHANNEL):
            out.messages[chat] = [(m.text, links_of(m)) for m in api.messages(chat)]
        out.calls = Counter(r.method for r in api.requests if r.status == 200)
    out.wall = time.perf_counter() - started
    return out


def score(r: Replay, items: list[DevItem], topic: str, file: str | None = None
          ) -> tuple[TopicScore, list[str]]:
    """A topic's score in a replay, over every item or one data file's; and the links in
    its channel that lead to no item (there should be none)."""
    index = UrlIndex({i.id: i.url for i in items})
    posts = [p for text, links in r.messages[CHANNELS[topic]]
             for p in posts_of(text, links, index)]
    chosen = [i for i in items if file in (None, i.file)]
    return score_topic(posts, {i.id: i.story for i in items},
                       {i.story for i in chosen if i.labels.get(topic)},
                       None if file is None else {i.id for i in chosen}), index.unknown


def print_replay(r: Replay, items: list[DevItem], *, misses: bool) -> None:
    print(f"\n== {r.mode}, {r.variant}")
    cpu = sorted(r.cpu)
    print(f"{r.runs} runs of `run --once` (the first with empty feeds), wall {r.wall:.0f} s; "
          f"CPU per poll (children's user+sys): median {cpu[len(cpu) // 2]:.2f} s, "
          f"max {cpu[-1]:.2f} s, total {sum(cpu):.0f} s")
    print(f"Bot API: {r.calls['sendMessage']} sendMessage, "
          f"{r.calls['editMessageText']} editMessageText; feed polls that failed: {r.failed}"
          + (" (the errors are in the poll log: --keep DIR)" if r.failed else ""))
    print(f"{'topic':<10}{'items':<18}{'msgs':>5}{'stories':>8}{'gold':>5}{'P':>7}{'R':>7}"
          f"{'F1':>7}{'dup':>5}{'merged':>7}{'also-only':>10}  per 100 msgs: dup / merged")
    unknown: list[str] = []
    for topic in CHANNELS:
        for file in (None, *FILES):
            s, lost = score(r, items, topic, file)
            repeats, folded = s.per_hundred
            print(f"{topic:<10}{file or 'both':<18}{s.messages:>5}{s.stories:>8}{s.gold:>5}"
                  f"{s.precision:>7.3f}{s.recall:>7.3f}{s.f1:>7.3f}{s.duplicates:>5}"
                  f"{s.merged:>7}{s.also_only:>10}  {repeats:.1f} / {folded:.1f}")
        unknown += lost
    digests = sum(bool(DIGEST_HEAD.search(t)) for m in r.messages.values() for t, _ in m)
    print(f"{DEFAULT_CHANNEL}: {len(r.messages[DEFAULT_CHANNEL])} messages; digests: {digests}; "
          f"links to no dev item: {len(unknown)}")
    for topic in CHANNELS if misses else ():
        lines = score(r, items, topic)[0].misses
        print(f"-- {topic}, {r.mode}, {r.variant}: {len(lines)} misses")
        for line in lines:
            print(f"   {line}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--mode", choices=("timeline", "burst", "both"), default="both")
    ap.add_argument("--variant", choices=("shipped", "keywords", "both"), default="both")
    ap.add_argument("--merge", choices=tuple(MERGE_BARS),
                    help="dedupe.merge for the replays (default: the config's default)")
    ap.add_argument("--keep", type=Path, metavar="DIR",
                    help="keep each replay's directory (config, database, poll log) here")
    ap.add_argument("--misses", action="store_true",
                    help="list every FP, FN, duplicate and merge (item and story ids only)")
    args = ap.parse_args(argv)
    paths = [DATA / f for f in FILES]
    if not all(p.is_file() for p in paths):
        print(f"skipped: {DATA} is not present (the project's labelled data; only in the "
              "project's workspace)")
        return 0
    if shutil.which("faketime") is None:
        print("bench/stream.py needs faketime to run each poll at its simulated moment: "
              "apt-get install faketime", file=sys.stderr)
        return 2
    items = load_items(paths)
    modes = ("timeline", "burst") if args.mode == "both" else (args.mode,)
    variants = ("shipped", "keywords") if args.variant == "both" else (args.variant,)
    sources = len({i.source for i in items})
    counts = ", ".join(f"{f} {sum(i.file == f for i in items)}" for f in FILES)
    print(f"stream replay: {len(items)} items ({counts}), {sources} feeds (one per outlet)")
    refused = semantic_switch() if "keywords" in variants else ""
    if refused:
        print(f"keyword-only: the config loader does not take `semantic: {{model: off}}` yet "
              f"({refused}), so it is the shipped configuration"
              + (": run once, figures under \"shipped\"" if len(variants) == 2 else ""))
        variants = ("shipped",)
    adopt_orphans()
    started = time.perf_counter()
    for mode in modes:
        for variant in variants:
            with tempfile.TemporaryDirectory(prefix=f"stream-{mode}-{variant}-") as tmp:
                where = Path(tmp)
                if args.keep:
                    where = args.keep / f"{mode}-{variant}"
                    shutil.rmtree(where, ignore_errors=True)
                    where.mkdir(parents=True)
                result = replay(mode, variant, items, where, args.merge)
            print_replay(result, items, misses=args.misses)
    print(f"\ntotal wall time: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
