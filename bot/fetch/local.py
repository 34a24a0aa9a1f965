"""Local feeds (a path or a file:// URL) for demos and tests: the same caps and the same
outcomes as HTTP, with the file's mtime standing in for Last-Modified."""

from __future__ import annotations

import hashlib
import os
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from bot.errors import NetworkError, TooLarge
from bot.fetch.messages import too_large
from bot.models import Fetched, NotModified

if TYPE_CHECKING:
    from bot.fetch.types import FetchLimits


def fetch_file(url: str, *, last_modified: str | None, body_hash: str | None,
                limits: FetchLimits) -> Fetched | NotModified:
    path = local_path(url)
    try:
        st = path.stat()
        mtime = formatdate(st.st_mtime, usegmt=True)
        headers = {"content-type": "application/xml", "last-modified": mtime}
        if last_modified and not_newer(st.st_mtime, last_modified):
            return NotModified(url=url, headers=headers)
        if st.st_size > limits.max_bytes:
            raise TooLarge(url, too_large(limits, f"file of {st.st_size:,} bytes"))
        with path.open("rb") as fh:
            body = fh.read(limits.max_bytes + 1)    # the file may grow while we read
    except OSError as exc:
        raise NetworkError(url, f"cannot read local file {path} ({exc.strerror}); "
                                "check the path and permissions") from exc
    if len(body) > limits.max_bytes:
        raise TooLarge(url, too_large(limits, "file"))
    digest = hashlib.sha256(body).hexdigest()
    headers["content-length"] = str(len(body))
    if body_hash and digest == body_hash:
        return NotModified(url=url, headers=headers)
    return Fetched(url=url, status=200, body=body, headers=headers, etag=None,
                   last_modified=mtime, body_hash=digest)


def not_newer(mtime: float, last_modified: str) -> bool:
    """If-Modified-Since semantics (RFC 9110 §13.1.3), at HTTP-date's one-second precision."""
    try:
        return int(mtime) <= parsedate_to_datetime(last_modified).timestamp()
    except (TypeError, ValueError, IndexError):
        return False


def is_local(url: str) -> bool:
    if url.startswith(("http://", "https://")):     # nearly every feed: no parsing needed
        return False
    scheme = urlsplit(url).scheme.lower()
    return scheme == "file" or scheme == "" or (len(scheme) == 1 and os.name == "nt")


def local_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.scheme.lower() == "file":
        return Path(url2pathname(unquote(parts.path)))
    return Path(url)

