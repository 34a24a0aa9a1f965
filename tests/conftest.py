"""Shared fixtures. Fakes live only at the outer seams (HTTP feed servers, the Bot API)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["tests.fakes.feed_server", "tests.fakes.telegram_api"]

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Tests talk to servers on loopback only: keep any proxy out of the way.
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ["no_proxy"] = os.environ["NO_PROXY"]


def need_shared(*parts: str) -> Path:
    """The path under ../shared, or skip: a user's own clone has no ../shared."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not present (only in the project's workspace)")
    return path
