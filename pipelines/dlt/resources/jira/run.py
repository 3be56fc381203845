"""State shared by the resources of one Jira run: the client, the project and board lists, forbidden
projects, and what the issues read owe to later streams — the accounts they reference (for `users`)
and the catalogs they show changed — noted as pending work (pipelines/dlt/pending.py), so that it
survives a run that dies after the issues' cursors are committed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from dlt.sources.helpers.rest_client.auth import HttpBasicAuth
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator, OffsetPaginator

from pipelines.dlt.resources.jira import settings as conf
from pipelines.dlt.streams import REFRESH, Page, SyncContext
from pipelines.errors import ConfigError, DplError, ErrorClass
from pipelines.timeutil import to_utc_iso


class JiraOffsetPaginator(OffsetPaginator):
    """startAt/maxResults paging that advances by the items received (servers cap pages silently) and
    stops on `isLast`, else on `total`, else on a short or empty page."""

    def __init__(self, limit: int, offset: int = 0) -> None:
        super().__init__(
            limit=limit,
            offset=offset,
            offset_param="startAt",
            limit_param="maxResults",
            total_path=None,
            stop_after_empty_page=True,
        )

    def update_state(self, response, data=None) -> None:
        body, received = response.json(), len(data or [])
        self.current_value += received
        if not received:
            self._has_next_page = False
        elif isinstance(body, dict) and isinstance(body.get("isLast"), bool):
            self._has_next_page = not body["isLast"]
        elif isinstance(body, dict) and isinstance(body.get("total"), int):
            self._has_next_page = self.current_value < body["total"]
        else:
            self._has_next_page = received >= self.limit


class ChangedWorklogsPaginator(JSONLinkPaginator):
    """/worklog/updated and /worklog/deleted: follow `nextPage` until `lastPage` is true. The last page
    carries a `nextPage` too (Atlassian's own example does), and following it asks again from the last
    page's `until`, which answers the boundary entry forever. An empty page also stops."""

    def __init__(self) -> None:
        super().__init__(next_url_path="nextPage")

    def update_state(self, response, data=None) -> None:
        super().update_state(response, data)
        body = response.json()
        if not data or (isinstance(body, dict) and body.get("lastPage") is True):
            self._next_reference = None


def batches(items: list, size: int) -> Iterator[list]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def merge_pages(pages: list[Page]) -> list[Page]:
    """One page per (stream, scope), with a parent per record: fewer, bigger pages to write."""
    merged: dict[tuple[str, str], Page] = {}
    for page in pages:
        target = merged.get((page.stream, page.scope))
        if target is None:
            target = merged[(page.stream, page.scope)] = Page(page.stream, [], page.scope, parents=[])
        target.records.extend(page.records)
        target.parents.extend(page.parents if page.parents is not None else [page.parent] * len(page.records))
    return list(merged.values())


def issue_parent(issue: dict) -> dict:
    """The `__parent` of a record that belongs to an issue."""
    return {"issue_id": str(issue["id"]), "issue_key": issue.get("key")}


class JiraRun:
    """One run's shared state; resources run in order and read what earlier ones fetched."""

    def __init__(self, ctx: SyncContext, client=None) -> None:
        self.ctx = ctx
        self.client = client or make_jira_client(ctx)
        self.forbidden: dict[str, str] = {}  # project key -> the 403 message
        self._project_pages: list[list[dict]] | None = None
        self._board_pages: list[list[dict]] | None = None
        self._scoped: list[dict] | None = None
        self._from_cursors = False  # the scope came from the last refresh's cursors, not a listing
        # catalogs the issues read (in this run, or in one that died before refreshing them) show changed
        self.evidence: set[str] = {s for s in conf.EVIDENCED_CATALOGS if (s, REFRESH) in ctx.pending}

    # -- projects and boards (fetched once, shared) ------------------------------------------

    def project_pages(self) -> list[list[dict]]:
        """Every accessible project, as the pages /project/search returned."""
        if self._project_pages is None:
            expand = self.ctx.stream_settings("projects").option("expand")
            params = {"orderBy": "key", **({"expand": expand} if expand else {})}
            self._project_pages = [
                list(page)
                for page in self.client.paginate(
                    conf.PROJECT_SEARCH,
                    params=params,
                    paginator=JiraOffsetPaginator(conf.PAGE["projects"]),
                    data_selector="values",
                )
            ]
        return self._project_pages

    def listed_projects(self) -> list[dict]:
        """Every accessible project, as /project/search lists it (read once a run)."""
        return [p for page in self.project_pages() for p in page]

    def known_projects(self) -> list[dict] | None:
        """The projects (keys only) the last refresh of `projects` listed, from the cursors it left; None
        when this run refreshes `projects` anyway or cannot tell."""
        ctx, refreshed = self.ctx, self.ctx.cursor("projects")
        if refreshed is None or not ctx.wants("projects") or ctx.refresh_due("projects") or "projects" in self.evidence:
            return None
        keys = sorted(scope for (stream, scope), value in ctx.cursors.items() if stream == "projects" and scope != "*"
                      and value == refreshed)  # fmt: skip
        return [{"key": key} for key in keys] or None

    def scoped_projects(self) -> list[dict]:
        """The projects whose issues this run reads (config `projects` / `exclude_projects`): from the last
        refresh's cursors between refreshes (no call), else as /project/search lists them."""
        if self._scoped is None:
            known = self.known_projects()
            named = set(self.ctx.settings.option("projects")) | set(self.ctx.scopes or ())
            if known is not None and named <= {p["key"] for p in known}:
                self._from_cursors = True
            else:
                known = self.listed_projects()
            self._scoped = self.scope(known, record_gaps=True)
            if self.ctx.scopes:
                self._scoped = self.units(self._scoped, {p["key"] for p in known})
        return self._scoped

    def units(self, scoped: list[dict], listed: set[str]) -> list[dict]:
        """The projects a scoped run (PROJECT=) names; ConfigError for one Jira does not list."""
        missing = [key for key in self.ctx.scopes if key not in listed]
        if missing:
            shown = ", ".join(sorted(listed)[:20]) + (", ..." if len(listed) > 20 else "")
            raise ConfigError(
                f"PROJECT={','.join(missing)}: not listed by /project/search (no such project, or the account "
                f"cannot browse it); listed: {shown or 'none'}"
            )
        return [p for p in scoped if p["key"] in self.ctx.scopes]

    def stale_project(self, key: str, exc: DplError) -> bool:
        """A project known from the last refresh that the search now rejects (400/404): gone since? Then the
        projects catalog changed (it is refreshed in this run) and the project is skipped."""
        if not self._from_cursors or exc.status not in (400, 404):
            return False
        self.note_evidence("projects")
        if any(p["key"] == key for p in self.listed_projects()):
            return False
        self.ctx.log.info("jira: project %s is no longer listed by /project/search: skipped", key)
        return True

    def scope(self, listed: list[dict], record_gaps: bool = False) -> list[dict]:
        """The listed projects this run reads (config `projects` / `exclude_projects`)."""
        wanted, excluded = self.ctx.settings.option("projects"), set(self.ctx.settings.option("exclude_projects"))
        if wanted:
            known = {p["key"] for p in listed}
            for key in wanted:
                if key not in known and record_gaps:
                    self.ctx.record_gap(
                        "issues",
                        key,
                        ErrorClass.NOT_FOUND,
                        "not listed by /project/search: it does not exist or the account cannot see it",
                    )
            listed = [p for p in listed if p["key"] in wanted]
        return [p for p in listed if p["key"] not in excluded]

    # -- catalogs: refreshed when due, or when the issues show they changed ------------------

    def refreshes(self, stream: str) -> bool:
        """Does this run re-read the catalog `stream`? (Otherwise it is noted as not refreshed.)"""
        if not self.ctx.wants(stream):
            return False
        if self.ctx.refresh_due(stream) or stream in self.evidence:
            return True
        self.ctx.not_refreshed.add(stream)
        return False

    def note_sprint(self, sprint: dict) -> None:
        """Evidence that `sprints` changed: a sprint an issue holds started or closed after its last refresh."""
        moment = sprint.get({"active": "startDate", "closed": "completeDate"}.get(sprint.get("state"), ""))
        if moment and self._after_refresh("sprints", moment):
            self.note_evidence("sprints")

    def note_versions(self, fields: dict) -> None:
        """Evidence that `versions` changed: an issue's version was released after its last refresh (a day)."""
        for version in (fields.get("fixVersions") or []) + (fields.get("versions") or []):
            day = version.get("releaseDate") if isinstance(version, dict) and version.get("released") else None
            if isinstance(day, str) and day > (self.ctx.cursor("versions") or "")[:10]:
                self.note_evidence("versions")

    def note_evidence(self, stream: str) -> None:
        """The catalog `stream` changed since its last refresh: refresh it in this run, or the next one if
        this one ends before (a complete refresh pays the debt: `SyncContext.refreshed_checkpoint`)."""
        self.evidence.add(stream)
        self.ctx.owe(stream, REFRESH)

    def _after_refresh(self, stream: str, moment: str) -> bool:
        refreshed = self.ctx.cursor(stream)
        try:
            return refreshed is not None and (to_utc_iso(moment) or "") > refreshed
        except ValueError:
            return False

    def board_pages(self) -> list[list[dict]]:
        """Every board, as the Agile API's pages returned them."""
        if self._board_pages is None:
            self._board_pages = [
                list(page)
                for page in self.client.paginate(
                    conf.BOARDS, paginator=JiraOffsetPaginator(conf.PAGE["boards"]), data_selector="values"
                )
            ]
        return self._board_pages

    # -- permission failures -----------------------------------------------------------------

    def skip_forbidden(self, key: str, streams: Iterable[str]) -> bool:
        """True (and a gap per stream) when an earlier call of this run got a 403 for the project."""
        if key not in self.forbidden:
            return False
        for stream in streams:
            self.ctx.record_gap(stream, key, ErrorClass.FORBIDDEN, self.forbidden[key])
        return True

    def forbid(self, key: str, streams: Iterable[str], exc: DplError) -> None:
        """Record a 403 on one project: later streams skip it, the run goes on."""
        if exc.error_class != ErrorClass.FORBIDDEN:
            raise exc
        self.forbidden[key] = exc.message
        for stream in streams:
            self.ctx.record_gap(stream, key, ErrorClass.FORBIDDEN, exc.message)

    # -- referenced users --------------------------------------------------------------------

    def note_issue(self, issue: dict) -> None:
        """Remember the accounts an issue references (people fields, user pickers, attachment authors) and
        what its sprints and versions say about those catalogs."""
        fields = issue.get("fields") or {}
        for name, value in fields.items():
            if name in ("assignee", "reporter", "creator") or name.startswith("customfield_"):
                for item in value if isinstance(value, list) else (value,):
                    if isinstance(item, dict):
                        if item.get("accountId"):
                            self.ctx.owe("users", item["accountId"])
                        elif "boardId" in item and "state" in item:
                            self.note_sprint(item)
        self.note_versions(fields)
        self.note_authors(fields.get("attachment") or [])

    def note_authors(self, records: Iterable[dict]) -> None:
        """Remember the authors of comments, worklogs, histories and attachments."""
        for record in records:
            for role in ("author", "updateAuthor"):
                person = record.get(role)
                if isinstance(person, dict) and person.get("accountId"):
                    self.ctx.owe("users", person["accountId"])


def make_jira_client(ctx: SyncContext):
    """The run's REST client: Basic auth with e-mail + API token, the run's shared stats and retry policy."""
    secrets = ctx.secrets
    try:
        auth = HttpBasicAuth(secrets["JIRA_EMAIL"], secrets["JIRA_API_TOKEN"])
        base_url = secrets["JIRA_BASE_URL"]
    except KeyError as exc:
        raise DplError(ErrorClass.CONFIG, f"{exc.args[0]} is missing from the jira secrets") from None
    return ctx.client(base_url, auth)
