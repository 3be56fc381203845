"""JQL answered from the warehouse: `compile_jql(text, settings)` → SQL over silver + named parameters.

    from pipelines.workbench.jql import jql_to_sql
    sql, params = jql_to_sql('project = DPL AND statusCategory != Done ORDER BY updated DESC', settings)
    con.execute(sql, params)

Modules: `syntax` (tokens, parser, NOT pushed down), `dates` (date literals and functions in the
configured zone), `fields` (what each JQL field reads), `translate` (the SQL).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from zoneinfo import ZoneInfo

from pipelines.workbench.jql.custom import Catalog, catalog_from_settings, catalog_from_warehouse
from pipelines.workbench.jql.dates import Clock
from pipelines.workbench.jql.fields import Lookup
from pipelines.workbench.jql.syntax import JqlError, parse
from pipelines.workbench.jql.translate import Translator, translate
from pipelines.workbench.settings import OUTPUT_FIELDS

__all__ = ["Compiled", "JqlError", "catalog_from_warehouse", "compile_jql", "jql_to_sql", "output_column"]

DEFAULT_ORDER = "i.created_at desc"  # Jira's order when the query has no ORDER BY
USER_NAME = "(select u.display_name from jira_users as u where u.account_id = i.{})"


@dataclasses.dataclass(frozen=True)
class Compiled:
    """A translated query: its SQL, named parameters, output columns and the names to check first."""

    sql: str
    params: dict
    columns: tuple[str, ...]
    lookups: tuple[Lookup, ...]


def clock_for(settings, now: dt.datetime | None = None) -> Clock:
    """Now and the JQL zone: workbench.timezone, else time.report_timezone."""
    zone = ZoneInfo(settings.workbench.timezone or settings.time.report_timezone)
    return Clock(now or dt.datetime.now(dt.UTC), zone, settings.workbench.week_start)


def compile_jql(
    text: str,
    settings,
    fields: tuple[str, ...] | None = None,
    now: dt.datetime | None = None,
    catalog: Catalog | None = None,
) -> Compiled:
    """Translate JQL into one SELECT over silver (`fields`: output columns, default workbench.fields).

    `catalog`: the custom fields silver keeps (`catalog_from_warehouse`); by default those configured.
    """
    query = parse(text)
    clock = clock_for(settings, now)
    catalog = catalog or catalog_from_settings(settings)
    translator = Translator(clock, settings.workbench.current_user, settings.workbench.groups, catalog)
    columns = tuple(fields or settings.workbench.fields)
    unknown = [name for name in columns if name not in OUTPUT_FIELDS]
    if unknown:
        raise JqlError(f"--fields: unknown {', '.join(unknown)} (expected some of {', '.join(OUTPUT_FIELDS)})")
    zone = translator.bind(clock.zone.key)
    select = ", ".join(f"{output_column(name, zone)} as {name}" for name in columns)
    sql = translate(query, translator, select, "jira_issues as i", DEFAULT_ORDER)
    used = set(re.findall(r"\$(p\d+)\b", sql))  # DuckDB refuses parameters the SQL does not use
    params = {name: value for name, value in translator.params.items() if name in used}
    return Compiled(sql, params, columns, tuple(translator.lookups))


def jql_to_sql(text: str, settings, now: dt.datetime | None = None, catalog: Catalog | None = None) -> tuple[str, dict]:
    """(SQL, named parameters) answering a JQL query from the warehouse (for tools and scripts).

    Pass `catalog_from_warehouse(con, settings)` to find custom fields by their Jira names and ids.
    """
    compiled = compile_jql(text, settings, now=now, catalog=catalog)
    return compiled.sql, compiled.params


def output_column(name: str, zone: str) -> str:
    """The SQL of one output column (`zone`: the parameter holding the time zone)."""
    local = "strftime(timezone({zone}, i.{column}), '%Y-%m-%d %H:%M')"
    columns = {
        "key": "i.issue_key",
        "summary": "i.summary",
        "status": "i.status",
        "status_category": "i.status_category",
        "issuetype": "i.issue_type",
        "priority": "i.priority",
        "assignee": f"coalesce({USER_NAME.format('assignee_account_id')}, i.assignee_account_id)",
        "reporter": f"coalesce({USER_NAME.format('reporter_account_id')}, i.reporter_account_id)",
        "project": "i.project_key",
        "created": local.format(zone=zone, column="created_at"),
        "updated": local.format(zone=zone, column="updated_at"),
        "resolved": local.format(zone=zone, column="resolved_at"),
        "due": "strftime(i.due_date, '%Y-%m-%d')",
        "labels": "array_to_string(list_sort(i.labels), ', ')",
        "components": "array_to_string(list_sort(i.components), ', ')",
        "fix_versions": "array_to_string(list_transform(i.fix_versions, v -> v.release_name), ', ')",
        "sprints": (
            "(select string_agg(s.sprint_name, ', ' order by s.sprint_id) from jira_sprints as s "
            "where list_contains(i.sprint_ids, s.sprint_id))"
        ),
        "parent": "i.parent_issue_key",
        "epic": "i.epic_issue_key",
        "resolution": "i.resolution",
        "story_points": "i.story_points",
        "team": "i.team_name",
    }
    return columns[name]
