"""The `newsbot` command: run, check, status. The only place that wires real I/O."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import __version__, logs
from bot.config import load
from bot.errors import ConfigError, NewsbotError
from bot.settings import Settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="newsbot", description=__doc__)
    parser.add_argument("--version", action="version", version=f"newsbot {__version__}")
    parser.add_argument("--config", help="config file (default: $NEWSBOT_CONFIG or "
                        "config/newsbot.yaml)")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="poll feeds and post matches (long-lived)")
    run.add_argument("--once", action="store_true", help="poll every feed once, deliver, exit")
    sub.add_parser("check", help="validate the config and test Bot API and feed connectivity")
    sub.add_parser("status", help="feeds, failures and the outbox, from the database")
    match = sub.add_parser("match", help="dry-run a topic query on recent items or a feed")
    match.add_argument("query", help="a topic query, e.g. 'Putin NEAR/8 Kim'")
    match.add_argument("--feed", help="a feed URL or file instead of the stored items")
    match.add_argument("--since", default="2d", help="how far back in the store (default 2d)")
    args = parser.parse_args(argv)

    try:
        settings = load(args.config)
    except ConfigError as exc:
        print(f"newsbot: config refused: {exc}", file=sys.stderr)
        return 2
    token = settings.token.reveal() if settings.token else ""
    logs.setup(settings.log_level, json_lines=settings.log_json, secrets=[token])
    try:
        if args.command == "run":
            return _run(settings, once=args.once)
        if args.command == "check":
            from bot.check import check

            return check(settings)
        if args.command == "status":
            from bot.status import status

            return status(settings)
        if args.command == "match":
            return _match(settings, args.query, feed=args.feed, since=args.since)
    except NewsbotError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 1
    return 2


def _match(settings: Settings, query: str, *, feed: str | None, since: str) -> int:
    from bot.config_values import duration, feed_url
    from bot.dryrun import dry_run, render
    from bot.models import utcnow

    try:
        window = duration(since)
        source = feed_url(feed, Path.cwd()) if feed else None
    except ValueError as exc:
        print(f"newsbot match: {exc}", file=sys.stderr)
        return 2
    looked_at, hits = dry_run(query, settings, now=utcnow(), feed=source, since=window)
    print(render(looked_at, hits))
    return 0


def _run(settings: Settings, *, once: bool) -> int:
    from bot.service import Service

    service = Service(settings)
    if once:
        reports = asyncio.run(service.run_once())
        failed = [r for r in reports if r.outcome in ("error", "gone")]
        print(f"newsbot: polled {len(reports)} feeds, {sum(r.queued for r in reports)} "
              f"posts queued, {service.sender.sent_count} sent, {len(failed)} feeds failing",
              file=sys.stderr)
        return 0
    asyncio.run(service.run_forever())
    return 0


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
