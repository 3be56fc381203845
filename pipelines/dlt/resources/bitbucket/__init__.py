"""Bitbucket Cloud (API 2.0) source: repositories, branches, commits, pull requests (all states),
their activity (comments, approvals, changes requested, updates) and their commits.

Configured when `BITBUCKET_WORKSPACE` is set (`BASE_URL_VAR`): the base URL defaults to
https://api.bitbucket.org/2.0. Auth, in this order: an app password (Basic `BITBUCKET_USERNAME` +
`BITBUCKET_APP_PASSWORD`), an API token (Basic `BITBUCKET_EMAIL` + `BITBUCKET_TOKEN`), an access
token (Bearer `BITBUCKET_TOKEN` with no user). `check` says which one was tried and why it failed.

Every list follows the body's `next` link (`JSONLinkPaginator`) at the largest `pagelen` the API
allows (50 for PRs and activity, 100 elsewhere); no `fields=` is sent, so payloads are complete and
`next` can never be filtered away. Resources, in run order:

- `repositories` (FULL): the workspace listing (or the configured `repositories`), filtered by the
  `include`/`exclude` globs on slug or full name.
- `branches` (FULL): every branch per repository; also gives the heads the commit walk starts from.
- `commits`: see `commits.py` — one `include`/`exclude` walk per repository from the heads that
  moved since the last run (the cursor), so history is never re-read and late pushes are not missed.
- `pull_requests`: all four states, `q=updated_on >= <cursor − safety window>`, newest first; the
  same resource yields `pr_activities` and `pr_commits` for the PRs in the window only (see `pulls.py`).
"""

from __future__ import annotations

import hashlib

import dlt
import orjson
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth, HttpBasicAuth

from pipelines.config import source_schema
from pipelines.dlt.adapter import records_of
from pipelines.dlt.resources.bitbucket.commits import get_commits
from pipelines.dlt.resources.bitbucket.pulls import get_pull_requests
from pipelines.dlt.resources.bitbucket.workspace import Workspace
from pipelines.dlt.streams import Page, StreamSpec, SyncContext, cursor_from, id_from
from pipelines.errors import ConfigError, DplError, ErrorClass
from pipelines.secrets import redact
from pipelines.sources import BASE_URL_VARS, SourceSettings

DEFAULT_BASE_URL = "https://api.bitbucket.org/2.0"
# A scoped run (REPO=) reads these: the streams whose cursors are per repository. The repository listing is
# the whole workspace's: only unscoped runs refresh it.
SCOPED_STREAMS = ("branches", "commits", "pull_requests", "pr_activities", "pr_commits")
BASE_URL_VAR = BASE_URL_VARS["bitbucket"]  # the base URL has a default: the workspace makes it "configured"


def _in_repo(key: str):
    return lambda record, parent: f"{parent['repository']}#{record.get(key)}" if record.get(key) is not None else None


def _in_pr(record: dict, parent: dict) -> str:
    return f"{parent['repository']}#{parent['pull_request_id']}#{record.get('hash')}"


def activity_id(record: dict, parent: dict) -> str:
    """`repo#pr#comment:<id>`, `repo#pr#<kind>:<user uuid>:<date>`, else a digest of the entry."""
    base = f"{parent['repository']}#{parent['pull_request_id']}"
    kind = next(
        (k for k in ("comment", "approval", "changes_requested", "update") if isinstance(record.get(k), dict)), None
    )
    if kind == "comment" and record["comment"].get("id") is not None:
        return f"{base}#comment:{record['comment']['id']}"
    if kind:
        body = record[kind]
        who = (body.get("user") or body.get("author") or {}).get("uuid", "")
        return f"{base}#{kind}:{who}:{body.get('date')}"
    digest = hashlib.sha1(orjson.dumps(record, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]
    return f"{base}#{next(iter(record), 'entry')}:{digest}"


STREAMS = {
    "repositories": StreamSpec(
        "repositories", "full_name", id_from("full_name"), "updated_on", cursor_from(("updated_on",))
    ),
    "branches": StreamSpec("branches", "repo_full_name#name", _in_repo("name")),
    "commits": StreamSpec("commits", "repo_full_name#hash", _in_repo("hash"), "branch_heads", cursor_from(("date",))),
    "pull_requests": StreamSpec(
        "pull_requests", "repo_full_name#id", _in_repo("id"), "updated_on", cursor_from(("updated_on",))
    ),
    "pr_activities": StreamSpec(
        "pr_activities", "repo_full_name#pr_id#activity", activity_id, "pullrequest.updated_on"
    ),
    "pr_commits": StreamSpec("pr_commits", "repo_full_name#pr_id#hash", _in_pr, "pullrequest.updated_on"),
}

DEFAULTS = {
    "enabled": True,
    "repositories": [],  # explicit slugs; empty = every repository of the workspace
    "include": ["*"],  # globs on slug or full name
    "exclude": [],
    "max_refs_per_call": 40,  # include + exclude hashes per commit walk call (URL length)
    "streams": {
        "repositories": {"enabled": True, "mode": "FULL", "primary_key": "full_name", "cursor_field": "updated_on"},
        "branches": {"enabled": True, "mode": "FULL", "primary_key": "repo_full_name#name", "cursor_field": None},
        "commits": {
            "enabled": True,
            "mode": "INCREMENTAL",
            "primary_key": "repo_full_name#hash",
            "cursor_field": "branch_heads",
        },
        "pull_requests": {
            "enabled": True,
            "mode": "INCREMENTAL",
            "primary_key": "repo_full_name#id",
            "cursor_field": "updated_on",
        },
        "pr_activities": {
            "enabled": True,
            "mode": "INCREMENTAL",
            "primary_key": "repo_full_name#pr_id#activity",
            "cursor_field": "pullrequest.updated_on",
        },
        "pr_commits": {
            "enabled": True,
            "mode": "INCREMENTAL",
            "primary_key": "repo_full_name#pr_id#hash",
            "cursor_field": "pullrequest.updated_on",
        },
    },
}

_GLOBS = {"type": "array", "items": {"type": "string", "minLength": 1}}
CONFIG_SCHEMA = source_schema(
    {
        "repositories": _GLOBS,
        "include": _GLOBS,
        "exclude": _GLOBS,
        "max_refs_per_call": {"type": "integer", "minimum": 2, "maximum": 200},
    },
    dict.fromkeys(STREAMS),
)

_AUTH_ADVICE = {
    "app password": "BITBUCKET_USERNAME must be your Bitbucket username (not your e-mail) and BITBUCKET_APP_PASSWORD "
    "an app password with repository and pull request read permissions (or switch to an API token: "
    "BITBUCKET_EMAIL + BITBUCKET_TOKEN)",
    "API token": "BITBUCKET_EMAIL must be your Atlassian account e-mail and BITBUCKET_TOKEN an API token with the "
    "read:repository:bitbucket and read:pullrequest:bitbucket scopes",
    "access token": "BITBUCKET_TOKEN alone is sent as a Bearer workspace/repository access token; if it is a "
    "personal API token, also set BITBUCKET_EMAIL",
}


def read_env(env) -> dict:
    """Workspace, base URL and one credential set from the environment (ConfigError names what is missing)."""
    workspace = (env.get("BITBUCKET_WORKSPACE") or "").strip()
    if not workspace:
        raise ConfigError("BITBUCKET_WORKSPACE is not set (the workspace slug, as in bitbucket.org/<workspace>/)")
    username = (env.get("BITBUCKET_USERNAME") or "").strip()
    email = (env.get("BITBUCKET_EMAIL") or "").strip()
    app_password, token = env.get("BITBUCKET_APP_PASSWORD") or "", env.get("BITBUCKET_TOKEN") or ""
    if app_password:
        if not username:
            raise ConfigError("BITBUCKET_USERNAME is not set (BITBUCKET_APP_PASSWORD authenticates as that username)")
        kind, user, secret = "app password", username, app_password
    elif token:
        user = email or username
        kind, secret = ("API token" if user else "access token"), token
    else:
        raise ConfigError(
            "BITBUCKET_APP_PASSWORD (with BITBUCKET_USERNAME) or BITBUCKET_TOKEN (with BITBUCKET_EMAIL "
            "for an API token, alone for an access token) is not set"
        )
    redact.add(secret, user or None)
    base_url = (env.get("BITBUCKET_BASE_URL") or DEFAULT_BASE_URL).strip().rstrip("/")
    return {"base_url": base_url, "workspace": workspace, "auth": kind, "user": user, "secret": secret}


def _auth(secrets: dict):
    if secrets["auth"] == "access token":
        return BearerTokenAuth(secrets["secret"])
    return HttpBasicAuth(secrets["user"], secrets["secret"])


def _who(secrets: dict) -> str:
    if secrets["auth"] == "app password":
        return f"app password of BITBUCKET_USERNAME={secrets['user']}"
    if secrets["auth"] == "API token":
        return f"API token of {secrets['user']}"
    return "access token (Bearer BITBUCKET_TOKEN)"


def check(ctx: SyncContext) -> str:
    """One authenticated call (the workspace's repository count); says which credential failed and why."""
    secrets = ctx.secrets
    client = ctx.client(secrets["base_url"], _auth(secrets))
    workspace = secrets["workspace"]
    try:
        body = client.get_json(f"/repositories/{workspace}", {"pagelen": 1, "fields": "size"})
    except DplError as exc:
        advice = {
            ErrorClass.AUTH_FAILED: _AUTH_ADVICE[secrets["auth"]],
            ErrorClass.FORBIDDEN: f"the {secrets['auth']} cannot read workspace {workspace}: grant repository read "
            "access or use another credential",
            ErrorClass.NOT_FOUND: f"no workspace {workspace!r} at {secrets['base_url']}: check BITBUCKET_WORKSPACE "
            "(the slug in bitbucket.org/<workspace>/) and BITBUCKET_BASE_URL",
        }.get(exc.error_class)
        raise DplError(
            exc.error_class, f"{_who(secrets)} rejected: {exc.message}", status=exc.status, advice=advice or exc.advice
        ) from None
    size = body.get("size", "?") if isinstance(body, dict) else "?"
    line = f"bitbucket: OK — {_who(secrets)} reads workspace {workspace} ({size} repositories) at {secrets['base_url']}"
    explicit = ctx.settings.option("repositories")
    if not explicit:
        return line
    unreadable = []
    for slug in explicit:
        try:
            client.get_json(f"/repositories/{workspace}/{slug}", {"fields": "full_name"})
        except DplError as exc:
            if exc.error_class not in (ErrorClass.NOT_FOUND, ErrorClass.FORBIDDEN):
                raise
            unreadable.append(f"{slug} ({exc.error_class})")
    if unreadable:
        raise DplError(
            ErrorClass.NOT_FOUND,
            f"bitbucket.repositories in sources.yaml names {', '.join(unreadable)}: "
            f"not readable in workspace {workspace}",
            advice="fix the slug, or grant the credential repository read access",
        )
    return line + f"; repositories {', '.join(explicit)} readable"


def check_scopes(settings: SourceSettings, secrets: dict, names: tuple[str, ...]) -> tuple[str, ...]:
    """REPO= slugs (or workspace/slug), checked against sources.yaml before the run; returned as slugs.

    The run then reads each one directly (GET /repositories/<workspace>/<slug>): one it cannot read is a
    CONFIG error naming it.
    """
    workspace, slugs = secrets["workspace"], []
    explicit = settings.option("repositories")
    for name in names:
        owner, _, slug = name.rpartition("/")
        if owner and owner != workspace:
            raise ConfigError(f"REPO={name}: not in workspace {workspace} (BITBUCKET_WORKSPACE)")
        if explicit and slug not in explicit and f"{workspace}/{slug}" not in explicit:
            raise ConfigError(
                f"REPO={name}: not in bitbucket.repositories of sources.yaml; expected one of: {', '.join(explicit)}"
            )
        if not Workspace.matches(settings, (slug, f"{workspace}/{slug}")):
            raise ConfigError(f"REPO={name}: left out by bitbucket.include/exclude in sources.yaml")
        slugs.append(slug)
    return tuple(dict.fromkeys(slugs))


def source(ctx: SyncContext):
    """The dlt source; every resource yields `Page`s and skips the streams `ctx` does not want."""
    workspace = Workspace(ctx, ctx.client(ctx.secrets["base_url"], _auth(ctx.secrets)))

    @dlt.resource(name="repositories")
    def get_repositories():
        if ctx.wants("repositories"):
            for records in workspace.repository_pages():
                yield Page("repositories", records)

    @dlt.resource(name="branches")
    def get_branches():
        if ctx.wants("branches"):
            for repo in workspace.repos():
                for records in workspace.branch_pages(repo["full_name"]) or []:
                    yield Page("branches", records, scope=repo["full_name"], parent={"repository": repo["full_name"]})

    @dlt.resource(name="commits")
    def get_commit_pages():
        if ctx.wants("commits"):
            yield from get_commits(workspace)

    @dlt.resource(name="pull_requests")
    def get_pull_request_pages():
        yield from get_pull_requests(workspace)

    @dlt.source(name="bitbucket")
    def bitbucket():
        return [get_repositories(), get_branches(), get_commit_pages(), get_pull_request_pages()]

    return bitbucket()


def records(env=None, **options):
    """Bitbucket as a plain dlt source of envelope records, for `dlt.pipeline(...).run(records())`.

    `env` (default os.environ) holds the secrets; options: `streams`, `full`, `settings` (see
    pipelines/dlt/adapter.py).
    """
    return records_of("bitbucket", env, **options)
