"""A real PostgreSQL server for tests: Debian's binaries, a temp cluster, a free loopback port.

Registered as a pytest plugin by tests/conftest.py. Fixtures:
- `postgres_server` (session): one server per test process (xdist worker), started on first use,
  stopped at the end; password authentication (scram) for the superuser `dpl`.
- `postgres_db`: a fresh, empty database on that server for one test (dropped afterwards).

Without the binaries (`initdb`, `pg_ctl`, `postgres` on PATH or in /usr/lib/postgresql/<v>/bin) the
tests using them are skipped, except when `CI` or `DPL_REQUIRE_POSTGRES` is set: then they fail
(`.ci/run` installs the Debian package `postgresql`, so CI never skips silently). As root, the server
runs as the `postgres` user (PostgreSQL refuses to run as root). The server itself is
scripts/local_postgres.py (`make demo-lake` starts one too).
"""

from __future__ import annotations

import os
import secrets

import pytest

from scripts.local_postgres import MISSING, PostgresServer, find_bindir, start_server

__all__ = ["PostgresServer", "need_binaries", "postgres_db", "postgres_server", "start_postgres"]


def required() -> bool:
    """Must the PostgreSQL tests run (CI, or asked for) rather than skip?"""
    return any(
        os.environ.get(var, "").lower() not in ("", "0", "false", "no") for var in ("CI", "DPL_REQUIRE_POSTGRES")
    )


def need_binaries() -> None:
    """Skip the test without the server binaries (fail instead under CI or DPL_REQUIRE_POSTGRES)."""
    if find_bindir() is None:
        if required():
            pytest.fail(MISSING + " (required: CI or DPL_REQUIRE_POSTGRES is set)")
        pytest.skip(MISSING)


def start_postgres() -> PostgresServer:
    """Start a server in a fresh temp folder (under /tmp: pytest's tmp dirs are private to root), or
    skip/fail without binaries."""
    need_binaries()
    return start_server()


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL server for this test process."""
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture
def postgres_db(postgres_server):
    """A fresh database for one test: yields its name; `postgres_server.url(name)` connects to it."""
    name = f"t_{secrets.token_hex(6)}"
    postgres_server.execute(f'create database "{name}"')
    yield name
    postgres_server.execute(f'drop database if exists "{name}" with (force)')
