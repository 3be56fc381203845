"""How envelope records become dlt tables: one table per `<source>__<stream>`, nothing flattened or renamed.

Shared by `make load` (bronze → destination) and the adapter that runs our sources in a user's own
`dlt.pipeline` (API → destination), so both produce the same tables:

- the envelope columns, in envelope order, named as in bronze (dlt's `direct` naming convention:
  the default `snake_case` would turn `__id` into `_id` and `jira__issues` into `jira_issues`);
- `payload` and `__parent` as JSON columns (`max_table_nesting=0`: no child tables, no flattening);
- `__id` and `__cursor` as text (ids and cursors are strings or integers in bronze; a merge key needs
  one type); `__ingested_at_utc` as a UTC timestamp (microseconds);
- merged on `__id` (`delete-insert`), keeping the row with the latest `__ingested_at_utc` of a batch.
"""

from __future__ import annotations

import dlt

NAMING = "direct"
COLUMNS = {
    "__source": {"data_type": "text", "nullable": False},
    "__stream": {"data_type": "text", "nullable": False},
    "__ingested_at_utc": {"data_type": "timestamp", "timezone": True, "precision": 6, "dedup_sort": "desc"},
    "__run_id": {"data_type": "text"},
    "__id": {"data_type": "text", "nullable": False},
    "__cursor": {"data_type": "text"},
    "__parent": {"data_type": "json"},
    "payload": {"data_type": "json"},
}
WRITE_DISPOSITION = {"disposition": "merge", "strategy": "delete-insert"}
PRIMARY_KEY = "__id"


def table_name(source: str, stream: str) -> str:
    """`jira__issues`."""
    return f"{source}__{stream}"


def record_table(record: dict) -> str:
    """The table of an envelope record (dlt's `table_name` callable)."""
    return table_name(record["__source"], record["__stream"])


def schema(name: str) -> dlt.Schema:
    """An empty dlt schema that keeps bronze's names (`direct` naming)."""
    return dlt.Schema(name, normalizers={"names": NAMING})


def envelope_resource(data, name: str) -> dlt.sources.DltResource:
    """A dlt resource over envelope records (or lists of them), routed to `<source>__<stream>` tables."""
    return dlt.resource(
        data,
        name=name,
        table_name=record_table,
        primary_key=PRIMARY_KEY,
        write_disposition=WRITE_DISPOSITION,
        columns=COLUMNS,
        max_table_nesting=0,
    )
