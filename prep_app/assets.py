"""Static files: versioned URLs, so a browser may keep each one for a year; one stylesheet.

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
# Every page loads one stylesheet: Pico (only the modules we use) and then our own rules,
# joined here as they are on disk, so an edit of app.css is in the next page's stylesheet.
STYLESHEET_PARTS = ("vendor/pico-2.1.1.subset.min.css", "app.css")


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


def is_current(endpoint: str | None, filename: str | None, v: str | None) -> bool:
    """Does ``v`` name the file as it is now? (Only then may it be cached as immutable.)"""
    if not v:
        return False
    if endpoint == "main.stylesheet":
        return stylesheet()[1] == v
    return endpoint == "static" and bool(filename) and version(filename) == v


def stylesheet() -> tuple[bytes, str]:
    """The one stylesheet's text and its version (the hash of its parts' versions)."""
    versions = tuple(version(part) for part in STYLESHEET_PARTS)
    return _joined(current_app.static_folder, versions)


@lru_cache(maxsize=8)
def _joined(folder: str, versions: tuple[str | None, ...]) -> tuple[bytes, str]:
    body = b"\n".join(Path(folder, part).read_bytes() for part in STYLESHEET_PARTS)
    return body, hashlib.sha256(body).hexdigest()[:12]


def stylesheet_url() -> str:
    return url_for("main.stylesheet", v=stylesheet()[1])
