"""Static files: versioned URLs, so a browser may keep each one for a year.

``static_url("app.css")`` is "/static/app.css?v=<the first 12 hex of its SHA-256>": a new
release changes the file, hence the URL, so nobody is served a stale copy. A request whose
``v`` matches the file on disk may be cached as immutable (see ``security.py``); any other
(no ``v``, an old one) is revalidated each time.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import current_app, url_for
from werkzeug.security import safe_join

ONE_YEAR = "public, max-age=31536000, immutable"


def static_url(filename: str) -> str:
    return url_for("static", filename=filename, v=version(filename))


def version(filename: str) -> str | None:
    """The file's content hash, or None when there is no such file."""
    joined = safe_join(current_app.static_folder, filename)
    if joined is None:
        return None
    path = Path(joined)
    try:
        stat = path.stat()
    except (OSError, ValueError):
        return None
    return _hash(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _hash(path: Path, _mtime_ns: int, _size: int) -> str:
    # The modification time and size are part of the key: an edited file is hashed again.
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def is_current(filename: str | None, v: str | None) -> bool:
    """Does ``v`` name the file as it is now? (Only then may it be cached as immutable.)"""
    return bool(filename and v) and version(filename) == v
