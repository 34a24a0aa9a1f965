"""`newsbot match` dry-runs a query against a feed or the stored recent items."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

DEMO = ROOT / "config" / "newsbot.yaml"


def newsbot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "--config", str(DEMO), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("query, feed, expected, absent", [
    ('"export controls"', "daily-herald.atom", ["1 of 3 items match", "Valdoria",
                                                "why: export controls"], ["Tech Summit"]),
    ("title:summit", "daily-herald.atom", ["2 of 3 items match", "Tech Summit"], []),
    ("sanction* -title:EU", "globe-wire.xml", ["1 of 4 items match", "why: sanctioned"], []),
])
def test_match_against_a_feed_file_lists_hits_and_why(query: str, feed: str,
                                                      expected: list[str],
                                                      absent: list[str]) -> None:
    result = newsbot("match", query, "--feed", str(ROOT / "config" / "demo" / feed))
    assert result.returncode == 0, result.stderr
    for text in expected:
        assert text in result.stdout
    for text in absent:
        assert text not in result.stdout


def test_match_against_the_store_sees_what_run_recorded(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    assert newsbot("run", "--once", env=env).returncode == 0
    result = newsbot("match", "embargo OR (asset NEAR/2 freeze)", env=env)
    assert result.returncode == 0, result.stderr
    assert "Valdoria" in result.stdout and "items match" in result.stdout


def test_a_bad_query_points_at_the_column() -> None:
    result = newsbot("match", "(summit OR talks", "--feed",
                     str(ROOT / "config" / "demo" / "globe-wire.xml"))
    assert result.returncode != 0
    assert "column" in result.stderr
