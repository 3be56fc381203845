"""`make load`: mirror bronze into any dlt destination with dlt's own `pipeline.run`, incrementally.

Bronze is the source of truth and no API is called. The files to load are the manifest files
(`pipelines/bronze/ledger.py`) not yet in the *loaded set*, which lives in the dlt pipeline's state
in the destination (`_dlt_pipeline_state`, beside the tables): dlt commits it in the same load
package as the rows it lists and only counts a package whose `_dlt_loads` row was written, so the
loaded set never claims rows the destination lacks. The local pipeline folder is dropped at the
start of every run and the state restored from the destination: a fresh machine and a machine that
was killed mid-load behave the same.

Rows are merged on `__id` keeping the latest `__ingested_at_utc` (see tables.py), so re-loading a
file is harmless: a package killed half-way is simply loaded again. Files go in manifest order (the
order they were written), in packages of `load.batch_rows` records.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import dlt
import zstandard
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.destination.exceptions import DestinationException, UnknownDestinationModule
from dlt.common.json import json as dlt_json
from dlt.pipeline.exceptions import PipelineStepFailed

from pipelines import jsonnumbers
from pipelines.bronze.ledger import BronzeFile, manifest_files, open_file
from pipelines.dlt.load import tables
from pipelines.errors import ConfigError, DplError, ErrorClass
from pipelines.secrets import redact
from pipelines.settings import Settings
from pipelines.sources import SOURCE_NAMES

log = logging.getLogger("pipelines.load")
STATE_KEY = "loaded"  # source state: {bronze path: rows}
CHUNK = 5_000  # records per item handed to dlt


@dataclasses.dataclass
class LoadResult:
    """What one `load` did: files and records loaded now, per table, and what was already there."""

    destination: str
    dataset: str
    files: int = 0
    records: int = 0
    packages: int = 0
    already_loaded: int = 0
    tables: Counter = dataclasses.field(default_factory=Counter)  # records loaded now, per table
    totals: dict[str, int] = dataclasses.field(default_factory=dict)  # rows per table in the destination


def load_bronze(
    settings: Settings, destination: str, sources: Iterable[str] | None = None, dataset: str | None = None
) -> LoadResult:
    """Load every manifest file of `sources` not loaded yet into `destination`; return what was loaded."""
    require_exact_json()
    names = list(sources or SOURCE_NAMES)
    unknown = sorted(set(names) - set(SOURCE_NAMES))
    if unknown:
        raise ConfigError(f"unknown source(s) {', '.join(unknown)}: expected some of {', '.join(SOURCE_NAMES)}")
    pipeline = open_pipeline(settings, destination, dataset)
    result = LoadResult(destination, pipeline.dataset_name)
    loaded = loaded_files(pipeline)
    todo = []
    for file in manifest_files(settings.bronze_dir, names):
        if file.stream.startswith("_"):
            continue  # `_rejected`: records without an id, kept in bronze for inspection
        if file.path in loaded:
            result.already_loaded += 1
        else:
            todo.append(file)
    for batch in batches(todo, settings.load.batch_rows):
        counts: Counter = Counter()
        with destination_errors(destination):
            pipeline.run(bronze_source(settings.bronze_dir, batch, settings.load.pipeline_name, counts))
        result.packages += 1
        result.files += len(batch)
        result.records += sum(counts.values())
        result.tables.update(counts)
        log.info("load: %d files, %d records into %s", len(batch), sum(counts.values()), destination)
    with destination_errors(destination):
        result.totals = table_counts(pipeline)
    return result


def require_exact_json() -> None:
    """dlt must serialise with simplejson (set by `pipelines.dlt`): orjson refuses integers beyond 64 bits."""
    if dlt_json._impl_name != "simplejson":
        raise ConfigError(
            "dlt was imported before pipelines.dlt with DLT_USE_JSON unset: payloads with integers beyond 64 bits "
            "cannot be loaded; set DLT_USE_JSON=simplejson in the environment"
        )


def open_pipeline(settings: Settings, destination: str, dataset: str | None):
    """The load pipeline, its local folder reset and its state restored from the destination."""
    register_destination_secrets()
    with destination_errors(destination):
        pipeline = dlt.pipeline(
            pipeline_name=settings.load.pipeline_name,
            destination=destination,
            dataset_name=dataset or settings.load.dataset_name,
        )
        pipeline = pipeline.drop()  # the local state is a cache: the destination's is the truth
        require_delete_insert(pipeline, destination)
        register_credentials(pipeline)
        pipeline.sync_destination()
    return pipeline


def require_delete_insert(pipeline, destination: str) -> None:
    """The merge needs dlt's `delete-insert` strategy (it de-duplicates a package by `dedup_sort`)."""
    strategies = pipeline.destination.capabilities().supported_merge_strategies or []
    if "delete-insert" not in strategies:
        raise ConfigError(
            f"destination {destination} cannot merge with delete-insert "
            f"(it supports: {', '.join(strategies) or 'none'}); use a SQL destination "
            "(duckdb, motherduck, postgres, bigquery, snowflake, databricks, ...)"
        )


def loaded_files(pipeline) -> dict[str, int]:
    """{bronze path: rows} of the files the destination holds, from the restored pipeline state."""
    state = pipeline.state.get("sources", {}).get(pipeline.pipeline_name, {})
    return dict(state.get(STATE_KEY, {}))


def batches(files: list[BronzeFile], max_rows: int) -> Iterator[list[BronzeFile]]:
    """Consecutive groups of files of at most `max_rows` records (a bigger file goes alone)."""
    batch, rows = [], 0
    for file in files:
        if batch and rows + file.rows > max_rows:
            yield batch
            batch, rows = [], 0
        batch.append(file)
        rows += file.rows
    if batch:
        yield batch


def bronze_source(bronze_dir: Path, files: list[BronzeFile], name: str, counts: Counter):
    """A dlt source over some bronze files; each file joins the loaded set once its records are extracted."""

    def records() -> Iterator[list[dict]]:
        loaded = dlt.current.source_state().setdefault(STATE_KEY, {})
        for file in files:
            for chunk in chunks(read_envelopes(bronze_dir, file.path), CHUNK):
                counts[tables.table_name(file.source, file.stream)] += len(chunk)
                yield chunk
            loaded[file.path] = file.rows

    @dlt.source(schema=tables.schema(name), max_table_nesting=0)
    def bronze():
        return tables.envelope_resource(records(), "bronze")

    return bronze()


def read_envelopes(bronze_dir: Path, path: str) -> Iterator[dict]:
    """Every envelope of one bronze file, JSON-equal to the line (integers beyond 64 bits kept exact)."""
    with (
        open_file(bronze_dir, path) as handle,
        zstandard.ZstdDecompressor().stream_reader(handle) as raw,
        io.BufferedReader(raw, 1 << 20) as lines,
    ):
        for line in lines:
            if line.strip():
                yield jsonnumbers.loads(line)


def chunks(items: Iterator[dict], size: int) -> Iterator[list[dict]]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def register_destination_secrets(env=os.environ) -> None:
    """Redact destination credentials given the dlt way in the environment (and their passwords)."""
    for key, value in env.items():
        if key.startswith("DESTINATION__") and ("CREDENTIALS" in key or "PASSWORD" in key) and value:
            redact.add(value)
            with contextlib.suppress(ValueError):
                redact.add(urlsplit(value).password)


def register_credentials(pipeline) -> None:
    """Redact the resolved credentials, wherever dlt found them (.dlt/secrets.toml included)."""
    with contextlib.suppress(Exception):
        credentials = pipeline.destination_client().config.credentials
        redact.add(getattr(credentials, "password", None))
        redact.add(str(credentials.to_native_representation()))


@contextlib.contextmanager
def destination_errors(destination: str):
    """dlt's exceptions as one-line DplErrors (credentials never shown)."""
    try:
        yield
    except DplError:
        raise
    except Exception as exc:
        raise destination_error(exc, destination) from None


def destination_error(exc: Exception, destination: str) -> DplError:
    root = exc
    while isinstance(root, PipelineStepFailed) and root.exception is not None:
        root = root.exception
    name = destination.split(".")[-1].upper()
    if isinstance(root, ConfigFieldMissingException):
        return ConfigError(
            f"destination {destination}: {', '.join(root.fields)} missing: set DESTINATION__{name}__CREDENTIALS "
            f"or [destination.{destination}] credentials in .dlt/secrets.toml (dlt's conventions)"
        )
    if isinstance(root, UnknownDestinationModule):
        return ConfigError(f"destination {destination!r} is not a dlt destination (e.g. duckdb, postgres, bigquery)")
    first = redact(str(root)).strip().splitlines()[0] if str(root).strip() else type(root).__name__
    kind = "cannot load" if isinstance(root, DestinationException) else "failed"
    return DplError(
        ErrorClass.STORAGE,
        f"destination {destination}: {kind}: {type(root).__name__}: {first}",
        advice="check the destination is reachable and the credentials can create tables; the next run resumes",
    )


def table_counts(pipeline) -> dict[str, int]:
    """Rows per `<source>__<stream>` table in the destination ({} when it has no SQL client)."""
    try:
        client_context = pipeline.sql_client()
    except Exception:  # e.g. a filesystem destination without a table format: nothing to count with SQL
        return {}
    counts = {}
    with client_context as client:
        for table in sorted(pipeline.default_schema.data_table_names()):
            if "__" in table:
                with client.execute_query(f"select count(*) from {client.make_qualified_table_name(table)}") as cur:
                    counts[table] = int(cur.fetchone()[0])
    return counts
