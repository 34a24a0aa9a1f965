"""The `newsbot` command: run, check, status, match, opml. The only place that wires real I/O."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot import __version__
from bot.config import load
from bot.errors import ConfigError, NewsbotError
from bot.service import setup_logging
from bot.settings import Settings

SHUTDOWN_GRACE = 9.0    # SIGTERM: exit within 10 s even if a feed fetch hangs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="newsbot", description=__doc__)
    parser.add_argument("--version", action="version", version=f"newsbot {__version__}")
    parser.add_argument("--config", help="config file (default: $NEWSBOT_CONFIG or "
                        "config/newsbot.yaml)")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="poll feeds and post matches (long-lived)")
    run.add_argument("--once", action="store_true", help="poll every feed once, deliver, exit")
    run.add_argument("--due", action="store_true",
                     help="with --once: only feeds whose interval has come (for cron, and for "
                          "several processes splitting one cycle)")
    sub.add_parser("check", help="validate the config and test Bot API and feed connectivity")
    sub.add_parser("status", help="feeds, failures and the outbox, from the database")
    match = sub.add_parser("match", help="dry-run a topic query on recent items or a feed")
    match.add_argument("query", help="a topic query, e.g. 'Putin NEAR/8 Kim'")
    match.add_argument("--feed", help="a feed URL or file instead of the stored items")
    match.add_argument("--since", default="2d", help="how far back in the store (default 2d)")
    opml = sub.add_parser("opml", help="export the feeds as OPML, or import an OPML file")
    opml_sub = opml.add_subparsers(dest="opml_command", required=True)
    export = opml_sub.add_parser("export", help="write the configured feeds as OPML")
    export.add_argument("file", nargs="?", help="output file (default: standard output)")
    imp = opml_sub.add_parser("import", help="add an OPML file's feeds to the config file "
                              "(comments kept; feeds already there are skipped)")
    imp.add_argument("file", help="an OPML file exported by a feed reader")
    args = parser.parse_args(argv)

    try:
        settings = load(args.config)
    except ConfigError as exc:
        print(f"newsbot: config refused: {exc}", file=sys.stderr)
        return 2
    token = settings.token.reveal() if settings.token else ""
    setup_logging(settings.log_level, json_lines=settings.log_json, secrets=[token])
    try:
        if args.command == "run":
            return _run(settings, once=args.once, due=args.due)
        if args.command == "check":
            from bot.cli.check import check

            return check(settings)
        if args.command == "status":
            from bot.cli.status import status

            return status(settings)
        if args.command == "match":
            return _match(settings, args.query, feed=args.feed, since=args.since)
        if args.command == "opml":
            return _opml(settings, args.opml_command, args.file)
    except NewsbotError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 1
    return 2


def _match(settings: Settings, query: str, *, feed: str | None, since: str) -> int:
    from bot.config import duration, feed_url
    from bot.models import utcnow
    from bot.pipeline import dry_run, render

    try:
        window = duration(since)
        source = feed_url(feed, Path.cwd()) if feed else None
    except ValueError as exc:
        print(f"newsbot match: {exc}", file=sys.stderr)
        return 2
    looked_at, hits = dry_run(query, settings, now=utcnow(), feed=source, since=window)
    print(render(looked_at, hits))
    return 0


def _opml(settings: Settings, command: str, file: str | None) -> int:
    from bot.config import ConfigEditor, export_opml, read_opml

    if command == "export":
        text = export_opml(settings.feeds)
        if file:
            Path(file).write_text(text, encoding="utf-8")
            print(f"newsbot: wrote {len(settings.feeds)} feeds to {file}", file=sys.stderr)
        else:
            sys.stdout.write(text)
        return 0
    assert file is not None
    try:
        data = Path(file).read_bytes()
    except OSError as exc:
        print(f"newsbot opml import: cannot read {file}: {exc.strerror}", file=sys.stderr)
        return 2
    feeds = read_opml(data, file)
    if not feeds:
        print(f"newsbot opml import: no feed outlines (xmlUrl) in {file}", file=sys.stderr)
        return 1
    have = {f.url.rstrip("/") for f in settings.feeds}
    new = [(url, name, None) for url, name in feeds if url.rstrip("/") not in have]
    if not new:
        print(f"newsbot: all {len(feeds)} feeds are already in {settings.path}",
              file=sys.stderr)
        return 0
    edited = ConfigEditor(settings.path).add_feeds(new, origin="opml")
    print(f"newsbot: {edited.note} of {len(feeds)} feeds into {edited.file}; a running "
          "newsbot picks them up within seconds", file=sys.stderr)
    return 0


def _progress(total: int) -> Any:
    """A tqdm bar on stderr when it is a terminal; None otherwise (logs, CI, pipes)."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="feed", desc="polling", file=sys.stderr)


def _run(settings: Settings, *, once: bool, due: bool = False) -> int:
    from bot.service import Service

    service = Service(settings)
    if once:
        bar = _progress(len(settings.feeds))
        try:
            reports = asyncio.run(service.run_once(
                (lambda _report: bar.update(1)) if bar is not None else None, due_only=due))
        finally:
            if bar is not None:
                bar.close()
        failed = [r for r in reports if r.outcome in ("error", "gone")]
        polled = [r for r in reports if r.outcome != "skipped"]
        others = f" ({len(reports) - len(polled)} not due or polled by another process)" if \
            len(polled) < len(reports) else ""
        print(f"newsbot: polled {len(polled)} feeds{others}, "
              f"{sum(r.queued for r in reports)} posts queued, {service.sender.sent_count} "
              f"sent, {len(failed)} feeds failing", file=sys.stderr)
        return 0
    service.hard_exit_after = SHUTDOWN_GRACE
    asyncio.run(service.run_forever())
    return 0


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
