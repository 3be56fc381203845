"""Bronze made by the real runner from the simulators, and readers of what a destination holds."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import psycopg2

from pipelines.bronze.ledger import manifest_files
from pipelines.dlt.pipelines import run_source
from pipelines.settings import Settings
from simulators import create, env_for
from tests.conftest import REPO
from tests.helpers import bronze_records

SCALES = {
    "jira": {"projects": 2, "issues": 25, "users": 6, "versions_per_project": 2, "sprints_per_board": 2},
    "jenkins": {},
}


def settings_for(bronze: Path, **changes) -> Settings:
    return Settings(config_dir=REPO / "config", bronze_dir=bronze, warehouse=bronze.parent / "wh.duckdb", **changes)


def make_bronze(bronze: Path, rounds: int = 2) -> None:
    """A full sync of each source, then `rounds - 1` incremental syncs after the worlds moved on."""
    for name, scale in SCALES.items():
        server = create(name, seed=7, scale=scale or None).start()
        try:
            env = env_for(name, server)
            run_source(settings_for(bronze), name, mode="full", env=env)
            for _ in range(rounds - 1):
                server.world.advance(4)
                run_source(settings_for(bronze), name, env=env)
        finally:
            server.stop()


def copy_bronze(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def latest_per_id(bronze: Path) -> dict[str, dict[str, list[dict]]]:
    """{table: {__id as text: the payloads of its envelopes with the latest __ingested_at_utc}}, from bronze.

    Usually one payload; several when one page held the same id twice (the two ends of an issue link).
    """
    out: dict[str, dict[str, list[dict]]] = {}
    for name in SCALES:
        streams = {row.stream for row in manifest_files(bronze, [name])}
        for stream in sorted(s for s in streams if not s.startswith("_")):
            latest: dict[str, tuple[str, list[dict]]] = {}
            for line in bronze_records(bronze, name, stream):
                key, at = str(line["__id"]), line["__ingested_at_utc"]
                if key not in latest or at > latest[key][0]:
                    latest[key] = (at, [line["payload"]])
                elif at == latest[key][0]:
                    latest[key][1].append(line["payload"])
            out[f"{name}__{stream}"] = {key: payloads for key, (_, payloads) in latest.items()}
    return out


class Destination:
    """A destination under test: its dlt name, environment (credentials the dlt way) and a SQL reader."""

    def __init__(self, name: str, env: dict, query) -> None:
        self.name, self.env, self._query = name, env, query

    def rows(self, sql: str) -> list[tuple]:
        return self._query(sql)

    def table(self, table: str, dataset: str = "bronze") -> list[tuple]:
        """(__id, payload as Python, __ingested_at_utc as text) of every row."""
        rows = self.rows(f'select "__id", "payload", "__ingested_at_utc" from {dataset}."{table}"')
        return [(i, p if isinstance(p, dict | list) else json.loads(p), t) for i, p, t in rows]

    def tables(self, dataset: str = "bronze") -> list[str]:
        rows = self.rows(
            f"select table_name from information_schema.tables where table_schema = '{dataset}' "
            "and table_name like '%\\_\\_%' escape '\\'"
        )
        return sorted(r[0] for r in rows if not r[0].startswith("_dlt"))


def duckdb_destination(path: Path) -> Destination:
    def query(sql: str) -> list[tuple]:
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute(sql).fetchall()

    return Destination("duckdb", {"DESTINATION__DUCKDB__CREDENTIALS": str(path)}, query)


def postgres_destination(server, database: str) -> Destination:
    def query(sql: str) -> list[tuple]:
        with psycopg2.connect(server.url(database)) as con, con.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()

    return Destination("postgres", {"DESTINATION__POSTGRES__CREDENTIALS": server.url(database)}, query)


def cli(*args: str, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    """`python -m pipelines ...` in a child process."""
    done = subprocess.run(
        [sys.executable, "-m", "pipelines", *args], env=env, capture_output=True, text=True, timeout=300
    )
    if check and done.returncode != 0:
        raise AssertionError(f"exit {done.returncode}: {done.stderr[-3000:]}")
    return done
