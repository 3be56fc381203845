"""One sandboxed DuckDB session, shared by the shell, the agent tools (CLI, MCP) and notebooks.

    with open_session(settings, policy) as session:      # policy=None: the whole warehouse (shell)
        result = session.query("select status, count(*) from jira_issues group by 1")
        result.columns, result.rows, result.truncated    # result.to_arrow().to_pandas() for pandas

A session is an in-memory DuckDB ("the sandbox") whose settings are locked before any user SQL
runs: `enable_external_access = false` (no file, no ATTACH, no COPY, no INSTALL/LOAD, no
secrets), Python replacement scans off, `memory_limit`, `threads`, then
`lock_configuration = true`. A wall-clock timeout interrupts a query; answers are capped in rows
and in bytes.

What the sandbox may see is decided when it is built, never by reading the user's SQL:
- with a policy (agent tools): the warehouse is attached only to a private *source* connection
  that no user SQL ever reaches. For each allowed relation, the sandbox gets a view over an Arrow
  stream that the source produces from a fixed SELECT of the allowed columns, masked columns
  masked and redact patterns applied inside that SELECT. The sandbox has no catalog holding the
  real data, so no name trick, no transform and no aggregation can reach a denied or raw value.
- without a policy (shell, notebooks): the warehouse is attached READ_ONLY to the sandbox itself.
Bronze views (`bronze_<source>_<stream>` and the ledgers, from `shell_init_sql`) are streamed from
the source connection too: the sandbox itself never reads a file.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import threading

import duckdb
import pyarrow as pa

from agent.catalog import Relation, bronze_relations, quote_ident, warehouse_relations
from agent.errors import QueryError, Refused, explain
from agent.policy import AiPolicy
from agent.results import QueryResult, collect
from pipelines.bronze.storage import as_root
from pipelines.silver.duckdb_io import enable_bronze
from pipelines.silver.report import shell_init_sql
from pipelines.silver.warehouse import attach, available

WAREHOUSE_ALIAS = "warehouse"  # the warehouse's catalog name in the source (and in a shell's sandbox)
READS = frozenset({duckdb.StatementType.SELECT})
SHELL_READS = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})
BATCH_ROWS = 65536
TEMP_VIEW = re.compile(r"\bcreate\s+or\s+replace\s+temp(orary)?\s+view\b", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class Limits:
    """Per-query bounds of a session; None means unbounded."""

    timeout_s: float | None = None
    max_rows: int | None = None
    max_bytes: int | None = None


class Session:
    """A locked sandbox connection (and its private source); `query` is the only way in."""

    def __init__(self, con, source, relations: list[Relation], limits: Limits, allowed: frozenset, hint: str = ""):
        self._con = con
        self._source = source
        self.relations = relations
        self.limits = limits
        self._allowed = allowed
        self._hint = hint
        self._lock = threading.Lock()

    def statements(self, sql: str) -> list[str]:
        """The statements of `sql` (DuckDB's own parser), refusing any kind this session does not run."""
        try:
            parsed = self._con.extract_statements(sql)
        except duckdb.Error as exc:
            raise QueryError(explain(exc)) from None
        if not parsed:
            raise QueryError("empty query: nothing to run")
        for statement in parsed:
            if statement.type not in self._allowed:
                kinds = " or ".join(sorted(t.name for t in self._allowed))
                raise Refused(f"{statement.type.name} statements are not allowed here (read-only: {kinds} only)")
        return [s.query for s in parsed]

    def query(
        self, sql: str, max_rows: int | None = None, max_bytes: int | None = None, params: dict | None = None
    ) -> QueryResult:
        """Run one statement and return its answer within the session's limits.

        `params` binds named parameters (`$name`): values never become SQL text.
        """
        statements = self.statements(sql)
        if len(statements) != 1:
            raise Refused(f"one statement per query ({len(statements)} given)")
        max_rows = max_rows or self.limits.max_rows
        max_bytes = max_bytes or self.limits.max_bytes
        with self._lock, Watchdog(self._con, self.limits.timeout_s) as watchdog:
            try:
                cursor = self._con.execute(statements[0], params) if params else self._con.execute(statements[0])
                return collect(cursor, max_rows, max_bytes)
            except duckdb.Error as exc:
                raise failure(exc, watchdog.fired, self.limits.timeout_s, self._hint) from None

    def close(self) -> None:
        self._con.close()
        if self._source is not None:
            self._source.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def failure(exc: duckdb.Error, timed_out: bool, timeout_s: float | None, hint: str) -> QueryError:
    """The one-line error for a failed query (a timeout says so)."""
    if timed_out or isinstance(exc, duckdb.InterruptException):
        return QueryError(f"stopped: the query ran longer than timeout_s={timeout_s:g}s", kind="timeout")
    error = explain(exc)
    if isinstance(exc, duckdb.CatalogException) and hint and "Table with name" in error.message:
        error = type(error)(f"{error.message} ({hint})", kind=error.kind)
    return error


class Watchdog:
    """Interrupts a connection's running query after `timeout_s` seconds."""

    def __init__(self, con, timeout_s: float | None):
        self._con, self._timeout = con, timeout_s
        self._done = threading.Event()
        self.fired = False
        self._thread: threading.Thread | None = None

    def _watch(self) -> None:
        if not self._done.wait(self._timeout):
            self.fired = True
            self._con.interrupt()

    def __enter__(self) -> Watchdog:
        if self._timeout:
            self._thread = threading.Thread(target=self._watch, name="dpl-query-watchdog", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()


class ArrowSource:
    """A relation of the sandbox, produced afresh by the private source connection at every scan.

    The Arrow schema is known up front, so binding a view costs nothing; the source runs the SELECT
    only when the sandbox pulls the first batch."""

    def __init__(self, source: duckdb.DuckDBPyConnection, sql: str, schema: pa.Schema):
        self._source, self._sql, self.schema = source, sql, schema

    def __arrow_c_stream__(self, requested_schema=None):
        def batches():
            yield from self._source.cursor().sql(self._sql).to_arrow_reader(BATCH_ROWS)

        reader = pa.RecordBatchReader.from_batches(self.schema, batches())
        return reader.__arrow_c_stream__(requested_schema)


_SCHEMAS: dict[tuple, pa.Schema] = {}
_SCHEMAS_LOCK = threading.Lock()


def arrow_source(source: duckdb.DuckDBPyConnection, relation: Relation, sql: str) -> ArrowSource:
    """An ArrowSource for `sql`; its schema probed once per process for a relation of the same shape."""
    shape = (
        relation.catalog,
        relation.schema,
        relation.name,
        tuple((c.name, c.type, c.masked) for c in relation.columns),
    )
    with _SCHEMAS_LOCK:
        schema = _SCHEMAS.get(shape)
    if schema is None:
        schema = source.cursor().execute(f"{sql} limit 0").to_arrow_table().schema
        with _SCHEMAS_LOCK:
            if len(_SCHEMAS) > 4096:
                _SCHEMAS.clear()
            _SCHEMAS[shape] = schema
    return ArrowSource(source, sql, schema)


def open_session(settings, policy: AiPolicy | None = None, limits: Limits | None = None) -> Session:
    """A locked sandbox: the policy's views (agent tools), or the whole warehouse read-only (policy=None).

    `limits` overrides the per-query bounds (a policy's by default; none without a policy)."""
    if policy is not None and not policy.enabled:
        raise Refused("the agent tools are disabled (config/ai_policy.yaml: enabled: false)")
    source = duckdb.connect(config={"python_enable_replacements": False})
    sandbox = duckdb.connect()
    try:
        if policy is None:
            relations = expose_everything(settings, source, sandbox)
            lock(sandbox)
            default_limits, allowed, hint = Limits(), SHELL_READS, ""
        else:
            relations = expose_policy(settings, policy, source, sandbox)
            lock(sandbox, memory_limit=policy.memory_limit, threads=policy.threads)
            default_limits = Limits(policy.timeout_s, policy.max_rows, policy.max_result_bytes)
            allowed, hint = READS, "only the tables list_tables shows exist for the agent (config/ai_policy.yaml)"
    except BaseException:
        sandbox.close()
        source.close()
        raise
    return Session(sandbox, source, relations, limits or default_limits, allowed, hint)


def lock(con: duckdb.DuckDBPyConnection, memory_limit: str | None = None, threads: int | None = None) -> None:
    """Bound resources, then cut the session off from files, extensions, secrets and settings."""
    if memory_limit:
        con.execute(f"set memory_limit = '{memory_limit}'")
    if threads:
        con.execute(f"set threads = {int(threads)}")
    for statement in (
        "set python_enable_replacements = false",
        "set autoinstall_known_extensions = false",
        "set autoload_known_extensions = false",
        "set allow_community_extensions = false",
        "set enable_external_access = false",
        "set lock_configuration = true",
    ):
        con.execute(statement)


def create_bronze_views(settings, source: duckdb.DuckDBPyConnection) -> None:
    """The shell's bronze views, as views of the source's own catalog (temp views are per connection,
    and every scan runs on a cursor of its own). The source learns to read the bronze root first (s3://...)."""
    enable_bronze(source, as_root(settings.bronze_dir))
    source.execute(TEMP_VIEW.sub("create or replace view", shell_init_sql(settings)))


def expose_everything(settings, source, sandbox) -> list[Relation]:
    """The shell's sandbox: the warehouse attached read-only (when built) and every bronze view."""
    relations: list[Relation] = []
    if available(settings):
        attach(sandbox, settings, WAREHOUSE_ALIAS, read_only=True)
        sandbox.execute(f"use {quote_ident(WAREHOUSE_ALIAS)}")
    create_bronze_views(settings, source)
    for relation in bronze_relations(source):
        sandbox.register(relation.name, arrow_source(source, relation, relation.select_sql()))
        relations.append(relation)
    return relations


def expose_policy(settings, policy: AiPolicy, source, sandbox) -> list[Relation]:
    """The agent's sandbox: one view per allowed relation, over the source's masked SELECT."""
    relations: list[Relation] = []
    source.execute(f"set threads = {int(policy.threads)}")  # its memory stays DuckDB's default: read_json
    # of bronze needs a buffer of maximum_object_size, whatever the policy's memory_limit
    if available(settings):
        attach(source, settings, WAREHOUSE_ALIAS, read_only=True)
        relations += warehouse_relations(source, WAREHOUSE_ALIAS)
    if policy.allow_bronze:
        create_bronze_views(settings, source)
        relations += bronze_relations(source)
    key = secrets.token_hex(16)  # per session: masked values compare equal within a query only
    exposed = []
    for index, relation in enumerate(r for r in relations if policy.table_allowed(r.schema, r.name)):
        view = relation.restricted(policy, key)
        if not view.columns:
            continue
        stream = arrow_source(source, view, view.select_sql())
        if view.source_schema == "main":
            sandbox.register(view.name, stream)  # a view of the session's main schema
        else:
            helper = f"__dpl_source_{index}"
            sandbox.register(helper, stream)
            sandbox.execute(f"create schema if not exists {quote_ident(view.schema)}")
            sandbox.execute(
                f"create view {quote_ident(view.schema)}.{quote_ident(view.name)} as select * from {helper}"
            )
        exposed.append(view)
    return exposed
