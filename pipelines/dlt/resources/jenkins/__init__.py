"""Jenkins (JSON remote API) source: jobs (recursive through folders and multibranch projects),
builds (parameters, causes, actions, `changeSet` for freestyle and `changeSets` for pipelines),
and an optional queue snapshot (off by default).

Every request is `tree=`-limited. Jobs come from one nested listing (see `jobs.py`), builds from
`allBuilds{M,N}` ranges, incrementally by build number per job (see `builds.py`). Jobs are chosen
with `include`/`exclude` globs on the full name (`folder/sub/job`; multibranch branch jobs keep
Jenkins' encoding, e.g. `apps/web/feature%2Flogin`). Auth: Basic `JENKINS_USERNAME` + `JENKINS_TOKEN`.
"""

from __future__ import annotations

import fnmatch

import dlt
from dlt.sources.helpers.rest_client.auth import HttpBasicAuth

from pipelines.config import source_schema
from pipelines.dlt.adapter import records_of
from pipelines.dlt.resources.jenkins.builds import get_builds
from pipelines.dlt.resources.jenkins.jobs import JobTree
from pipelines.dlt.streams import Page, StreamSpec, SyncContext, id_from
from pipelines.errors import ConfigError, DplError, ErrorClass
from pipelines.secrets import redact
from pipelines.sources import BASE_URL_VARS, SourceSettings

BASE_URL_VAR = BASE_URL_VARS["jenkins"]
# A scoped run (JOB=) reads builds, whose cursors are per job; the job listing and the queue are the
# controller's: only unscoped runs refresh them.
SCOPED_STREAMS = ("builds",)
QUEUE_TREE = (
    "items[_class,id,inQueueSince,blocked,buildable,stuck,why,params,url,timestamp,task[_class,name,url],"
    "actions[causes[*],parameters[name,value]]]"
)

STREAMS = {
    "jobs": StreamSpec("jobs", "fullName", id_from("fullName")),
    "builds": StreamSpec(
        "builds",
        "job_full_name#number",
        lambda r, p: f"{p['job']}#{r.get('number')}",
        "number",
        lambda r: r.get("number"),
    ),
    "queue": StreamSpec("queue", "id", id_from("id")),
}

DEFAULTS = {
    "enabled": True,
    "include": ["*"],  # globs on the job full name
    "exclude": [],  # an excluded folder is not descended into
    "folder_depth": 4,  # nested `jobs` levels per listing call
    "builds_page_size": 100,  # builds per `allBuilds{M,N}` range
    "streams": {
        "jobs": {"enabled": True, "mode": "FULL", "primary_key": "fullName", "cursor_field": None},
        "builds": {
            "enabled": True,
            "mode": "INCREMENTAL",
            "primary_key": "job_full_name#number",
            "cursor_field": "number",
        },
        "queue": {"enabled": False, "mode": "FULL", "primary_key": "id", "cursor_field": None},
    },
}

_GLOBS = {"type": "array", "items": {"type": "string", "minLength": 1}}
CONFIG_SCHEMA = source_schema(
    {
        "include": _GLOBS,
        "exclude": _GLOBS,
        "folder_depth": {"type": "integer", "minimum": 1, "maximum": 10},
        "builds_page_size": {"type": "integer", "minimum": 1, "maximum": 1000},
    },
    dict.fromkeys(STREAMS),
)


def read_env(env) -> dict:
    """Base URL, user and API token from the environment (ConfigError names what is missing)."""
    values = {var: (env.get(var) or "").strip() for var in ("JENKINS_BASE_URL", "JENKINS_USERNAME", "JENKINS_TOKEN")}
    missing = [var for var, value in values.items() if not value]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise ConfigError(
            f"{', '.join(missing)} {verb} not set (Jenkins needs its URL, a user and that user's "
            "API token from <jenkins>/user/<you>/configure)"
        )
    redact.add(values["JENKINS_TOKEN"], values["JENKINS_USERNAME"])
    return {
        "base_url": values["JENKINS_BASE_URL"].rstrip("/"),
        "user": values["JENKINS_USERNAME"],
        "token": values["JENKINS_TOKEN"],
    }


def _client(ctx: SyncContext):
    return ctx.client(ctx.secrets["base_url"], HttpBasicAuth(ctx.secrets["user"], ctx.secrets["token"]))


def check(ctx: SyncContext) -> str:
    """Who the credentials authenticate as (one call to `/me/api/json`)."""
    base, user = ctx.secrets["base_url"], ctx.secrets["user"]
    try:
        me = _client(ctx).get_json("/me/api/json", {"tree": "id,fullName"})
    except DplError as exc:
        if exc.error_class == ErrorClass.AUTH_FAILED:
            raise DplError(
                exc.error_class,
                f"JENKINS_USERNAME={user} with JENKINS_TOKEN rejected: {exc.message}",
                status=exc.status,
                advice="use your Jenkins user id and an API token (not the password) "
                "from <jenkins>/user/<you>/configure",
            ) from None
        raise
    if (me or {}).get("id") in (None, "anonymous"):
        raise DplError(
            ErrorClass.AUTH_FAILED,
            f"{base} treated JENKINS_USERNAME={user} as anonymous",
            advice="check the user id and API token; the URL may point at a proxy that drops auth",
        )
    line = f"jenkins: OK — authenticated as {me['id']} ({me.get('fullName')}) at {base}"
    include = [p for p in ctx.settings.option("include") if p != "*"]
    if not include:
        return line
    tree = JobTree(ctx, _client(ctx))
    names = [i["fullName"] for i in tree.items() if isinstance(i, dict) and i.get("fullName")]
    unmatched = [p for p in include if not any(fnmatch.fnmatchcase(n, p) for n in names)]
    if unmatched or ctx.gaps:
        folders = "; unreadable: " + ", ".join(g.scope for g in ctx.gaps) if ctx.gaps else ""
        raise DplError(
            ErrorClass.NOT_FOUND,
            f"jenkins.include in sources.yaml: {', '.join(unmatched) or '-'} "
            f"match no job the controller lists{folders}",
            advice="fix the pattern (full names look like folder/job), or grant the user Job/Read on the folder",
        )
    return line + f"; {len(tree.jobs())} jobs match jenkins.include"


def check_scopes(settings: SourceSettings, secrets: dict, names: tuple[str, ...]) -> tuple[str, ...]:
    """JOB= full names (a folder means every job in it), checked against sources.yaml before the run; the run
    then checks that the controller lists a job for each."""
    for name in names:
        if not JobTree.matches(settings, name.strip("/")):
            raise ConfigError(f"JOB={name}: left out by jenkins.include/exclude in sources.yaml")
    return tuple(dict.fromkeys(name.strip("/") for name in names))


def source(ctx: SyncContext):
    """The dlt source; every resource yields `Page`s and skips the streams `ctx` does not want."""
    client = _client(ctx)
    tree = JobTree(ctx, client)

    @dlt.resource(name="jobs")
    def get_jobs():
        if ctx.wants("jobs"):
            records = [i for i in tree.items() if not isinstance(i, dict) or tree.selected(i.get("fullName") or "")]
            if records:
                yield Page("jobs", records)

    @dlt.resource(name="builds")
    def get_build_pages():
        if ctx.wants("builds"):
            yield from get_builds(tree, int(ctx.settings.option("builds_page_size")))

    @dlt.resource(name="queue")
    def get_queue():
        if ctx.wants("queue"):
            items = client.get_json("/queue/api/json", {"tree": QUEUE_TREE}).get("items") or []
            yield Page("queue", items)

    @dlt.source(name="jenkins")
    def jenkins():
        return [get_jobs(), get_build_pages(), get_queue()]

    return jenkins()


def records(env=None, **options):
    """Jenkins as a plain dlt source of envelope records, for `dlt.pipeline(...).run(records())`.

    `env` (default os.environ) holds the secrets; options: `streams`, `full`, `settings` (see
    pipelines/dlt/adapter.py).
    """
    return records_of("jenkins", env, **options)
