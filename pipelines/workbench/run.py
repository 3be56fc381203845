"""Run JQL and saved queries on the warehouse (read-only), after checking the names they use exist.

Jira answers a query naming an unknown status, project, user or field with an error, not with an
empty result; so does the workbench: the values a query names are looked up first (`check`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb

from pipelines.workbench.jql import Compiled, JqlError, catalog_from_warehouse, compile_jql
from pipelines.workbench.jql.fields import Lookup
from pipelines.workbench.queries import QueryError, render

# kind -> (JQL field shown in the error, SQL that is true when the value $v exists): the dimension tables,
# else the issues themselves (stg_jira__issues: a table, where the jira_issues view would cost a full evaluation)
CHECKS = {
    "project": (
        "project",
        "exists (select 1 from jira_projects where upper(project_key) = upper($v) or lower(project_name) = lower($v) "
        "or project_id::varchar = $v) or exists (select 1 from stg_jira__issues where upper(project_key) = upper($v))",
    ),
    "status": (
        "status",
        "exists (select 1 from jira_statuses where lower(status_name) = lower($v) or status_id::varchar = $v) "
        "or exists (select 1 from stg_jira__issues where lower(status) = lower($v))",
    ),
    "issuetype": (
        "issuetype",
        "exists (select 1 from jira_issue_types where lower(issue_type_name) = lower($v) "
        "or issue_type_id::varchar = $v) "
        "or exists (select 1 from stg_jira__issues where lower(issue_type) = lower($v))",
    ),
    "priority": (
        "priority",
        "exists (select 1 from jira_priorities where lower(priority_name) = lower($v) or priority_id::varchar = $v) "
        "or exists (select 1 from stg_jira__issues where lower(priority) = lower($v))",
    ),
    "version": (
        "fixVersion",
        "exists (select 1 from jira_releases where lower(release_name) = lower($v) or release_id::varchar = $v)",
    ),
    "sprint": (
        "sprint",
        "exists (select 1 from jira_sprints where lower(sprint_name) = lower($v) or sprint_id::varchar = $v)",
    ),
    "user": (
        "user",
        "exists (select 1 from jira_users where account_id = $v or lower(display_name) = lower($v) "
        "or lower(email_address) = lower($v)) or exists (select 1 from stg_jira__issues where assignee_account_id = $v "
        "or reporter_account_id = $v or creator_account_id = $v)",
    ),
}


@dataclasses.dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[tuple]
    total: int


def check(con: duckdb.DuckDBPyConnection, lookups: tuple[Lookup, ...]) -> None:
    """Raise a JqlError for the first value the warehouse does not know."""
    for kind, value, field_name in dict.fromkeys((x.kind, x.value, x.field) for x in lookups):
        if kind in CHECKS:
            field, sql = CHECKS[kind]
            if not con.execute(f"select ({sql})", {"v": value}).fetchone()[0]:
                raise JqlError(f"JQL: the value {value!r} does not exist for the field {(field_name or field)!r}")


def execute(con: duckdb.DuckDBPyConnection, sql: str, params: dict, limit: int) -> Result:
    """Run a SELECT; the first `limit` rows and the total count."""
    try:
        cursor = con.execute(sql, params)
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchmany(limit)
        total = len(rows) + (len(cursor.fetchall()) if len(rows) == limit else 0)
    except duckdb.CatalogException as exc:
        first = str(exc).splitlines()[0]
        raise JqlError(f"the warehouse lacks a table this query reads ({first}): run `make silver`") from None
    return Result(columns, rows, total)


def run_jql(
    con: duckdb.DuckDBPyConnection,
    text: str,
    settings,
    fields: tuple[str, ...] | None = None,
    now: dt.datetime | None = None,
    limit: int | None = None,
) -> Result:
    """Check and run a JQL query; the matching issues' output columns."""
    catalog = catalog_from_warehouse(con, settings)
    compiled: Compiled = compile_jql(text, settings, fields=fields, now=now, catalog=catalog)
    check(con, compiled.lookups)
    return execute(con, compiled.sql, compiled.params, limit or settings.workbench.max_rows)


def run_saved(con: duckdb.DuckDBPyConnection, name: str, params: dict, limit: int) -> Result:
    """Run a saved query with its parameters."""
    sql, values = render(name, params)
    try:
        return execute(con, sql, values, limit)
    except duckdb.Error as exc:
        if isinstance(exc, duckdb.CatalogException):
            raise
        raise QueryError(f"query {name}: {str(exc).splitlines()[0]}") from None
