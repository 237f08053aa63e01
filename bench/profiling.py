"""Where a page's time goes: pyinstrument around the same request, in process, with the same
configuration and database as the gunicorn workers (no network, no gunicorn)."""

from __future__ import annotations

from flask import Flask
from pyinstrument import Profiler

WARM_UP = 10
TREE_LINES = 70


def profile(app: Flask, path: str, cookie: str, requests: int = 300) -> str:
    client = app.test_client(use_cookies=False)  # the worker's cookie, sent as it is
    headers = {"Cookie": cookie}
    for _ in range(WARM_UP):
        client.get(path, headers=headers)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    try:
        for _ in range(requests):
            response = client.get(path, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"profiling {path}: {response.status_code}")
    finally:
        profiler.stop()
    tree = profiler.output_text(unicode=False, color=False, show_all=False)
    lines = [line for line in tree.splitlines() if line.strip()]
    return (f"{requests} requests in process:\n"
            + "\n".join(lines[:TREE_LINES])
            + ("\n..." if len(lines) > TREE_LINES else ""))
