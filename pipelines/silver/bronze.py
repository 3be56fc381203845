"""What silver may read from bronze: the files listed in the manifests, cursors and runs.

A relation `bronze_<source>_<stream>` is a `read_json` over a list of manifest files (or an empty
relation with the same columns when the list is empty: a glob or list matching no file is an
error in DuckDB). `bronze_<source>_cursors` / `_runs` / `_manifest` read that source's parquet files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from pipelines.dlt.resources import SOURCE_NAMES
from pipelines.errors import DplError, ErrorClass

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
STATE_FILES = {
    "cursors": {
        "stream": "VARCHAR",
        "scope": "VARCHAR",
        "cursor_field": "VARCHAR",
        "cursor_value": "VARCHAR",
        "run_id": "VARCHAR",
        "updated_at": "TIMESTAMP",
    },
    "manifest": {
        "path": "VARCHAR",
        "source": "VARCHAR",
        "stream": "VARCHAR",
        "run_id": "VARCHAR",
        "part": "BIGINT",
        "rows": "BIGINT",
        "bytes": "BIGINT",
        "sha256": "VARCHAR",
        "min_cursor": "VARCHAR",
        "max_cursor": "VARCHAR",
        "utf8_errors": "BIGINT",
        "written_at": "TIMESTAMP",
    },
    "runs": {"run_id": "VARCHAR", "source": "VARCHAR", "mode": "VARCHAR", "status": "VARCHAR"},
}
MAX_OBJECT_BYTES = 256 * 1024 * 1024
SHAPES_FILE = Path(__file__).resolve().parents[2] / "sql" / "payload_shapes.yml"


@dataclasses.dataclass(frozen=True)
class BronzeFile:
    """One published bronze file, as its manifest row describes it."""

    path: str  # relative to the bronze root
    source: str
    stream: str
    run_id: str
    rows: int
    bytes: int
    sha256: str
    written_at: str


def split_relation(name: str) -> tuple[str, str]:
    """`bronze_jira_issue_changelogs` -> ("jira", "issue_changelogs")."""
    rest = name.removeprefix("bronze_")
    for source in SOURCE_NAMES:
        if rest.startswith(source + "_"):
            return source, rest[len(source) + 1 :]
    raise DplError(ErrorClass.CONFIG, f"{name}: not a bronze relation (expected bronze_<source>_<stream>)")


def manifest_files(bronze_dir: Path) -> list[BronzeFile]:
    """Every file listed in `<bronze_dir>/<source>/manifest.parquet`, in manifest order."""
    files: list[BronzeFile] = []
    for source in SOURCE_NAMES:
        path = bronze_dir / source / "manifest.parquet"
        if not path.exists():
            continue
        try:
            table = pq.read_table(path)
        except (OSError, ValueError) as exc:
            raise DplError(ErrorClass.STORAGE, f"{path}: unreadable manifest ({exc})") from None
        for row in table.to_pylist():
            files.append(
                BronzeFile(
                    path=str(row["path"]),
                    source=str(row.get("source") or source),
                    stream=str(row["stream"]),
                    run_id=str(row["run_id"]),
                    rows=int(row.get("rows") or 0),
                    bytes=int(row.get("bytes") or 0),
                    sha256=str(row.get("sha256") or ""),
                    written_at=str(row.get("written_at") or ""),
                )
            )
    return files


def state_path(bronze_dir: Path, source: str, kind: str) -> Path:
    """`<bronze_dir>/<source>/<kind>.parquet` (kind: cursors, runs, manifest)."""
    return bronze_dir / source / f"{kind}.parquet"


def read_cursor_rows(bronze_dir: Path, source: str) -> list[dict]:
    """The rows of a source's cursors.parquet (empty when absent)."""
    path = state_path(bronze_dir, source, "cursors")
    return pq.read_table(path).to_pylist() if path.exists() else []


def file_digest(path: Path) -> str:
    """A short content hash of a file, or "-" when absent."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else "-"


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def load_shapes(path: Path = SHAPES_FILE) -> dict[str, object]:
    """{`<source>_<stream>`: payload shape} from sql/payload_shapes.yml."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise DplError(ErrorClass.CONFIG, f"{path}: unreadable payload shapes ({exc})") from None


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


def read_json_sql(bronze_dir: Path, paths: list[str], payload_type: str = "JSON") -> str:
    """A SELECT over the given bronze files (relative paths) with the envelope columns typed."""
    types = {**ENVELOPE_COLUMNS, "payload": payload_type}
    if not paths:
        return empty_relation(types)
    listing = ", ".join(quote(str((bronze_dir / p).resolve())) for p in paths)
    columns = ", ".join(f"{quote(name)}: {quote(kind)}" for name, kind in types.items())
    return (
        f"select * from read_json([{listing}], format='newline_delimited', columns={{{columns}}}, "
        f"maximum_object_size={MAX_OBJECT_BYTES})"
    )


def state_sql(bronze_dir: Path, source: str, kind: str) -> str:
    """A SELECT over a source's cursors/runs/manifest parquet, or an empty typed relation."""
    path = state_path(bronze_dir, source, kind)
    if not path.exists():
        return empty_relation(STATE_FILES[kind])
    return f"select * from read_parquet({quote(str(path.resolve()))})"


def relation_sql(bronze_dir: Path, name: str, paths: list[str], payload_type: str = "JSON") -> str:
    """The SELECT bound to bronze relation `name`: a state parquet, or the given stream files."""
    source, stream = split_relation(name)
    if stream in STATE_FILES:
        return state_sql(bronze_dir, source, stream)
    return read_json_sql(bronze_dir, paths, payload_type)
