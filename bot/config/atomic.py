"""Writing a config file safely: the new text replaces the file atomically (a temp file
beside it, fsync, rename over it), and an OS error reading or writing it becomes a
`ConfigUnwritable` that says what failed and what to do. Used by `bot.config.edit`."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bot.errors import ConfigUnwritable


@contextlib.contextmanager
def writing(file: Path) -> Iterator[None]:
    """An OS error reading or writing the file becomes a ConfigUnwritable that says, for the
    person reading the reply or the terminal, what failed and what to do; nothing changed."""
    try:
        yield
    except PermissionError as exc:
        # The edit writes a temp file beside the config and renames it over: the directory
        # must be writable, not only the file.
        what = (f"read and write {file}" if exc.filename in (None, str(file))
                else f"create files in {file.parent} (a change is saved as a new file "
                     "renamed over the old one)")
        raise ConfigUnwritable(f"permission denied: newsbot may not {what}. Let the user "
                               "newsbot runs as write there, or edit the file by hand",
                               file=str(file)) from exc
    except OSError as exc:
        raise ConfigUnwritable(f"the file could not be read or written "
                               f"({exc.strerror or exc}): check the disk and the file, then "
                               "try again", file=str(file)) from exc


def atomic_write(file: Path, text: str) -> None:
    """Temp file in the same directory (same filesystem), fsync, rename over the original."""
    mode = file.stat().st_mode & 0o777 if file.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{file.name}.", suffix=".tmp", dir=file.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
