"""Jira catalog resources: projects, versions, fields, issue types, statuses, priorities, boards, sprints.

A catalog is re-read whole, but only when due (`SyncContext.refresh_due`: full and backfill runs, a run
naming it, or its unit schedule — `every 24h` by default — since its last complete refresh) or when
the issues this run read show it changed (`JiraRun.evidence`: a sprint started or closed, or a version
released, after the catalog's last refresh). A complete refresh ends with an empty page whose
checkpoint, the run's start, becomes the catalog's `*` cursor; `projects` also leaves one cursor per
project listed, so that runs between refreshes know the projects' keys without /project/search.
"""

from __future__ import annotations

from collections.abc import Iterator

from pipelines.dlt.http import ordered_map
from pipelines.dlt.resources.jira import settings as conf
from pipelines.dlt.resources.jira.run import JiraOffsetPaginator, JiraRun
from pipelines.dlt.streams import Page
from pipelines.errors import DplError, ErrorClass

NO_SPRINTS = "does not support sprints"


def get_projects(run: JiraRun) -> Iterator[Page]:
    """Every accessible project (paged /project/search), then the refresh's checkpoints."""
    if not run.refreshes("projects"):
        return
    for page in run.project_pages():
        yield Page("projects", page)
    for project in (p for page in run.project_pages() for p in page):
        yield run.ctx.refreshed_checkpoint("projects", project["key"])
    yield run.ctx.refreshed_checkpoint("projects")


def get_versions(run: JiraRun) -> Iterator[Page]:
    """Each project's versions (releases): one unpaged /project/{id}/versions call per project, concurrently."""
    if not run.refreshes("versions"):
        return
    projects = [p for p in run.scope(run.listed_projects()) if not run.skip_forbidden(p["key"], ("versions",))]
    for project, answer in zip(
        projects, ordered_map(_versions_of(run), projects, run.ctx.max_concurrency), strict=True
    ):
        if isinstance(answer, DplError):
            run.forbid(project["key"], ("versions",), answer)
        elif answer:
            key = project["key"]
            yield Page("versions", answer, key, {"project_id": str(project["id"]), "project_key": key})
    yield run.ctx.refreshed_checkpoint("versions")


def _versions_of(run: JiraRun):
    def versions(project: dict):
        try:
            return run.client.get_json(conf.PROJECT_VERSIONS.format(project=project["id"]))
        except DplError as exc:  # handled in the caller's thread, in project order
            return exc

    return versions


def get_catalog(run: JiraRun, stream: str) -> Iterator[Page]:
    """One unpaged catalog: fields, issue types, statuses or priorities."""
    if not run.refreshes(stream):
        return
    yield Page(stream, run.client.get_json(conf.SIMPLE_CATALOGS[stream]))
    yield run.ctx.refreshed_checkpoint(stream)


def get_boards(run: JiraRun) -> Iterator[Page]:
    """Every board of the Agile API (pages of 50 until `isLast`)."""
    if not run.refreshes("boards"):
        return
    for page in run.board_pages():
        yield Page("boards", page)
    yield run.ctx.refreshed_checkpoint("boards")


def get_sprints(run: JiraRun) -> Iterator[Page]:
    """Sprints of every board that can have them, boards read concurrently; kanban boards are skipped by
    type, and a board that answers "The board does not support sprints" (400) simply has none."""
    if not run.refreshes("sprints"):
        return
    boards = [b for page in run.board_pages() for b in page if b.get("type") != "kanban"]
    answers = ordered_map(_sprints_of(run), boards, run.ctx.max_concurrency)
    for board, answer in zip(boards, answers, strict=True):
        if isinstance(answer, DplError):
            if answer.status == 400 and NO_SPRINTS in answer.message:
                run.ctx.log.info("jira: board %s (%s) has no sprints", board["id"], board.get("type"))
            elif answer.error_class in (ErrorClass.FORBIDDEN, ErrorClass.NOT_FOUND):
                run.ctx.record_gap("sprints", str(board["id"]), answer.error_class, answer.message)
            else:
                raise answer
            continue
        for page in answer:
            yield Page("sprints", page, parent={"board_id": board["id"]})
    yield run.ctx.refreshed_checkpoint("sprints")


def _sprints_of(run: JiraRun):
    def sprints(board: dict):
        path = conf.BOARD_SPRINTS.format(board=board["id"])
        paginator = JiraOffsetPaginator(conf.PAGE["sprints"])
        try:
            return [
                list(page) for page in run.client.paginate(path, paginator=paginator, data_selector="values") if page
            ]
        except DplError as exc:  # handled in the caller's thread, in board order
            return exc

    return sprints
