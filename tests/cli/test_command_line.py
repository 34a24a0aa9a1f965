"""The command line as people type it: `--config` before or after the subcommand, help in
the user's words, and set-up mistakes refused in one clear line with exit code 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import ROOT


def demo_copy(tmp_path: Path) -> Path:
    """The shipped demo config, copied: the same files a newcomer runs."""
    shutil.copytree(ROOT / "config", tmp_path / "config")
    return tmp_path / "config" / "newsbot.yaml"


def newsbot(*args: str, tmp_path: Path, env: dict[str, str] | None = None,
            prelude: str = "") -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if k not in ("TELEGRAM_BOT_TOKEN", "NEWSBOT_CONFIG", "DATABASE_URL")}
    code = f"{prelude}from bot.cli import main; raise SystemExit(main())"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=tmp_path,
                          env={**base, "NEWSBOT_DATA_DIR": str(tmp_path / "data"),
                               **(env or {})},
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("argv", [
    ["--config", "{config}", "check", "--offline"],
    ["check", "--offline", "--config", "{config}"],
    ["check", "--config", "{config}", "--offline"],
    ["--config", "elsewhere.yaml", "check", "--offline", "--config", "{config}"],
])
def test_config_is_accepted_before_or_after_the_subcommand(tmp_path: Path, argv: list[str],
                                                          capsys) -> None:
    config = demo_copy(tmp_path)
    assert main([a.format(config=config) for a in argv]) == 0
    assert f"config {config}: OK (2 feeds, 2 topics)" in capsys.readouterr().out


def test_run_once_with_config_after_the_subcommand(tmp_path: Path) -> None:
    config = demo_copy(tmp_path)
    result = newsbot("run", "--once", "--config", str(config), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "newsbot: polled 2 feeds" in result.stderr


def test_help_speaks_to_the_user(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    text = capsys.readouterr().out
    assert done.value.code == 0
    assert "posts each matching story" in text and "newsbot check" in text
    assert "wires real I/O" not in text and "Exit codes" in text


@pytest.mark.parametrize("broken, where, says", [
    ("delivery: {timezone: Europe/Berln}\n", "delivery.timezone", "did you mean"),
    ("health_port: 99999\n", "health_port", "from 1 to 65535"),
])
def test_values_that_used_to_crash_run_are_refused_before_it_starts(
        tmp_path: Path, broken: str, where: str, says: str) -> None:
    config = demo_copy(tmp_path)
    config.write_text(config.read_text() + broken)
    line = len(config.read_text().splitlines())
    result = newsbot("run", "--once", "--config", str(config), tmp_path=tmp_path)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"newsbot: config refused: {config}:{line} {where}: ")
    assert says in result.stderr


def test_postgres_without_the_extra_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = demo_copy(tmp_path)
    result = newsbot("run", "--once", "--config", str(config), tmp_path=tmp_path,
                     env={"DATABASE_URL": "postgresql://news:s3cret@127.0.0.1/news"},
                     prelude="import sys; sys.modules['psycopg'] = None; ")  # not installed
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "newsbot: DATABASE_URL: names PostgreSQL, whose driver is not installed: "
        "pip install 'newsbot[postgres]'"]
    assert "s3cret" not in result.stdout + result.stderr
