"""The `newsbot` command line: `main()`."""

from bot.cli.app import main

__all__ = ["main"]
