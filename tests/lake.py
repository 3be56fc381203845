"""DuckLake warehouses for tests: catalog in SQLite (a tmp file) or in a real local PostgreSQL, data in tmp.

Registered as a pytest plugin by tests/conftest.py. Fixtures:
- `lake`: parametrized over both catalogs (`sqlite`, `postgres`): a `Lake` whose `env` exports it;
- `sqlite_lake`, `postgres_lake`: one catalog kind; `s3_lake`: SQLite catalog, data on moto's S3.
The PostgreSQL password travels only as PGPASSWORD (set in this process for the test's duration).
"""

from __future__ import annotations

import dataclasses
import secrets
from pathlib import Path

import pytest

from pipelines.silver.target import DuckLakeWarehouse, parse_warehouse


@dataclasses.dataclass(frozen=True)
class Lake:
    """A DuckLake target and the environment variables naming it (for CLI subprocesses)."""

    target: DuckLakeWarehouse
    env: dict[str, str]

    @property
    def kind(self) -> str:
        return self.target.catalog


def make_lake(value: str, data: Path | str, extra_env: dict | None = None) -> Lake:
    env = {"DPL_WAREHOUSE": value, "DPL_WAREHOUSE_DATA": str(data), **(extra_env or {})}
    return Lake(parse_warehouse(value, str(data)), env)


@pytest.fixture
def sqlite_lake(tmp_path, monkeypatch) -> Lake:
    """A DuckLake with its catalog in tmp_path/lake/catalog.sqlite (exported as DPL_WAREHOUSE*)."""
    lake = make_lake(f"ducklake:sqlite:{tmp_path / 'lake' / 'catalog.sqlite'}", tmp_path / "lake" / "data")
    for key, value in lake.env.items():
        monkeypatch.setenv(key, value)
    return lake


@pytest.fixture
def postgres_lake(postgres_server, tmp_path, monkeypatch) -> Lake:
    """A DuckLake with its catalog in a fresh database of the test PostgreSQL (password in PGPASSWORD)."""
    name = f"lake_{secrets.token_hex(6)}"
    postgres_server.execute(f'create database "{name}"')
    lake = make_lake(
        f"ducklake:postgres:{postgres_server.conninfo(name)}",
        tmp_path / "lake" / "data",
        {"PGPASSWORD": postgres_server.password},
    )
    for key, value in lake.env.items():
        monkeypatch.setenv(key, value)
    yield lake
    postgres_server.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def s3_lake(s3_server, s3_env, tmp_path, monkeypatch) -> Lake:
    """A DuckLake with its catalog in SQLite and its data on moto's S3 (s3://<fresh bucket>/lake/)."""
    bucket = s3_server.bucket()
    lake = make_lake(f"ducklake:sqlite:{tmp_path / 'lake' / 'catalog.sqlite'}", f"s3://{bucket}/lake")
    for key, value in lake.env.items():
        monkeypatch.setenv(key, value)
    return lake


@pytest.fixture(params=["sqlite", "postgres"])
def lake(request) -> Lake:
    """A DuckLake on each catalog kind in turn."""
    return request.getfixturevalue(f"{request.param}_lake")
