"""The `newsbot` command: run, check, status, match, opml. The only place that wires real I/O.

What `newsbot --help` says is written for the person running it (ABOUT, EPILOG), not this
docstring. `--config` is accepted before or after the subcommand.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
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

log = logging.getLogger("newsbot")
SHUTDOWN_GRACE = 9.0    # SIGTERM: exit within 10 s even if a feed fetch hangs
ABOUT = """\
newsbot watches RSS and Atom feeds for the topics you choose and posts each matching story
once to a Telegram channel.

Settings are read from config/newsbot.yaml (or --config FILE, or $NEWSBOT_CONFIG); the bot
token from $TELEGRAM_BOT_TOKEN. Without a token, posts are printed here instead."""
EPILOG = """\
first steps:
  newsbot check              is the config right, may the bot post, do the feeds answer?
  newsbot run                start watching (Ctrl-C stops it)
  newsbot run --once         poll every feed once, post, and exit

Exit codes: 0 all good, 1 a problem was found, 2 the config (or the command line) was refused.
Documentation: README.md and docs/operations.md."""


def _parser() -> argparse.ArgumentParser:
    # --config on the main parser and on every subcommand: `newsbot --config F run` and
    # `newsbot run --config F` both work. SUPPRESS: a subcommand without it keeps the value.
    config = argparse.ArgumentParser(add_help=False)
    config.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                        help="the config file (default: $NEWSBOT_CONFIG, else "
                             "config/newsbot.yaml)")
    parser = argparse.ArgumentParser(prog="newsbot", description=ABOUT, epilog=EPILOG,
                                     parents=[config],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"newsbot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", parents=[config], help="poll feeds and post matches "
                         "(long-lived)")
    run.add_argument("--once", action="store_true", help="poll every feed once, deliver, exit")
    run.add_argument("--due", action="store_true",
                     help="with --once: only feeds whose interval has come (for cron, and for "
                          "several processes splitting one cycle)")
    check = sub.add_parser("check", parents=[config], help="validate the config; ask Telegram "
                           "whether the bot may post to each chat; read every feed")
    check.add_argument("--offline", action="store_true",
                       help="validate the config only; ask neither Telegram nor the feeds")
    sub.add_parser("status", parents=[config],
                   help="feeds, failures and the outbox, from the database")
    match = sub.add_parser("match", parents=[config],
                           help="dry-run a topic query on recent items or a feed")
    match.add_argument("query", help="a topic query, e.g. 'Putin NEAR/8 Kim'")
    match.add_argument("--feed", help="a feed URL or file instead of the stored items")
    match.add_argument("--since", default="2d", help="how far back in the store (default 2d)")
    opml = sub.add_parser("opml", parents=[config],
                          help="export the feeds as OPML, or import an OPML file")
    opml_sub = opml.add_subparsers(dest="opml_command", required=True, metavar="ACTION")
    export = opml_sub.add_parser("export", parents=[config],
                                 help="write the configured feeds as OPML")
    export.add_argument("file", nargs="?", help="output file (default: standard output)")
    imp = opml_sub.add_parser("import", parents=[config], help="add an OPML file's feeds to "
                              "the config file (comments kept; feeds already there are skipped)")
    imp.add_argument("file", help="an OPML file exported by a feed reader")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load(getattr(args, "config", None))
    except ConfigError as exc:        # one line, no traceback; exit 2 (systemd: no restart)
        what = "config refused: " if exc.file else ""      # else an environment variable
        print(f"newsbot: {what}{exc}", file=sys.stderr)
        return 2
    token = settings.token.reveal() if settings.token else ""
    setup_logging(settings.log_level, json_lines=settings.log_json, secrets=[token])
    try:
        if args.command == "run":
            return _run(settings, once=args.once, due=args.due)
        if args.command == "check":
            from bot.cli.check import check

            return check(settings, offline=args.offline)
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
    from bot.cli.startup import FirstRound
    from bot.models import utcnow
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
    first = FirstRound(settings, service.store, utcnow())
    for line in first.opening():
        log.info(line)
    service.on_report = first.add
    asyncio.run(service.run_forever())
    return 0


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
