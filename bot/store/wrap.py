"""Driver errors become `StoreError` at the store's boundary, naming what failed (after
lemon24/reader's `_storage/_sqlite_utils.py` `wrap_exceptions`): a database outage during a
poll is an operator message, not a traceback from deep inside SQLAlchemy."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from bot.errors import StoreError

__all__ = ["wrap_exceptions", "wrapped_methods"]

T = TypeVar("T")


@contextmanager
def wrap_exceptions(what: str) -> Iterator[None]:
    """Re-raise a driver error inside the block as StoreError("<what> failed: ...")."""
    try:
        yield
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)      # the DB-API error, without the SQL echoed
        first = str(orig) if orig is not None else str(exc)
        detail = first.strip().splitlines()[0] if first.strip() else ""
        raise StoreError(f"database error while {what}: {type(exc).__name__}: {detail} "
                         "(is the database at DATABASE_URL up and writable?)") from exc


def wrapped_methods(cls: type[T]) -> type[T]:
    """Class decorator: every public method runs inside `wrap_exceptions`, named for the
    method ("Store.feed_state"). Context-manager methods wrap their own bodies."""
    for name, fn in list(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(fn) or getattr(fn, "__wrapped__", None):
            continue
        setattr(cls, name, _wrapped(fn, f"{cls.__name__}.{name}"))
    return cls


def _wrapped(fn: Callable[..., Any], what: str) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            with wrap_exceptions(what):
                return await fn(*args, **kwargs)
        return run_async

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        with wrap_exceptions(what):
            return fn(*args, **kwargs)
    return run
