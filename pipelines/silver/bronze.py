"""What silver may read from bronze: the files listed in the manifests, and the ledgers.

A relation `bronze_<source>_<stream>` is a `read_json` over a list of manifest files (or an empty
relation with the same columns when the list is empty: a glob or list matching no file is an
error in DuckDB). `bronze_<source>_cursors` / `_runs` / `_manifest` read that source's ledger.
Ledger schemas, paths and readers belong to `pipelines/bronze/ledger.py`; file names come from the
root (`BronzeRoot.uri`: a local path or an s3:// URL, which `duckdb_io.enable_bronze` makes readable).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import re
from pathlib import Path

import pyarrow as pa
import yaml

from pipelines.bronze.ledger import LEDGERS, SCHEMAS, ledger_uris
from pipelines.bronze.storage import BronzeRoot, as_root
from pipelines.errors import DplError, ErrorClass
from pipelines.sources import SOURCE_NAMES

ENVELOPE_COLUMNS = {
    "__source": "VARCHAR",
    "__stream": "VARCHAR",
    "__ingested_at_utc": "TIMESTAMPTZ",
    "__run_id": "VARCHAR",
    "__id": "JSON",
    "__cursor": "JSON",
    "__parent": "JSON",
    "payload": "JSON",
}
MAX_OBJECT_BYTES = 256 * 1024 * 1024
SHAPES_FILE = Path(__file__).resolve().parents[2] / "sql" / "payload_shapes.yml"
ARROW_TO_DUCKDB = {"string": "VARCHAR", "int32": "INTEGER", "int64": "BIGINT", "double": "DOUBLE"}


def split_relation(name: str) -> tuple[str, str]:
    """`bronze_jira_issue_changelogs` -> ("jira", "issue_changelogs")."""
    rest = name.removeprefix("bronze_")
    for source in SOURCE_NAMES:
        if rest.startswith(source + "_"):
            return source, rest[len(source) + 1 :]
    raise DplError(ErrorClass.CONFIG, f"{name}: not a bronze relation (expected bronze_<source>_<stream>)")


def ledger_columns(kind: str) -> dict[str, str]:
    """{column: DuckDB type} of a ledger, from its schema in `pipelines/bronze/ledger.py`."""
    columns = {}
    for field in SCHEMAS[kind]:
        if pa.types.is_timestamp(field.type):
            columns[field.name] = "TIMESTAMPTZ" if field.type.tz else "TIMESTAMP"
        else:
            columns[field.name] = ARROW_TO_DUCKDB[str(field.type)]
    return columns


def file_digest(path: Path) -> str:
    """A short content hash of a file, or "-" when absent."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else "-"


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def load_shapes(path: Path = SHAPES_FILE) -> dict[str, object]:
    """{`<source>_<stream>`: payload shape} from sql/payload_shapes.yml (a copy: callers may change it)."""
    try:
        return copy.deepcopy(_parse_shapes(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as exc:
        raise DplError(ErrorClass.CONFIG, f"{path}: unreadable payload shapes ({exc})") from None


@functools.lru_cache(maxsize=4)
def _parse_shapes(text: str) -> dict[str, object]:
    """The parsed shapes, once per text (parsing costs a build ~0.1 s)."""
    return yaml.safe_load(text) or {}


def shape_type(shape: object) -> str:
    """A DuckDB type from a shape: mapping -> STRUCT, one-item list -> LIST, string -> that type."""
    if isinstance(shape, dict):
        fields = ", ".join(f'"{name}" {shape_type(value)}' for name, value in shape.items())
        return f"struct({fields})"
    if isinstance(shape, list) and len(shape) == 1:
        return f"{shape_type(shape[0])}[]"
    if isinstance(shape, str) and re.fullmatch(r"[a-z]+", shape):
        return shape
    raise DplError(ErrorClass.CONFIG, f"{SHAPES_FILE.name}: cannot read {shape!r} as a type")


def empty_relation(columns: dict[str, str]) -> str:
    """A SELECT returning no rows with the given columns."""
    cols = ", ".join(f"null::{kind} as {name}" for name, kind in columns.items())
    return f"select {cols} where false"


def read_json_sql(bronze_dir: BronzeRoot, paths: list[str], payload_type: str = "JSON") -> str:
    """A SELECT over the given bronze files (relative paths) with the envelope columns typed."""
    types = {**ENVELOPE_COLUMNS, "payload": payload_type}
    if not paths:
        return empty_relation(types)
    root = as_root(bronze_dir)
    listing = ", ".join(quote(root.uri(p)) for p in paths)
    columns = ", ".join(f"{quote(name)}: {quote(kind)}" for name, kind in types.items())
    return (
        f"select * from read_json([{listing}], format='newline_delimited', columns={{{columns}}}, "
        f"maximum_object_size={MAX_OBJECT_BYTES})"
    )


def ledger_sql(bronze_dir: BronzeRoot, source: str, kind: str) -> str:
    """A SELECT over a source's cursors/runs/manifest ledger, or an empty typed relation before it exists.

    The manifest is the union of its segments, one row per path (a compaction in progress may list one twice).
    """
    uris = ledger_uris(bronze_dir, source, kind)
    if not uris:
        return empty_relation(ledger_columns(kind))
    files = ", ".join(quote(uri) for uri in uris)
    if kind == "manifest":
        return f"select distinct on (path) * from read_parquet([{files}])"
    return f"select * from read_parquet([{files}])"


def relation_sql(bronze_dir: BronzeRoot, name: str, paths: list[str], payload_type: str = "JSON") -> str:
    """The SELECT bound to bronze relation `name`: a state parquet, or the given stream files."""
    source, stream = split_relation(name)
    if stream in LEDGERS:
        return ledger_sql(bronze_dir, source, stream)
    return read_json_sql(bronze_dir, paths, payload_type)
