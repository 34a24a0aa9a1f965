"""Each package's public names: what its face re-exports is exactly its `__all__`, and each
name is real (after httpx's tests/test_exported_members.py)."""

from __future__ import annotations

import importlib
import inspect
import types

import pytest

from tests.test_layout import LAYERS


@pytest.mark.parametrize("package", LAYERS)
def test_a_face_exports_exactly_its_all(package: str) -> None:
    face = importlib.import_module(f"bot.{package}")
    exported = set(face.__all__)
    public = {name for name, value in vars(face).items()
              if not name.startswith("_") and not isinstance(value, types.ModuleType)}
    assert exported == public
    assert sorted(exported, key=lambda s: (not s.isupper(), s)) == list(face.__all__)
    for name in exported:           # defined down in the package, not borrowed from outside
        value = getattr(face, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__module__.startswith(f"bot.{package}."), \
                f"bot.{package}.{name} comes from {value.__module__}"
