"""The `newsbot` command: run, check, status. The only place that wires real I/O."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

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
    except NewsbotError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 1
    return 2


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
