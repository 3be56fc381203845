"""The Jenkins world: nested folders, a multibranch project, freestyle and pipeline jobs, builds.

Builds point at commits of the Bitbucket world built from the same seed (a private mirror of it,
advanced in step with this world), so `lastBuiltRevision.SHA1` and change-set `commitId`s exist in
the Bitbucket simulator started with the same seed and advanced the same number of steps.
Change sets list every commit new since the job's previous build (`git log prev..head`, so the commits of
merged pull requests too). `deploy-prod` deploys the API service a few times a week; `deploy-prod-rollback`
redeploys the previous version a couple of hours after some of those deployments.
Traps: a job with more than 100 builds (and builds deleted by retention), a running build that
finishes on `advance()`, an older build still running behind a finished newer one, a job without
builds, freestyle `changeSet` vs pipeline `changeSets`, branch jobs named `feature%2F...`;
optionally (scale) a folder the user may not read (403) and a listed job that is gone (404).
"""

from __future__ import annotations

import itertools
import math
import random

from simulators.bitbucket import keys
from simulators.bitbucket.model import Repo
from simulators.bitbucket.world import BitbucketWorld
from simulators.common import World
from simulators.jenkins.model import (
    DEPLOY_RESULT_WEIGHTS,
    FOLDER,
    FREESTYLE,
    MULTIBRANCH,
    PIPELINE,
    RESULT_WEIGHTS,
    RESULTS,
    Build,
    Job,
)

DEFAULT_SCALE = {
    "jobs": 2,  # extra freestyle jobs under tools/
    "builds_per_job": 12,
    "big_job_builds": 130,  # platform/nightly-integration: more than the 100 `builds` shows
    "forbidden_folder": False,  # a listed folder answering 403
    "vanished_job": False,  # a listed job answering 404
    "bitbucket": None,  # the Bitbucket simulator's scale, to build the same commits
}


class JenkinsWorld(World):
    """Jobs and builds; `advance()` finishes running builds and adds new ones on new commits."""

    def __init__(self, seed: int, scale: dict | None = None) -> None:
        super().__init__(seed)
        unknown = set(scale or {}) - set(DEFAULT_SCALE)
        if unknown:
            raise ValueError(f"unknown jenkins scale knob(s): {', '.join(sorted(unknown))}")
        self.scale = {**DEFAULT_SCALE, **(scale or {})}
        self.git = BitbucketWorld(seed, self.scale["bitbucket"])
        self.users = [name for name, _ in keys.PEOPLE]
        self.next_queue_id = 1000
        self.root: list[Job] = []
        self._build_tree()

    # -- tree ---------------------------------------------------------------------------------

    def _build_tree(self) -> None:
        slugs = [r.slug for r in self.git.repos]
        big, api = slugs[0], slugs[1 % len(slugs)]
        payments = slugs[2 % len(slugs)]
        n = int(self.scale["builds_per_job"])
        services = Job(
            "platform/services",
            FOLDER,
            children=[
                self._job(f"platform/services/{api}-build", FREESTYLE[0], api, "main", n),
                self._job(f"platform/services/{payments}-pipeline", PIPELINE[0], payments, "main", n),
            ],
        )
        nightly = self._job(
            "platform/nightly-integration", PIPELINE[0], big, "main", int(self.scale["big_job_builds"]), kind="timer"
        )
        platform = Job("platform", FOLDER, children=[services, nightly])
        branches = self._branch_jobs(self.git.repos[0])
        apps = Job("apps", FOLDER, children=[Job(f"apps/{big}", MULTIBRANCH, repo=big, children=branches)])
        tools = Job(
            "tools",
            FOLDER,
            children=[Job("tools/empty-job", FREESTYLE[0])]
            + [
                self._job(f"tools/{slugs[i % len(slugs)]}-lint-{i}", FREESTYLE[0], slugs[i % len(slugs)], "main", n)
                for i in range(int(self.scale["jobs"]))
            ],
        )
        deploy = self._job("deploy-prod", FREESTYLE[0], api, "main", max(2 * n, 1), kind="deploy")
        self.root = [deploy, self._rollbacks(deploy), platform, apps, tools]
        if self.scale["forbidden_folder"]:
            self.root.append(
                Job(
                    "secret-ops",
                    FOLDER,
                    forbidden=True,
                    children=[self._job("secret-ops/rotate-keys", FREESTYLE[0], api, "main", 3)],
                )
            )
        if self.scale["vanished_job"]:
            ghost = self._job("tools/ghost-job", FREESTYLE[0], api, "main", 5)
            ghost.vanished = True  # still in the cached listing, gone when asked for
            tools.children.append(ghost)
        # Retention deleted the oldest builds of the big job and one in the middle.
        nightly.builds = [b for b in nightly.builds if b.number > 7 and b.number != 60]
        self._job_named(f"platform/services/{api}-build").builds[0].building = True
        main_job = branches[0]
        if len(main_job.builds) > 1:
            main_job.builds[1].building = True  # an older build still running behind a finished one
        for job in self.jobs():
            for build in job.builds:
                if build.building:
                    build.result, build.duration = None, 0

    def _branch_jobs(self, repo: Repo) -> list[Job]:
        open_prs = [p for p in repo.prs if p.state == "OPEN" and p.source in repo.branches][:2]
        names = ["main", *[b for b in sorted(repo.branches) if b.startswith("release/")][:1]]
        jobs = [
            self._job(f"apps/{repo.slug}/{b.replace('/', '%2F')}", PIPELINE[0], repo.slug, b, 8, kind="branch")
            for b in names + [p.source for p in open_prs[:1]]
        ]
        jobs += [
            self._job(f"apps/{repo.slug}/PR-{p.id}", PIPELINE[0], repo.slug, p.source, 3, kind="branch")
            for p in open_prs[1:]
        ]
        return jobs

    def _job(self, full_name: str, cls: str, repo: str, branch: str, count: int, kind: str = "scm") -> Job:
        job = Job(full_name, cls, repo, branch, kind=kind)
        rng = random.Random(f"{self.seed}:{full_name}")
        chain = self.chain(repo, branch)
        start, end = chain[0].date, self.git.now - 3600
        previous = None
        for number in range(1, count + 1):
            when = start + (end - start) * number / (count + 1)
            upto = [c for c in chain if c.date <= when] or chain[:1]
            changes = self._changes(repo, upto[-1].hash, previous.hash if previous else None)
            job.builds.insert(0, self._build(job, number, when, upto[-1], changes, rng))
            previous = upto[-1]
        return job

    def _changes(self, slug: str, head: str, since: str | None) -> list[str]:
        """Commits reachable from `head` but not from `since` (the last 20, oldest first): a git change set."""
        log = self.git.repo(slug).log([head], [since] if since else [])
        return [c.hash for c in reversed(log[:20])]

    def _rollbacks(self, deploy: Job) -> Job:
        """A job redeploying the previous version 1-3 hours after about one in seven successful deployments."""
        job = Job("deploy-prod-rollback", FREESTYLE[0], deploy.repo, "main", kind="rollback")
        rng = random.Random(f"{self.seed}:{job.full_name}")
        finished = [b for b in reversed(deploy.builds) if b.result == "SUCCESS"]
        for previous, bad in itertools.pairwise(finished[:-1]):
            if rng.random() < 1 / 7:
                when = (bad.timestamp + bad.duration) / 1000 + rng.uniform(3600, 3 * 3600)
                commit = self.git.repo(deploy.repo).commits[previous.sha]
                build = self._build(job, len(job.builds) + 1, when, commit, [], rng)
                build.result, build.params = "SUCCESS", [p for p in previous.params if p["name"] != "DRY_RUN"]
                job.builds.insert(0, build)
        return job

    def _build(self, job: Job, number: int, when: float, commit, changes: list[str], rng: random.Random) -> Build:
        self.next_queue_id += 1
        build = Build(
            number,
            int(when * 1000),
            rng.randint(20_000, 900_000),
            rng.choices(RESULTS, DEPLOY_RESULT_WEIGHTS if job.kind == "deploy" else RESULT_WEIGHTS)[0],
            commit.hash,
            changes,
            self._cause(job, number, rng),
            queue_id=self.next_queue_id,
        )
        if job.kind == "deploy":
            string, boolean = "hudson.model.StringParameterValue", "hudson.model.BooleanParameterValue"
            build.params = [
                {"_class": string, "name": "VERSION", "value": f"1.0.{number}"},
                {"_class": string, "name": "GIT_COMMIT", "value": commit.hash},
                {"_class": boolean, "name": "DRY_RUN", "value": False},
            ]
        return build

    def _cause(self, job: Job, number: int, rng: random.Random) -> dict:
        if job.kind == "timer":
            return {"_class": "hudson.triggers.TimerTrigger$TimerTriggerCause", "shortDescription": "Started by timer"}
        if job.kind == "branch":
            return {
                "_class": "jenkins.branch.BranchEventCause",
                "shortDescription": f"Push event to branch {job.branch}",
            }
        if job.kind == "rollback":
            user = rng.choice(self.users)
            return {
                "_class": "hudson.model.Cause$UserIdCause",
                "shortDescription": f"Started by user {user}",
                "userId": user.split()[0].lower(),
                "userName": user,
            }
        if job.kind == "deploy":
            upstream = f"platform/services/{job.repo}-build"
            return {
                "_class": "hudson.model.Cause$UpstreamCause",
                "shortDescription": f'Started by upstream project "{upstream}" build number {number}',
                "upstreamBuild": number,
                "upstreamProject": upstream,
                "upstreamUrl": "job/" + "/job/".join(upstream.split("/")) + "/",
            }
        if rng.random() < 0.2:
            user = rng.choice(self.users)
            return {
                "_class": "hudson.model.Cause$UserIdCause",
                "shortDescription": f"Started by user {user}",
                "userId": user.split()[0].lower(),
                "userName": user,
            }
        return {"_class": "hudson.triggers.SCMTrigger$SCMTriggerCause", "shortDescription": "Started by an SCM change"}

    # -- lookups ------------------------------------------------------------------------------

    def chain(self, slug: str, branch: str) -> list:
        """First-parent history of a branch in the mirrored Bitbucket world, oldest first."""
        repo = self.git.repo(slug)
        head = repo.branches.get(branch) or repo.branches["main"]
        commits = []
        while head:
            commit = repo.commits[head]
            commits.append(commit)
            head = commit.parents[0] if commit.parents else None
        return commits[::-1]

    def jobs(self, items: list[Job] | None = None) -> list[Job]:
        """Every item, depth first (folders included)."""
        out = []
        for job in self.root if items is None else items:
            out.append(job)
            out.extend(self.jobs(job.children))
        return out

    def _job_named(self, full_name: str) -> Job:
        return next(j for j in self.jobs() if j.full_name == full_name)

    def find(self, names: list[str]) -> tuple[Job | None, bool]:
        """The item at a path of names, and whether the path crosses a folder the user may not read."""
        items, job, forbidden = self.root, None, False
        for name in names:
            job = next((j for j in items if j.name == name), None)
            if job is None:
                return None, forbidden
            forbidden = forbidden or job.forbidden
            items = job.children
        return job, forbidden

    # -- change over time ---------------------------------------------------------------------

    def advance(self, n: int = 1) -> dict:
        """n steps: running builds finish; jobs on the changed repository build its new head."""
        summary = {"finished": [], "new": []}
        for _ in range(n):
            self.step += 1
            change = self.git.advance(1)["changes"][0]
            rng = random.Random(f"{self.seed}:jenkins-step:{self.step}")
            for job in self.jobs():
                for build in job.builds:
                    if build.building:
                        build.building, build.result = False, rng.choices(RESULTS, RESULT_WEIGHTS)[0]
                        build.duration = rng.randint(60_000, 600_000)
                        summary["finished"].append(f"{job.full_name}#{build.number}")
            slug = change["repo"].split("/", 1)[1]
            started = [
                j
                for j in self.jobs()
                if j.repo == slug
                and j.branch == "main"
                and j.kind != "rollback"
                and not j.is_folder
                and not j.vanished
                and j.builds
            ]
            started += [j for j in self.jobs() if j.kind in ("timer", "deploy") and j not in started]
            for index, job in enumerate(started):
                self._rebuild(job, rng, running=index == 0)
                summary["new"].append(f"{job.full_name}#{job.builds[0].number}")
        return {"step": self.step, "now": self.git.now, **summary}

    def _rebuild(self, job: Job, rng: random.Random, running: bool) -> None:
        chain = self.chain(job.repo, job.branch)
        last = job.builds[0]
        changes = self._changes(job.repo, chain[-1].hash, last.sha)
        build = self._build(job, last.number + 1, self.git.now - 120, chain[-1], changes, rng)
        if running:
            build.building, build.result, build.duration = True, None, 0
        job.builds.insert(0, build)

    # -- efficiency reference -----------------------------------------------------------------

    def min_calls(self, page_size: int = 100, queue: bool = False) -> dict[str, int]:
        """The fewest calls of a full sync: one job listing (nested `tree=`), plus one per unreadable
        folder; per job with builds one `allBuilds{M,N}` range per `page_size` builds (one per gone job)."""
        items = self.jobs()
        calls = {
            "jobs": 1 + sum(1 for j in items if j.forbidden),
            "builds": sum(
                math.ceil(len(j.builds) / page_size)
                for j in items
                if not j.is_folder and j.builds and not j.vanished and not self._hidden(j)
            )
            + sum(1 for j in items if j.vanished),
            "queue": 1 if queue else 0,
        }
        calls["total"] = sum(calls.values())
        return calls

    def _hidden(self, job: Job) -> bool:
        return any(j.forbidden and job.full_name.startswith(j.full_name + "/") for j in self.jobs())
