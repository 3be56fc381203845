"""A throwaway PostgreSQL server from Debian's binaries: a temp cluster on a free loopback port.

Used by the tests (tests/postgres.py: fixtures) and by `make demo-lake` (scripts/demo_ducklake.py).
As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root). Password
authentication (scram) for the superuser `dpl`; `stop()` stops it and removes its files.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg2

BINARIES = ("initdb", "pg_ctl", "postgres")
SUPERUSER = "dpl"
MISSING = "PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian package `postgresql`"


def find_bindir() -> Path | None:
    """The folder holding initdb/pg_ctl/postgres: PATH first, then the newest /usr/lib/postgresql/<v>/bin."""
    on_path = [shutil.which(name) for name in BINARIES]
    if all(on_path):
        return Path(on_path[0]).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    for folder in reversed(versions):
        if all((Path(folder) / name).exists() for name in BINARIES):
            return Path(folder)
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclasses.dataclass
class PostgresServer:
    """A running cluster: connect with `url(db)` (password included) or `conninfo(db)`."""

    root: Path
    bindir: Path
    port: int = 0
    password: str = dataclasses.field(default_factory=lambda: secrets.token_hex(12))
    user: str = SUPERUSER
    host: str = "127.0.0.1"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        """`postgresql://dpl:<password>@127.0.0.1:<port>/<database>`."""
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    def conninfo(self, database: str = "postgres") -> str:
        """libpq key=value form, without the password (give it as PGPASSWORD)."""
        return f"host={self.host} port={self.port} user={self.user} dbname={database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def start(self) -> PostgresServer:
        """initdb (scram password for `dpl`), then pg_ctl start on a free loopback port (a few tries)."""
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(
            "initdb", "-D", str(self.data), "-U", self.user, "-A", "scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8"
        )
        pwfile.unlink()
        last = None
        for _ in range(5):
            self.port = free_port()
            options = f"-p {self.port} -k {self.root} -c listen_addresses={self.host} -c fsync=off"
            done = self._run(
                "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start", check=False
            )
            if done.returncode == 0:
                return self
            last = done.stderr + (self.root / "log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"postgres did not start: {last}")

    def stop(self) -> None:
        """Stop the server (immediate) and remove its files."""
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def execute(self, sql: str, database: str = "postgres") -> list[tuple]:
        """Run one statement (autocommit) and return its rows, if any."""
        with contextlib.closing(psycopg2.connect(self.url(database))) as con:
            con.autocommit = True
            with con.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall() if cur.description else []


def start_server() -> PostgresServer:
    """A started server in a fresh temp folder (under /tmp: readable by the `postgres` user)."""
    bindir = find_bindir()
    if bindir is None:
        raise FileNotFoundError(MISSING)
    server = PostgresServer(Path(tempfile.mkdtemp(prefix="dpl-pg-")), bindir)
    try:
        return server.start()
    except BaseException:
        server.stop()
        raise
