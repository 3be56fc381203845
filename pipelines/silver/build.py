"""Build silver: run the SQL models over the bronze files the manifests list, merging only new files.

State lives in the warehouse: `_silver_files` (the manifest files already merged) and
`_silver_state` (model checksums, the resolved custom-field mapping, input signatures of
`table` models, the bronze root it was built from). A build from another root, or one whose manifests
no longer list files the warehouse was built from, is refused unless full (`check_same_bronze`).
A change of any model's SQL or of the mapping turns the build into a full rebuild, so that an
incremental build always equals a full one.
"""

from __future__ import annotations

import hashlib
import logging
import time

import duckdb
import pyarrow as pa

from pipelines.bronze.ledger import BronzeFile, ledger_signature, manifest_files, read_ledger
from pipelines.bronze.storage import BronzeRoot
from pipelines.errors import DplError, ErrorClass
from pipelines.silver import corrections, delivery, fingerprint, jira
from pipelines.silver.bronze import SHAPES_FILE, file_digest, load_shapes, relation_sql, shape_type, split_relation
from pipelines.silver.comments import apply_comments
from pipelines.silver.duckdb_io import enable_bronze
from pipelines.silver.models import RETIRED_MODELS, Model, load_models
from pipelines.silver.warehouse import connect, drop_relations, is_lake, relations, transaction

log = logging.getLogger("pipelines.silver")
STATE_DDL = """
create table if not exists _silver_files (
    path varchar, source varchar, stream varchar, run_id varchar, rows bigint, sha256 varchar, merged_at timestamptz
);
create table if not exists _silver_state (key varchar, value varchar);
"""
STORED = ("merge", "table")
MERGE_BATCH = "_merge_batch"  # the temporary table holding a merge model's de-duplicated batch
DICTIONARY_KEY = "dictionary"  # _silver_state key: the digest of the comments the last build applied
ROOT_KEY = "bronze_root"  # _silver_state: the bronze root the warehouse was built from


def build_silver(settings, full: bool = False) -> dict:
    """Merge new bronze files into the silver tables (all files when `full`); {table: {rows, changed}}."""
    files = manifest_files(settings.bronze_dir)
    digest = fingerprint.inputs(settings, files)
    started = time.monotonic()
    with connect(settings.warehouse) as con, transaction(con, settings.warehouse) as commit:
        if not full and (unchanged := fingerprint.last_summary(con, digest)) is not None:
            log.info("silver: nothing new since the last build (%.2f s)", time.monotonic() - started)
            return unchanged
        models = load_models()
        config = settings.jira_silver
        enable_bronze(con, settings.bronze_dir)
        con.execute("set preserve_insertion_order = false")
        con.execute(STATE_DDL)
        mapping = jira.resolve_custom_fields(config, jira.latest_fields(con, settings.bronze_dir, files))
        jira.define_custom_field_macros(con, mapping)
        state = dict(con.execute("select key, value from _silver_state").fetchall())
        if not full:
            check_same_bronze(con, state, settings.bronze_dir, files)
        wanted = desired_state(models, mapping)
        natural = rebuild_reason(con, models, state, wanted)
        reason = "requested" if full and natural is None else natural
        merged = set() if reason else {row[0] for row in con.execute("select path from _silver_files").fetchall()}
        batch = [f for f in files if f.path not in merged]
        check_present(settings.bronze_dir, batch)
        shapes = jira.with_custom_fields(load_shapes(), mapping)
        run = Run(con, settings.bronze_dir, models, files, batch, reason, state, shapes)
        mode = f"full ({reason})" if reason else "incremental"
        commit.message = f"silver {mode} build: {len(batch)} new bronze file(s)"
        jira.write_config_tables(con, config)
        corrections.write_config_tables(con, settings.corrections, mapping)
        delivery.write_config_tables(con, settings.delivery, settings.identity)
        for name in drop_relations(con, RETIRED_MODELS):
            log.info("silver: dropped %s (renamed %s)", name, RETIRED_MODELS[name])
        changed = changed_kind(con, models)
        for name in drop_relations(con, changed):
            log.info("silver: dropped %s (%s now)", name, changed[name])
        summary = {m.name: result for m in models if (result := run.model(m)) is not None}
        corrections.log_applications(con, settings.corrections)  # after the models: the corrections' outcomes are views
        custom = jira.custom_descriptions(mapping)
        described = fingerprint.dictionary(custom)
        if run.recreated or state.get(DICTIONARY_KEY) != described:  # merged tables keep their comments
            apply_comments(con, models, custom)
        done = {DICTIONARY_KEY: described, **fingerprint.summary_state(summary, digest)}
        record(
            con,
            batch,
            reason is not None,
            wanted | run.signatures | done | {ROOT_KEY: root_identity(settings.bronze_dir)},
        )
    log.info("silver: %s build of %d new file(s) in %.1f s", mode, len(batch), time.monotonic() - started)
    return summary


def root_identity(bronze_dir: BronzeRoot) -> str:
    """The bronze root as the warehouse records it: an absolute folder, or the object-store URL."""
    return str(bronze_dir.local.resolve()) if bronze_dir.is_local else bronze_dir.url


def check_same_bronze(con: duckdb.DuckDBPyConnection, state: dict, bronze_dir: BronzeRoot, files: list) -> None:
    """Refuse a build from another bronze root than the warehouse's (`_silver_state` bronze_root), or one
    whose manifests no longer list files it was built from (`_silver_files`): a wrong DPL_BRONZE_DIR or an
    object-store listing emptied by missing credentials would otherwise rebuild every table from nothing.
    A full build (FULL=1, --full) is the way to rebuild from another root on purpose."""
    here = root_identity(bronze_dir)
    built_from = state.get(ROOT_KEY)
    merged = [row[0] for row in con.execute("select path from _silver_files order by path").fetchall()]
    if built_from is not None and built_from != here:
        raise DplError(
            ErrorClass.CONFIG,
            f"the warehouse was built from bronze root {built_from} ({len(merged)} files), not {here}: nothing built",
            advice=f"set DPL_BRONZE_DIR={built_from}, or rebuild it from {here} on purpose with FULL=1 (--full)",
        )
    listed = {f.path for f in files}
    gone = [path for path in merged if path not in listed]
    if gone:
        raise DplError(
            ErrorClass.CONFIG,
            f"{len(gone)} of the {len(merged)} bronze files the warehouse was built from are not listed by the "
            f"manifests under {here} (e.g. {gone[0]}): a build would drop their rows; nothing built",
            advice="check DPL_BRONZE_DIR and the object store's credentials (an empty listing looks like this), or "
            "rebuild from what is listed on purpose with FULL=1 (--full)",
        )


def desired_state(models: list[Model], mapping: dict) -> dict[str, str]:
    """What the stored tables were built with; any difference from the last build forces a full one."""
    wanted = {f"model:{m.name}": m.checksum for m in models if m.materialized != "view"}
    wanted["jira_custom_fields"] = jira.mapping_state(mapping)
    wanted["payload_shapes"] = file_digest(SHAPES_FILE)
    return wanted


def changed_kind(con: duckdb.DuckDBPyConnection, models: list[Model]) -> dict[str, str]:
    """{name: "a view" | "a table"} of models stored as a table that are views now, or the other way round."""
    existing = relations(con)
    wanted = {m.name: "VIEW" if m.materialized == "view" else "BASE TABLE" for m in models if m.materialized != "batch"}
    return {
        name: "a view" if kind == "VIEW" else "a table"
        for name, kind in wanted.items()
        if existing.get(name, kind) != kind
    }


def check_present(bronze_dir: BronzeRoot, batch: list[BronzeFile]) -> None:
    """Every manifest file to merge must exist (a missing one is a storage problem, not bad SQL)."""
    missing = bronze_dir.missing([f.path for f in batch])
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise DplError(
            ErrorClass.STORAGE,
            f"bronze file listed in the manifest is missing: {missing[0]}{more}",
            advice="restore it from backup, or run `make verify` to see what the manifests and the disk disagree on",
        )


def rebuild_reason(con: duckdb.DuckDBPyConnection, models: list[Model], state: dict, wanted: dict) -> str | None:
    """Why this build must be full (first build, changed model or mapping, missing table), or None."""
    if not state:
        return "first build"
    for key, value in wanted.items():
        if state.get(key) != value:
            return f"{key} changed"
    existing = relations(con)
    for model in models:
        if model.materialized in STORED and existing.get(model.name) != "BASE TABLE":
            return f"{model.name} missing"
    return None


def record(con: duckdb.DuckDBPyConnection, batch: list[BronzeFile], full: bool, state: dict) -> None:
    """Remember the merged files and the state values of this build."""
    if full:
        con.execute("delete from _silver_files")
    if batch:
        arrow = pa.table(
            {
                "path": [f.path for f in batch],
                "source": [f.source for f in batch],
                "stream": [f.stream for f in batch],
                "run_id": [f.run_id for f in batch],
                "rows": pa.array([f.rows for f in batch], pa.int64()),
                "sha256": [f.sha256 for f in batch],
            }
        )
        con.register("_silver_batch_files", arrow)
        con.execute("insert into _silver_files select *, now() from _silver_batch_files")
        con.unregister("_silver_batch_files")
    con.execute("delete from _silver_state")
    con.executemany("insert into _silver_state values (?, ?)", sorted(state.items()))


class Run:
    """One build: binds bronze relations to files and materializes each model."""

    def __init__(self, con, bronze_dir: BronzeRoot, models: list[Model], files, batch, reason, state, shapes):
        """`reason`: why the build is full (None: incremental; "requested": full, though no model changed)."""
        full = reason is not None
        self.con = con
        self.bronze_dir = bronze_dir
        self.models = {model.name: model for model in models}
        self.files = files
        self.batch = files if full else batch
        self.full = full
        self.state = state
        self.signatures: dict[str, str] = {}
        self.new_streams = {(f.source, f.stream) for f in self.batch}
        self.shapes = shapes
        self.views_current = reason in (None, "requested") and self.views_unchanged()
        self.recreated = full  # has the build (re-)created a relation? (which drops its comments)
        self.lake = is_lake(con)  # merges as MERGE INTO there (merge_sql)

    def model(self, model: Model) -> dict | None:
        """Materialize one model; the summary entry of a stored table, None otherwise."""
        started = time.monotonic()
        try:
            if model.materialized == "view":
                self.signatures[f"view:{model.name}"] = model.checksum
                if not self.views_current:
                    self.recreated = True
                    self.con.execute(f"create or replace view {model.name} as\n{model.sql}\n")
                result = None
            elif model.materialized == "batch":
                self.bind(model)
                self.con.execute(f"create or replace temp table {model.name} as\n{model.sql}\n")
                result = None
            else:
                result = self.table(model) if model.materialized == "table" else self.merge(model)
        except duckdb.Error as exc:
            data = isinstance(exc, duckdb.ConversionException | duckdb.InvalidInputException)
            error_class = ErrorClass.BAD_PAYLOAD if data else ErrorClass.INTERNAL
            first = str(exc).splitlines()[0]
            raise DplError(error_class, f"sql/{model.layer}/{model.path.name}: {first}", transient=False) from None
        log.debug("silver: %s %s in %.2f s", model.materialized, model.name, time.monotonic() - started)
        return result

    def views_unchanged(self) -> bool:
        """Does every view exist as built from its current SQL? (Then this build leaves the views be: a
        DuckLake keeps every version of a re-created view in its catalog.)"""
        existing = relations(self.con)
        views = [m for m in self.models.values() if m.materialized == "view"]
        return all(existing.get(m.name) == "VIEW" and self.state.get(f"view:{m.name}") == m.checksum for m in views)

    def merge(self, model: Model) -> dict:
        """CTAS (full) or MERGE (incremental) of the model's de-duplicated batch."""
        if not self.full and not self.inputs(model) & self.new_streams:
            return {"rows": self.count(model.name), "changed": 0}
        self.bind(model)
        if self.full:
            return self.rebuild(model)
        unique = self.keys_unique(model, f"(\n{model.sql}\n) as model")
        self.con.execute(f"create or replace temp table {MERGE_BATCH} as\n{dedup_sql(model, model.sql, unique)}\n")
        changed = 0
        for statement in merge_sql(model, MERGE_BATCH, self.lake):
            changed = self.con.execute(statement).fetchone()[0]
        self.con.execute(f"drop table {MERGE_BATCH}")
        return {"rows": self.count(model.name), "changed": int(changed)}

    def rebuild(self, model: Model) -> dict:
        """The table from all of the model's rows; de-duplicated afterwards, and only when a key repeats.

        Storing first and checking the stored key columns reads the model once when no key repeats (checking
        first would run it twice, always)."""
        self.con.execute(f"create or replace table {model.name} as\n{dedup_sql(model, model.sql, unique=True)}\n")
        if not self.keys_unique(model, model.name):
            # from the model again, not from the table: a DuckLake cannot read a table it replaces in a transaction
            self.con.execute(f"create or replace table {model.name} as\n{dedup_sql(model, model.sql)}\n")
        rows = self.count(model.name)
        return {"rows": rows, "changed": rows}

    def keys_unique(self, model: Model, relation: str) -> bool:
        """Does `relation` hold each key of the model once? (Then the de-duplication window can be skipped.)"""
        keys = ", ".join(model.unique_key)
        present = " and ".join(f"{key} is not null" for key in model.unique_key)
        sql = f"select count(*) = count(distinct ({keys})) from {relation} where {present}"
        return bool(self.con.execute(sql).fetchone()[0])

    def table(self, model: Model) -> dict:
        """Rebuild the table when the set of its input files (or the cursors) changed."""
        signature = self.bind(model)
        self.signatures[f"inputs:{model.name}"] = signature
        if not self.full and self.state.get(f"inputs:{model.name}") == signature:
            return {"rows": self.count(model.name), "changed": 0}
        self.con.execute(f"create or replace table {model.name} as\n{model.sql}\n")
        self.recreated = True
        rows = self.count(model.name)
        return {"rows": rows, "changed": rows}

    def inputs(self, model: Model) -> set[tuple[str, str]]:
        """(source, stream) pairs the model reads, directly or through batch models."""
        found = {split_relation(name) for name in model.bronze}
        for name in model.depends_on:
            if self.models[name].materialized == "batch":
                found |= self.inputs(self.models[name])
        return found

    def bind(self, model: Model) -> str:
        """Create the temp views `bronze_*` the model reads; returns a signature of their inputs."""
        digest = hashlib.sha256()
        for name in model.bronze:
            source, stream = split_relation(name)
            paths = self.paths(model, source, stream)
            digest.update(f"{name}:{'|'.join(paths)}".encode())
            if stream in ("cursors", "runs", "manifest"):
                digest.update(ledger_signature(self.bronze_dir, source, stream).encode())
            shape = self.shapes.get(f"{source}_{stream}")
            sql = relation_sql(self.bronze_dir, name, paths, shape_type(shape) if shape else "JSON")
            self.con.execute(f"create or replace temp view {name} as {sql}")
        return digest.hexdigest()[:16]

    def paths(self, model: Model, source: str, stream: str) -> list[str]:
        """The files of one stream the model reads in this build (`files=cursor_runs` applied)."""
        pool = self.files if model.materialized == "table" else self.batch
        chosen = [f for f in pool if f.source == source and f.stream == stream]
        if model.files == "cursor_runs":
            runs = {row["run_id"] for row in read_ledger(self.bronze_dir, source, "cursors") if row["stream"] == stream}
            chosen = [f for f in chosen if f.run_id in runs]
        return [f.path for f in chosen]

    def count(self, name: str) -> int:
        """Rows of a table."""
        return int(self.con.execute(f"select count(*) from {name}").fetchone()[0])


def dedup_sql(model: Model, rows: str, unique: bool = False) -> str:
    """The rows of query `rows` (the model's), one per unique key: the latest by the version columns (NULL oldest).

    `unique`: the caller checked that no key repeats, so rows only lose NULL keys.
    """
    keys = ", ".join(model.unique_key)
    present = " and ".join(f"{key} is not null" for key in model.unique_key)
    order = ", ".join(f"{column} desc nulls last" for column in model.version)
    select = f"select * from (\n{rows}\n) as model where {present}"
    if unique:
        return select
    return f"{select}\nqualify row_number() over (partition by {keys} order by {order}) = 1"


def merge_sql(model: Model, batch: str, lake: bool = False) -> tuple[str, ...]:
    """Merge the de-duplicated `batch` table: delete the rows it has newer versions of, insert its rows whose key
    is then absent (new keys and newer versions; the count is the rows changed).

    Not MERGE ... UPDATE SET * in a DuckDB file: updating every column of rows spread over the whole table
    costs DuckDB ~20x more than deleting them and appending the new versions (measured: 1k rows into 1M).
    On a DuckLake the opposite holds (an update there is a delete file plus an append already, and the
    delete + anti-join pair scans the table's Parquet twice): one MERGE, same rule."""
    on = " and ".join(f"t.{key} = s.{key}" for key in model.unique_key)
    if lake:
        return (
            f"merge into {model.name} as t using {batch} as s on ({on})\n"
            f"when matched and ({newer_condition(model.version)}) then update set *\n"
            "when not matched then insert *",
        )
    return (
        f"delete from {model.name} as t using {batch} as s where {on} and ({newer_condition(model.version)})",
        f"insert into {model.name} select * from {batch} as s "
        f"where not exists (select 1 from {model.name} as t where {on})",
    )


def newer_condition(version: tuple[str, ...]) -> str:
    """`s` sorts after `t` on the version columns, lexicographically, NULL lowest."""
    terms = []
    for index, column in enumerate(version):
        same = [f"s.{prior} is not distinct from t.{prior}" for prior in version[:index]]
        greater = f"(s.{column} > t.{column} or (s.{column} is not null and t.{column} is null))"
        terms.append("(" + " and ".join([*same, greater]) + ")")
    return " or ".join(terms)
