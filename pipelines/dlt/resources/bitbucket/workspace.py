"""What every Bitbucket resource shares within a run: the client, the chosen repositories, their branches.

The repository listing and each repository's branches are fetched once per run and reused by the
resources that need them (branches feed the commit walk), so enabling a stream never repeats a call.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator

from pipelines.dlt.streams import SyncContext
from pipelines.errors import ConfigError, DplError, ErrorClass

PAGELEN = 100  # the cap of every list but PRs and activity
SKIPPABLE = (ErrorClass.NOT_FOUND, ErrorClass.FORBIDDEN)  # a resource that vanished or is not ours to read


class Workspace:
    """One workspace in one run: paginated GETs, repository selection and per-run caches."""

    def __init__(self, ctx: SyncContext, client) -> None:
        self.ctx = ctx
        self.client = client
        self.name = ctx.secrets["workspace"]
        self.settings = ctx.settings
        self._repository_pages: list[list[dict]] | None = None
        self._branch_pages: dict[str, list[list[dict]] | None] = {}

    def pages(
        self, path: str, params: dict | None = None, counted: tuple[str, str] | None = None
    ) -> Iterator[list[dict]]:
        """Every page of a list endpoint, following the body's `next` link. `counted` (stream, scope): the
        first page's `size` (the listing's total) is noted for the progress lines' ETA."""
        for page in self.client.paginate(
            path, params=params or {}, paginator=JSONLinkPaginator(next_url_path="next"), data_selector="values"
        ):
            if counted is not None:
                body = page.response.json()
                self.ctx.expect(*counted, body.get("size") if isinstance(body, dict) else None)
                counted = None
            yield list(page)

    def skip(self, stream: str, scope: str, exc: DplError) -> None:
        """Record a gap for a vanished or unreadable resource, re-raise anything else."""
        if exc.error_class not in SKIPPABLE:
            raise exc
        self.ctx.record_gap(stream, scope, exc.error_class, exc.message)

    # -- repositories ---------------------------------------------------------------------------

    def selected(self, repo: dict) -> bool:
        """Does the repository match an `include` glob and no `exclude` glob (slug or full name)?

        A record that is not an object is kept: the runner quarantines it (and `repos()` skips it).
        """
        if not isinstance(repo, dict):
            return True
        return self.matches(self.settings, (repo.get("slug") or "", repo.get("full_name") or ""))

    @staticmethod
    def matches(settings, names: tuple[str, str]) -> bool:
        """Do (slug, full name) match an `include` glob and no `exclude` glob?"""

        def hit(patterns) -> bool:
            return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns for name in names)

        return hit(settings.option("include")) and not hit(settings.option("exclude"))

    def repository_pages(self) -> list[list[dict]]:
        """The selected repositories, one list per API page (one list for an explicit `repositories`)."""
        if self._repository_pages is None:
            explicit = self.settings.option("repositories")
            if self.ctx.scopes:  # REPO=: exactly these, each read directly
                pages = [[self.scoped_repository(slug) for slug in self.ctx.scopes]]
            elif explicit:
                found = []
                for slug in explicit:
                    try:
                        found.append(self.client.get_json(f"/repositories/{self.name}/{slug}"))
                    except DplError as exc:
                        self.skip("repositories", f"{self.name}/{slug}", exc)
                pages = [found]
            else:
                pages = list(self.pages(f"/repositories/{self.name}", {"pagelen": PAGELEN}))
            self._repository_pages = [kept for kept in ([r for r in p if self.selected(r)] for p in pages) if kept]
        return self._repository_pages

    def scoped_repository(self, slug: str) -> dict:
        """One repository a scoped run (REPO=) names; ConfigError when it cannot be read."""
        try:
            return self.client.get_json(f"/repositories/{self.name}/{slug}")
        except DplError as exc:
            if exc.error_class not in SKIPPABLE:
                raise
            raise ConfigError(
                f"REPO={slug}: no repository {self.name}/{slug} readable with these credentials ({exc.error_class})"
            ) from None

    def repos(self) -> list[dict]:
        """The selected repositories' payloads."""
        return [repo for page in self.repository_pages() for repo in page if isinstance(repo, dict)]

    # -- branches -------------------------------------------------------------------------------

    def branch_pages(self, full_name: str) -> list[list[dict]] | None:
        """The repository's branches, one list per API page; None (gap recorded) when unreadable."""
        if full_name not in self._branch_pages:
            try:
                self._branch_pages[full_name] = list(
                    self.pages(f"/repositories/{full_name}/refs/branches", {"pagelen": PAGELEN})
                )
            except DplError as exc:
                self.skip("branches", full_name, exc)
                self._branch_pages[full_name] = None
        return self._branch_pages[full_name]

    def heads(self, full_name: str) -> dict[str, str] | None:
        """{branch name: head hash}, or None when the branches could not be read."""
        pages = self.branch_pages(full_name)
        if pages is None:
            return None
        return {b["name"]: b["target"]["hash"] for page in pages for b in page if (b.get("target") or {}).get("hash")}
