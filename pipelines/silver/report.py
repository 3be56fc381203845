"""Printable reports: bronze stats from the ledgers, the anomaly summary, and `make shell` views."""

from __future__ import annotations

import duckdb

from pipelines import display
from pipelines.bronze.ledger import LEDGERS, ledger_uris, manifest_files
from pipelines.bronze.storage import BronzeRoot
from pipelines.cursor_values import describe_cursor
from pipelines.display import human_bytes
from pipelines.drift import format_summary
from pipelines.silver.bronze import ledger_sql, quote, read_json_sql
from pipelines.silver.duckdb_io import bronze_connection
from pipelines.silver.warehouse import connect, relations
from pipelines.sources import SOURCE_NAMES

SAMPLE_ROWS = 5


def stats(settings, source: str | None = None, stream: str | None = None) -> str:
    """Bronze files/rows/bytes per day (manifests), last run, cursors and "data as of" per stream."""
    sources = [name for name in SOURCE_NAMES if source in (None, name)]
    present = [name for name in sources if ledger_uris(settings.bronze_dir, name, "manifest")]
    if not present:
        return f"no bronze yet under {settings.bronze_dir} (run `make sync-<source>` first)"
    con = bronze_connection(settings.bronze_dir)
    con.execute("set TimeZone = 'UTC'")
    where = f"where stream = {quote(stream)}" if stream else ""
    union = " union all ".join(f"({ledger_sql(settings.bronze_dir, name, 'manifest')})" for name in present)
    manifest = f"(select * from ({union}) {where})"
    lines = ["Bronze files per day (from the manifests)"]
    lines += table(
        con,
        f"""select source, stream, strftime(written_at, '%Y-%m-%d') as day, count(*) as files,
                   sum(rows) as rows, sum(bytes) as bytes, sum(utf8_errors) as utf8_errors
            from {manifest} group by all order by source, stream, day""",
        humanize=("bytes",),
    )
    lines += ["", "Freshness (data as of = newest record cursor; written = last file published)"]
    lines += table(
        con,
        f"""select source, stream,
                   coalesce(max(try_cast(max_cursor as bigint))::varchar, max(max_cursor)) as data_as_of,
                   max(written_at) as written,
                   sum(rows) as total_rows
            from {manifest} group by all order by source, stream""",
    )
    for name in sources:
        lines += source_ledgers(con, settings.bronze_dir, name, stream)
        drift = format_summary(settings.bronze_dir, name, stream)
        if drift:
            lines += ["", drift]
    return "\n".join(lines)


def source_ledgers(con: duckdb.DuckDBPyConnection, bronze_dir: BronzeRoot, source: str, stream: str | None):
    """The last run and the cursors of one source, as lines."""
    lines: list[str] = []
    if ledger_uris(bronze_dir, source, "runs"):
        lines += ["", f"Last run of {source} (runs.parquet)"]
        lines += table(
            con,
            f"""select run_id, mode, status, started_at, ended_at, error_class
                from ({ledger_sql(bronze_dir, source, "runs")}) order by started_at desc limit 1""",
        )
    if ledger_uris(bronze_dir, source, "cursors"):
        where = f"where stream = {quote(stream)}" if stream else ""
        lines += ["", f"Cursors of {source} (cursors.parquet)"]
        lines += table(
            con,
            f"""select stream, scope, cursor_field, cursor_value, run_id, updated_at
                from ({ledger_sql(bronze_dir, source, "cursors")}) {where} order by stream, scope""",
        )
    return lines


def anomaly_summary(settings) -> str:
    """Anomaly counts by type and severity, then the first rows of each type."""
    with connect(settings.warehouse, read_only=True) as con:
        if "anomalies" not in relations(con):
            return "no anomalies view yet: run `make silver` first"
        counts = con.execute(
            "select anomaly_type, severity, count(*) from anomalies group by all order by anomaly_type"
        ).fetchall()
        if not counts:
            return "no anomalies found"
        lines = ["Anomalies by type"]
        lines += table(
            con,
            "select anomaly_type, severity, count(*) as findings from anomalies group by anomaly_type, severity "
            "order by case severity when 'error' then 0 when 'warning' then 1 else 2 end, anomaly_type",
        )
        for anomaly_type, severity, count in counts:
            lines += ["", f"{anomaly_type} ({severity}, {count}): first {min(count, SAMPLE_ROWS)}"]
            rows = con.execute(
                "select entity_key, detail from anomalies where anomaly_type = ? order by entity_key limit ?",
                [anomaly_type, SAMPLE_ROWS],
            ).fetchall()
            lines += [f"  {key}: {detail}" for key, detail in rows]
    return "\n".join(lines)


def shell_init_sql(settings) -> str:
    """SQL creating read-only temp views `bronze_<source>_<stream>` over each stream's manifest files.

    Run it on a connection prepared by `duckdb_io.enable_bronze` when the root is on object storage.
    """
    by_stream: dict[tuple[str, str], list[str]] = {}
    for item in manifest_files(settings.bronze_dir):
        by_stream.setdefault((item.source, item.stream), []).append(item.path)
    statements = ["-- bronze views: only the files listed in the manifests; payload is the raw API record (JSON)"]
    for (source, stream), paths in sorted(by_stream.items()):
        statements.append(
            f"create or replace temp view bronze_{source}_{stream} as {read_json_sql(settings.bronze_dir, paths)};"
        )
    for source in SOURCE_NAMES:
        for kind in LEDGERS:
            if ledger_uris(settings.bronze_dir, source, kind):
                sql = ledger_sql(settings.bronze_dir, source, kind)
                statements.append(f"create or replace temp view bronze_{source}_{kind} as {sql};")
    return "\n".join(statements) + "\n"


def table(con: duckdb.DuckDBPyConnection, sql: str, humanize: tuple[str, ...] = ()) -> list[str]:
    """A query's result as aligned text lines (header, rule, rows); `(none)` when empty.

    Columns named in `humanize` are byte sizes; a `cursor_value` is shown as a person reads it.
    """
    result = con.execute(sql)
    names = [d[0] for d in result.description]
    rows = [dict(zip(names, row, strict=True)) for row in result.fetchall()]
    for row in rows:
        for name in humanize:
            row[name] = human_bytes(row[name]) if row[name] is not None else None
        if "cursor_value" in row:
            row["cursor_value"] = describe_cursor(row.get("cursor_field"), row["cursor_value"])
    return display.table(rows, names, indent="  ").splitlines()
