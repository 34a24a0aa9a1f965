"""`python -m bot` is the same as the `newsbot` command, whose entry point is `main` here.

The command line is imported only when `main` runs: multiprocessing starts each parse worker
by re-running the console script (`newsbot`), and the script's top line imports this module.
Importing `bot.cli` there would load every layer into every worker (82 MB each instead of 30;
bot.feedwork says what a worker needs)."""

from __future__ import annotations


def main() -> int:
    from bot.cli import main as command_line
    return command_line()


if __name__ == "__main__":
    raise SystemExit(main())
