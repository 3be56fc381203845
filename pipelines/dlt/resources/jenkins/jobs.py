"""The job tree of a Jenkins controller: folders, multibranch projects and jobs, recursively.

One `tree=`-limited call lists `folder_depth` levels of nested `jobs` at once; a container at the
deepest level (or one whose `jobs` the listing did not show, e.g. a folder we may not read) gets its
own call from there, so any depth is covered. A folder answering 403 or 404 is a recorded gap, not a
failed run. The listing is made once per run and shared by the `jobs` and `builds` resources.
"""

from __future__ import annotations

import fnmatch
from urllib.parse import quote

from pipelines.dlt.streams import SyncContext
from pipelines.errors import ConfigError, DplError, ErrorClass

JOB_FIELDS = (
    "_class,name,fullName,url,color,buildable,description,inQueue,nextBuildNumber,"
    "firstBuild[number,timestamp],lastBuild[number],lastCompletedBuild[number]"
)
CONTAINER_MARKS = ("Folder", "MultiBranchProject")  # Folder, OrganizationFolder, WorkflowMultiBranchProject
SKIPPABLE = (ErrorClass.FORBIDDEN, ErrorClass.NOT_FOUND)


def job_path(full_name: str) -> str:
    """`/job/a/job/b` for `a/b`; names are quoted as they are (a branch job `feature%2Fx` stays so)."""
    return "".join(f"/job/{quote(name, safe='')}" for name in full_name.split("/"))


def listing_tree(depth: int) -> str:
    """`jobs[<fields>,jobs[<fields>,...]]` nested `depth` levels."""
    tree = f"jobs[{JOB_FIELDS}]"
    for _ in range(depth - 1):
        tree = f"jobs[{JOB_FIELDS},{tree}]"
    return tree


def is_container(item: dict) -> bool:
    """A folder-like item (it holds jobs, it is not built itself)."""
    return "jobs" in item or any(mark in str(item.get("_class", "")) for mark in CONTAINER_MARKS)


class JobTree:
    """Every item of the controller (as the listing returned it), depth first, selected by globs."""

    def __init__(self, ctx: SyncContext, client) -> None:
        self.ctx = ctx
        self.client = client
        settings = ctx.settings
        self.depth = int(settings.option("folder_depth"))
        self.include = settings.option("include")
        self.exclude = settings.option("exclude")
        self._items: list[dict] | None = None

    def selected(self, full_name: str) -> bool:
        """Does the full name match an `include` glob and no `exclude` glob?"""
        return self.matches(self.ctx.settings, full_name)

    @staticmethod
    def matches(settings, full_name: str) -> bool:
        """Does the full name match an `include` glob and no `exclude` glob of these settings?"""
        return any(fnmatch.fnmatchcase(full_name, p) for p in settings.option("include")) and not any(
            fnmatch.fnmatchcase(full_name, p) for p in settings.option("exclude")
        )

    def items(self) -> list[dict]:
        """All items, folders included, whether selected or not."""
        if self._items is None:
            self._items = []
            self._collect(self.client.get_json("/api/json", {"tree": listing_tree(self.depth)}).get("jobs") or [], 1)
        return self._items

    def jobs(self) -> list[dict]:
        """Selected items that can have builds (not containers); in a scoped run (JOB=), those it names."""
        jobs = [
            i
            for i in self.items()
            if isinstance(i, dict) and i.get("fullName") and not is_container(i) and self.selected(i["fullName"])
        ]
        return self.units(jobs) if self.ctx.scopes else jobs

    def units(self, jobs: list[dict]) -> list[dict]:
        """The jobs a JOB= value names (itself, or every job of a folder); ConfigError for one naming none."""

        def named(job: dict, name: str) -> bool:
            return job["fullName"] == name or job["fullName"].startswith(name + "/")

        missing = [name for name in self.ctx.scopes if not any(named(job, name) for job in jobs)]
        if missing:
            shown = ", ".join(sorted(j["fullName"] for j in jobs)[:20]) + (", ..." if len(jobs) > 20 else "")
            raise ConfigError(
                f"JOB={','.join(missing)}: no such job (or folder of jobs) on the controller; jobs: {shown or 'none'}"
            )
        return [job for job in jobs if any(named(job, name) for name in self.ctx.scopes)]

    def _collect(self, items: list[dict], level: int) -> None:
        for item in items:
            if not isinstance(item, dict):
                self._items.append(item)  # the runner quarantines it
                continue
            name = item.get("fullName") or item.get("name") or ""
            if is_container(item) and any(fnmatch.fnmatchcase(name, p) for p in self.exclude):
                continue  # an excluded folder is not descended into
            self._items.append(item)
            if not is_container(item):
                continue
            if "jobs" in item and level < self.depth:
                self._collect(item["jobs"] or [], level + 1)
                continue
            try:
                body = self.client.get_json(f"{job_path(name)}/api/json", {"tree": listing_tree(self.depth)})
            except DplError as exc:
                if exc.error_class not in SKIPPABLE:
                    raise
                self.ctx.record_gap("jobs", name, exc.error_class, f"folder not listed: {exc.message}")
                continue
            self._collect(body.get("jobs") or [], 1)
