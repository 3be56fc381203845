"""Jira catalog resources (FULL every run): projects, versions, fields, issue types, statuses,
priorities, boards and sprints."""

from __future__ import annotations

from collections.abc import Iterator

from pipelines.dlt.resources.jira import settings as conf
from pipelines.dlt.resources.jira.run import JiraOffsetPaginator, JiraRun
from pipelines.dlt.streams import Page
from pipelines.errors import DplError, ErrorClass

NO_SPRINTS = "does not support sprints"


def get_projects(run: JiraRun) -> Iterator[Page]:
    """Every accessible project (paged /project/search)."""
    for page in run.project_pages():
        yield Page("projects", page)


def get_versions(run: JiraRun) -> Iterator[Page]:
    """Each project's versions (releases): one unpaged /project/{id}/versions call per project."""
    for project in run.scoped_projects():
        key = project["key"]
        if run.skip_forbidden(key, ("versions",)):
            continue
        try:
            versions = run.client.get_json(conf.PROJECT_VERSIONS.format(project=project["id"]))
        except DplError as exc:
            run.forbid(key, ("versions",), exc)
            continue
        if versions:
            yield Page("versions", versions, key, {"project_id": str(project["id"]), "project_key": key})


def get_catalog(run: JiraRun, stream: str) -> Iterator[Page]:
    """One unpaged catalog: fields, issue types, statuses or priorities."""
    yield Page(stream, run.client.get_json(conf.SIMPLE_CATALOGS[stream]))


def get_boards(run: JiraRun) -> Iterator[Page]:
    """Every board of the Agile API (pages of 50 until `isLast`)."""
    for page in run.board_pages():
        yield Page("boards", page)


def get_sprints(run: JiraRun) -> Iterator[Page]:
    """Sprints of every board that can have them; kanban boards are skipped by type, and a board that
    answers "The board does not support sprints" (400) simply has none."""
    for board in (b for page in run.board_pages() for b in page):
        if board.get("type") == "kanban":
            continue
        path = conf.BOARD_SPRINTS.format(board=board["id"])
        try:
            for page in run.client.paginate(
                path, paginator=JiraOffsetPaginator(conf.PAGE["sprints"]), data_selector="values"
            ):
                if page:
                    yield Page("sprints", list(page), parent={"board_id": board["id"]})
        except DplError as exc:
            if exc.status == 400 and NO_SPRINTS in exc.message:
                run.ctx.log.info("jira: board %s (%s) has no sprints", board["id"], board.get("type"))
                continue
            if exc.error_class in (ErrorClass.FORBIDDEN, ErrorClass.NOT_FOUND):
                run.ctx.record_gap("sprints", str(board["id"]), exc.error_class, exc.message)
                continue
            raise
