"""Each deploy path works as shipped: the Procfile, the systemd unit with the recipe in
docs/operations.md, and the Docker image. What each refers to exists, the config it runs
validates (`newsbot check --offline`, a real process), and where the tools are here,
`systemd-analyze verify` and `docker build` run too (skipped cleanly where they are not)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
PRODUCTION = ROOT / "config" / "production.yaml"


def check_offline(config: Path, *, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NEWSBOT_CONFIG", "DATABASE_URL")}
    return subprocess.run([sys.executable, "-m", "bot", "check", "--offline", "--config",
                           str(config)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def yaml(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def test_the_production_config_validates_offline_and_is_not_the_demo() -> None:
    result = check_offline(PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    doc = yaml(PRODUCTION)
    assert all(str(f["url"]).startswith("https://") for f in doc["feeds"])
    assert doc["backfill"] == 0 and doc["health_port"] == 9100
    assert all((PRODUCTION.parent / name).is_file() for name in doc["include"])


def test_docs_show_the_production_config_as_it_is() -> None:
    text = (ROOT / "docs" / "operations.md").read_text()
    shown = text.split("## Deployment", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    assert YAML(typ="safe").load(shown) == yaml(PRODUCTION)


# -- Procfile ----------------------------------------------------------------------------
def test_the_procfile_worker_runs_the_production_config() -> None:
    lines = [ln for ln in (ROOT / "Procfile").read_text().splitlines() if ln.strip()]
    kinds = dict(ln.split(":", 1) for ln in lines)
    argv = shlex.split(kinds["worker"])
    assert argv[:2] == ["newsbot", "run"] and "--once" not in argv    # long-lived
    config = Path(argv[argv.index("--config") + 1])
    assert config.resolve() == PRODUCTION
    result = check_offline(config)                      # the same argument, from the root
    assert result.returncode == 0, result.stdout + result.stderr


# -- systemd -----------------------------------------------------------------------------
def unit() -> dict[str, list[tuple[str, str]]]:
    """The unit file as sections of (key, value), repeated keys kept (as systemd reads it)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for raw in (DEPLOY / "newsbot.service").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if m := re.fullmatch(r"\[(\w+)\]", line):
            current = sections.setdefault(m.group(1), [])
            continue
        assert current is not None and "=" in line, f"not a unit line: {raw!r}"
        key, value = line.split("=", 1)
        current.append((key, value))
    return sections


def recipe() -> list[str]:
    """The shell lines of the systemd recipe in docs/operations.md."""
    text = (ROOT / "docs" / "operations.md").read_text()
    block = text.split("### systemd", 1)[1].split("```", 2)[1]
    return [ln.strip() for ln in block.splitlines() if ln.strip()]


def test_the_unit_names_what_the_recipe_installs_and_stops_on_a_refused_config() -> None:
    service = dict(unit()["Service"])
    env = dict(v.split("=", 1) for k, v in unit()["Service"] if k == "Environment")
    assert service["ExecStart"].split() == ["/opt/newsbot/venv/bin/newsbot", "run"]
    assert service["RestartPreventExitStatus"] == "2" and service["Restart"] == "on-failure"
    assert env["NEWSBOT_CONFIG"] == "/etc/newsbot/newsbot.yaml"
    steps = recipe()
    assert any("/opt/newsbot/venv/bin/pip install" in s for s in steps)
    assert any(s.startswith("sudo install -m 600 /dev/null " + service["EnvironmentFile"])
               for s in steps)
    assert any("cp deploy/newsbot.service /etc/systemd/system/" in s for s in steps)


def test_the_recipe_installs_a_config_that_validates(tmp_path: Path) -> None:
    """Do what the recipe's `install` lines do, into a temp /etc, and check the result the
    way the unit will run it (the demo's config/*.yaml without demo/ did not)."""
    root = tmp_path / "root"
    for step in recipe():
        argv = shlex.split(step)
        if argv[:2] == ["sudo", "install"] and argv[-2].startswith("config/"):
            target = root / argv[-1].lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / argv[-2], target)
    env = dict(v.split("=", 1) for k, v in unit()["Service"] if k == "Environment")
    installed = root / env["NEWSBOT_CONFIG"].lstrip("/")
    result = check_offline(installed, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_recipe_never_echoes_the_token() -> None:
    for step in recipe():
        assert not re.search(r"\becho\b.*TOKEN|\|\s*sudo tee", step), step


def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed here (the unit was parsed above)")
    # verify insists that ExecStart exists: point it at a real executable, nothing else.
    text = (DEPLOY / "newsbot.service").read_text()
    copy = tmp_path / "newsbot.service"
    copy.write_text(text.replace("/opt/newsbot/venv/bin/newsbot", shutil.which("true") or
                                 "/bin/true"))
    result = subprocess.run([tool, "verify", str(copy)], capture_output=True, text=True,
                            timeout=120)
    ours = [ln for ln in result.stderr.splitlines() if "newsbot.service" in ln]
    assert result.returncode == 0 and not ours, result.stderr      # warnings count too


# -- Docker ------------------------------------------------------------------------------
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_the_dockerfile_copies_what_exists_and_probes_the_configured_port() -> None:
    steps = dockerfile()
    copies = [shlex.split(args) for word, args in steps if word == "COPY"]
    sources = [s for argv in copies for s in argv[:-1] if not s.startswith("--")]
    assert all((ROOT / s).exists() for s in sources), sources
    readme = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["readme"]
    assert readme in sources                 # pip cannot build the package without it
    env = dict(re.findall(r"(\w+)=(\S+)", " ".join(a for w, a in steps if w == "ENV")))
    config = ROOT / "config" / Path(env["NEWSBOT_CONFIG"]).relative_to("/config")
    assert config == PRODUCTION
    probe = next(a for w, a in steps if w == "HEALTHCHECK")
    port = int(re.search(r"127\.0\.0\.1:(\d+)/healthz", probe).group(1))
    assert port == yaml(config)["health_port"]
    assert ("EXPOSE", str(port)) in steps
    assert ("RUN", "newsbot check --offline") in steps
    assert check_offline(config).returncode == 0
    assert steps[-1] == ("CMD", '["newsbot", "run"]')


@pytest.mark.slow
def test_docker_builds_the_image(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker is not installed here")
    if subprocess.run([docker, "info"], capture_output=True, timeout=60).returncode != 0:
        pytest.skip("no docker engine answers here")
    result = subprocess.run([docker, "build", "-f", str(DEPLOY / "Dockerfile"), "-t",
                             "newsbot-test", "."], cwd=ROOT, capture_output=True, text=True,
                            timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
