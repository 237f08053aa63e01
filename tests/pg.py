"""A throwaway PostgreSQL cluster for the tests (initdb as ``postgres`` when run as root).

``Cluster(bindir).start()`` makes a new cluster in a temporary folder and serves it on a free
port of 127.0.0.1 (about a second); ``pause()`` stops the server abruptly, as a crash would,
``resume()`` starts it again on the same port, ``stop()`` ends it and removes every file.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

from bench.harness import free_port


def find_bin() -> Path | None:
    """The newest PostgreSQL server binaries on this machine, or None."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists() and Path(candidate, "pg_ctl").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class ClusterError(RuntimeError):
    pass


class Cluster:
    """``durable``: every commit reaches the server's log before it is confirmed, so a commit
    survives ``pause()``. Without it (the fast default for tests) commits confirmed in the last
    fraction of a second are lost when the server is killed."""

    def __init__(self, bindir: Path, *, durable: bool = False):
        self.bindir = bindir
        self.durable = durable
        self.base = Path(tempfile.mkdtemp(prefix="prep-pg-"))
        self.data = self.base / "data"
        self.port = free_port()
        # initdb and pg_ctl refuse to run as root: run them as the postgres user then.
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.base, "postgres")
        self.running = False

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120,  # noqa: S603
                              check=False)
        if done.returncode != 0:
            raise ClusterError(f"{args[0]} failed ({done.returncode}):\n{done.stderr[-2000:]}"
                               f"\n{self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return (self.base / "log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def start(self) -> Cluster:
        try:
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                      "-E", "UTF8", "--no-locale", "--no-sync")
            self.resume()
        except BaseException:
            self.stop()
            raise
        return self

    def resume(self) -> None:
        # fsync=off is safe here: the machine does not crash, only the server may be killed.
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.base} "
                   "-c fsync=off -c full_page_writes=off -c max_connections=200 "
                   f"-c synchronous_commit={'on' if self.durable else 'off'}")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.base / "log"), "-w",
                  "-o", options, "start")
        self.running = True

    def pause(self) -> None:
        """Stop the server at once, dropping every connection (as a crash or a failover)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self.running = False

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres",
                               dbname="postgres", autocommit=True)

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                         .format(sql.Identifier(name)))

    def stop(self) -> None:
        try:
            if self.running:
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
                self.running = False
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
