"""One command runs every check: ruff and mypy run as part of the test suite."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.parametrize("tool, args", [
    ("ruff", ["check", "."]),
    ("mypy", []),  # packages and options come from pyproject.toml
])
def test_static_checks_pass(tool: str, args: list[str]) -> None:
    if shutil.which(tool) is None and tool != "mypy":
        pytest.fail(f"{tool} is not installed: pip install -e '.[test]'")
    cmd = [sys.executable, "-m", tool, *args]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{tool} found problems:\n{result.stdout}{result.stderr}"
