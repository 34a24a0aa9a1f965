"""Several instances benchmark (not a test): one cold cycle of the bench/poll.py farm
(1,000 feeds × 50 items on loopback) run by 1, 2 and 3 `newsbot run --once --due`
processes sharing one PostgreSQL database.

    python bench/instances.py                        # 1,000 × 50, PostgreSQL at 127.0.0.1
    python bench/instances.py --feeds 200 --db postgresql://postgres@127.0.0.1:5432/test

Each run gets a fresh schema; the processes start together and split the feeds through
feed leases (a due feed is polled by the first process that claims it; its next poll is
then in the future, so the others skip it). Wall
time is from starting the processes until the last one exits, start-up included. The
printout also says how many feeds each process polled, and checks that together they
polled every feed exactly once.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import poll

SUMMARY = re.compile(r"polled (\d+) feeds")


def run(n: int, args: argparse.Namespace, tmp: Path) -> dict[str, object]:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.db, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    db = f"{args.db}?options=-csearch_path%3D{schema}"
    env = {**os.environ, "DATABASE_URL": db, "NEWSBOT_CONFIG": str(tmp / "newsbot.yaml"),
           "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    # Create the schema once, so the timed processes measure polling, not a migration race.
    subprocess.run([sys.executable, "-m", "bot", "status"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    poll.bump(args)
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "bot", "run", "--once", "--due"], env=env,
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True) for _ in range(n)]
    polled = []
    for proc in procs:
        _, err = proc.communicate(timeout=900)
        found = SUMMARY.findall(err)
        polled.append(int(found[-1]) if found else -1)
    wall = time.perf_counter() - start
    with psycopg.connect(args.db, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return {"processes": n, "wall_s": round(wall, 2), "feeds_polled_by_each": polled,
            "every_feed_once": sum(polled) == args.feeds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--hosts", type=int, default=10)
    ap.add_argument("--db", default="postgresql://postgres@127.0.0.1:5432/test")
    ap.add_argument("--max-processes", type=int, default=3)
    args = ap.parse_args()
    args.warm = 0.1
    with poll.farm(args.feeds, args.items, args.hosts) as args.port:
        tmp = Path(tempfile.mkdtemp(prefix="newsbot-instances-"))
        poll.write_config(args, tmp)
        print(f"{args.feeds} feeds × {args.items} items, {os.cpu_count()} CPUs, "
              f"PostgreSQL", file=sys.stderr)
        results = [run(n, args, tmp) for n in range(1, args.max_processes + 1)]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
