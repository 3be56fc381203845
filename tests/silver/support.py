"""Shared helpers of the silver tests: settings on tmp paths, queries and table checksums."""

from __future__ import annotations

from pathlib import Path

from pipelines.settings import Settings, jira_silver_settings
from pipelines.silver.warehouse import connect, relations, table_checksum

INTERNAL = ("_silver_files", "_silver_state")


def settings_for(tmp_path: Path, jira_silver: dict | None = None, warehouse: str = "w.duckdb") -> Settings:
    """Settings pointing at `tmp_path/bronze` and a warehouse file in `tmp_path`."""
    return Settings(
        config_dir=tmp_path,
        bronze_dir=tmp_path / "bronze",
        warehouse=tmp_path / warehouse,
        jira_silver=jira_silver_settings(jira_silver),
    )


def query(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    """Rows of a query on the warehouse (read-only; a DuckDB file or a DuckLake)."""
    with connect(settings.warehouse, read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def checksums(settings: Settings, views: bool = True) -> dict[str, tuple[int, int]]:
    """(rows, content hash) of every silver table and view (read in one transaction: one snapshot).

    `views=False`: tables only (views are functions of the tables, and costly to read on a DuckLake)."""
    with connect(settings.warehouse, read_only=True) as con:
        con.execute("begin transaction")
        kinds = ("BASE TABLE", "VIEW") if views else ("BASE TABLE",)
        names = sorted(name for name, kind in relations(con).items() if name not in INTERNAL and kind in kinds)
        return {name: table_checksum(con, name) for name in names}
