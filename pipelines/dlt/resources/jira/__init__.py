"""Jira Cloud source: REST v3 and Agile 1.0 through dlt's RESTClient and stock paginators.

Streams: projects, versions (releases), fields, issue_types, statuses, priorities, boards, sprints,
issues, issue_changelogs, comments, worklogs, issue_links, attachments (split out of the issue
payloads, which stay whole), users (referenced accounts only), issue_census (ids, for deletes) and
worklog_deletions (/worklog/deleted, for silver to drop deleted worklogs).

How calls are kept to a minimum (simulators/jira/cost.py computes the floor; a full sync stays within
a few percent of it, where one call per issue and child would be ~3 calls per issue):
- catalogs are single calls or the largest pages allowed (/project/search 100, Agile API 50); versions
  use the unpaged /project/{id}/versions; kanban boards are never asked for sprints;
- catalogs (projects, versions, fields, issue_types, statuses, priorities, boards, sprints) are re-read
  only when due (catalog.py): an incremental run between two refreshes reads the projects' keys from
  the cursors the last refresh left, and makes no catalog call at all;
- issues: one search/jql per project, 100 issues a page with `fields=*all&expand=changelog`, bounded by
  `updated >= <epoch ms>`: the earliest window of the wanted streams of the pass (each keeps its own
  per-project cursor, minus the safety window), so running some of them never skips the others; a
  search with a second page also asks /search/approximate-count once (the progress lines' ETA); the
  projects' searches run concurrently (`http.max_concurrency`), their pages handled in serial order;
- children come from those payloads: comment and worklog blocks (20 embedded) and the changelog
  (40 most recent embedded) are used as they are when `total` says they are complete — so nothing is
  fetched per issue when nothing is truncated;
- truncated changelogs: one POST /changelog/bulkfetch per 1000 issues, 10000 histories a page, at the end
  of the pass; in incremental runs an embedded block reaching back before the window needs nothing more;
- truncated worklog blocks: /worklog/updated?since= (read during the pass when it is sure to be
  needed) + POST /worklog/list (1000 ids a call), or
  /issue/{id}/worklog (5000 a page) per issue, whichever the totals seen say is cheaper (per issue when
  the run reads part of the site: /worklog/updated lists every project's worklogs); /worklog/updated and
  /worklog/deleted stop on `lastPage` (their last page carries a `nextPage` too);
- truncated comment blocks: /issue/{id}/comment from startAt=20 (Jira has no bulk comment listing);
- users: the referenced accounts not fetched yet in this run, 100 per /user/bulk call;
- issue_census: search/jql with `fields=id`, 5000 ids a page, on full runs and every
  `time.census_interval_hours`.
Permanent errors are classified by pipelines/dlt/http.py; a 403 on one project records a gap for it
and the run goes on.
"""

from __future__ import annotations

import dlt

from pipelines.dlt.adapter import records_of
from pipelines.dlt.resources.jira import settings as conf
from pipelines.dlt.resources.jira.catalog import get_boards, get_catalog, get_projects, get_sprints, get_versions
from pipelines.dlt.resources.jira.issues import get_issues
from pipelines.dlt.resources.jira.run import JiraRun, make_jira_client
from pipelines.dlt.resources.jira.sweeps import get_census, get_users, get_worklog_deletions
from pipelines.dlt.streams import SyncContext
from pipelines.errors import ConfigError, DplError, ErrorClass
from pipelines.sources import BASE_URL_VARS, SourceSettings

STREAMS = conf.STREAMS
DEFAULTS = conf.DEFAULTS
CONFIG_SCHEMA = conf.CONFIG_SCHEMA
BASE_URL_VAR = BASE_URL_VARS["jira"]
SECRET_VARS = ("JIRA_EMAIL", "JIRA_API_TOKEN")
# A scoped run (PROJECT=) reads these: the streams whose cursors are per project, and the accounts they
# reference. Catalogs and /worklog/deleted are site-wide: only unscoped runs refresh them.
SCOPED_STREAMS = (*conf.ISSUE_STREAMS, "issue_census", "users")

__all__ = [
    "BASE_URL_VAR",
    "CONFIG_SCHEMA",
    "DEFAULTS",
    "SCOPED_STREAMS",
    "STREAMS",
    "check",
    "check_scopes",
    "read_env",
    "records",
    "source",
]


def read_env(env) -> dict[str, str]:
    """JIRA_BASE_URL, JIRA_EMAIL and JIRA_API_TOKEN from `env`; ConfigError names a missing one."""
    base_url = (env.get(BASE_URL_VAR) or "").strip()
    if not base_url:
        raise ConfigError(
            f"{BASE_URL_VAR} is not set (needed to sync jira, e.g. https://your-site.atlassian.net); "
            "put it in .env or the environment"
        )
    values = {BASE_URL_VAR: base_url.rstrip("/")}
    for var in SECRET_VARS:
        value = (env.get(var) or "").strip()
        if not value:
            raise ConfigError(
                f"{var} is not set (needed because jira is enabled and {BASE_URL_VAR} is set); "
                "put it in .env or the environment"
            )
        values[var] = value
    return values


def source(ctx: SyncContext):
    """The jira dlt source for one run: resources yielding `Page`s, in dependency order."""
    return jira(ctx)


@dlt.source(name="jira", max_table_nesting=0)
def jira(ctx: SyncContext):
    """Resources of the streams this run wants: the issue pass first, then the catalogs (which it may
    have seen change), users after everything that references accounts."""
    run = JiraRun(ctx)
    plan = [
        ("issues", conf.ISSUE_STREAMS, lambda: get_issues(run)),
        ("issue_census", ("issue_census",), lambda: get_census(run)),
        ("worklog_deletions", ("worklog_deletions",), lambda: get_worklog_deletions(run)),
        ("projects", ("projects",), lambda: get_projects(run)),
        ("versions", ("versions",), lambda: get_versions(run)),
        *[(name, (name,), lambda name=name: get_catalog(run, name)) for name in conf.SIMPLE_CATALOGS],
        ("boards", ("boards",), lambda: get_boards(run)),
        ("sprints", ("sprints",), lambda: get_sprints(run)),
        ("users", ("users",), lambda: get_users(run)),
    ]
    return [dlt.resource(make(), name=name) for name, streams, make in plan if any(ctx.wants(s) for s in streams)]


def check_scopes(settings: SourceSettings, secrets: dict, keys: tuple[str, ...]) -> tuple[str, ...]:
    """PROJECT= keys, checked against sources.yaml before the run (the run checks that Jira lists them)."""
    configured, excluded = settings.option("projects"), settings.option("exclude_projects")
    for key in keys:
        if not conf.PROJECT_KEY_RE.fullmatch(key):
            raise ConfigError(f"PROJECT={key}: not a Jira project key (upper-case letters, digits and _, e.g. DPL)")
        if configured and key not in configured:
            raise ConfigError(
                f"PROJECT={key}: not in jira.projects of sources.yaml; expected one of: {', '.join(configured)}"
            )
        if key in excluded:
            raise ConfigError(f"PROJECT={key}: excluded by jira.exclude_projects in sources.yaml")
    return tuple(dict.fromkeys(keys))


def check(ctx: SyncContext) -> str:
    """One authenticated call (GET /rest/api/3/myself): who we are and where; then, when sources.yaml names
    projects, that /project/search lists each of them (the account can browse it)."""
    client = make_jira_client(ctx)
    me = client.get_json(conf.MYSELF)
    email = f" <{me['emailAddress']}>" if me.get("emailAddress") else ""
    line = f"jira: OK as {me.get('displayName', me.get('accountId'))}{email} ({ctx.secrets[BASE_URL_VAR]})"
    configured = ctx.settings.option("projects")
    if not configured:
        return line
    listed = {p["key"] for p in JiraRun(ctx, client).listed_projects()}
    missing = [key for key in configured if key not in listed]
    if missing:
        raise DplError(
            ErrorClass.NOT_FOUND,
            f"jira.projects in sources.yaml names {', '.join(missing)}, which /project/search does not list",
            advice="fix the key, or grant the account Browse Projects on it (make check lists what it can see)",
        )
    return line + f"; projects {', '.join(configured)} readable"


def records(env=None, **options):
    """Jira as a plain dlt source of envelope records, for `dlt.pipeline(...).run(records())`.

    `env` (default os.environ) holds the secrets; options: `streams`, `full`, `settings` (see
    pipelines/dlt/adapter.py).
    """
    return records_of("jira", env, **options)
