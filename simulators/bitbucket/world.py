"""The Bitbucket world: a workspace of git repositories (commit DAGs, branches) and pull requests.

Generated deterministically from a seed: each repository replays a timeline of direct commits to
`main`, release branches and pull requests that end OPEN, MERGED (with a real merge commit),
DECLINED or SUPERSEDED, each with an activity log (updates, comments, approvals, changes requested).
`advance()` moves the clock three hours per step and changes one repository per step: a new commit
on main, a late push (authored two days earlier) plus a comment on an open PR, a new PR, and a merge.
"""

from __future__ import annotations

import math
import random

from simulators.bitbucket import keys
from simulators.bitbucket.model import FINAL_STATES, PAGELEN_CAP, Activity, Commit, PullRequest, Repo
from simulators.common import World

REPO_NAMES = ("web-app", "api-service", "payments", "infra-tools", "mobile-app", "data-jobs")
DEFAULT_SCALE = {
    "repos": 4,
    "prs_per_repo": 14,
    "commits_per_repo": 30,  # direct commits to main (PR branches and merges come on top)
    "big_repo_factor": 4,  # the first repository has this many times the PRs and commits (several pages)
    "anchor": keys.ANCHOR_TS,  # the world clock (epoch seconds) before any advance()
}
HISTORY_DAYS = 60
STEP_S = 3 * 3600
STATE_WEIGHTS = (25, 50, 15, 10)
LONG_DISCUSSION = 60  # activities on the first PR of the big repository (more than one page)


class BitbucketWorld(World):
    """A workspace of repositories; `advance()` pushes commits, opens, updates and merges PRs."""

    def __init__(self, seed: int, scale: dict | None = None) -> None:
        super().__init__(seed)
        unknown = set(scale or {}) - set(DEFAULT_SCALE)
        if unknown:
            raise ValueError(f"unknown bitbucket scale knob(s): {', '.join(sorted(unknown))}")
        self.scale = {**DEFAULT_SCALE, **(scale or {})}
        self.now = float(self.scale["anchor"])
        people_rng = random.Random(f"{seed}:people")
        self.users = [
            {
                "name": name,
                "nickname": nick,
                "uuid": keys.stable_uuid(people_rng),
                "account_id": f"557058:{keys.stable_uuid(people_rng)[1:-1]}",
            }
            for name, nick in keys.PEOPLE
        ]
        self.next_comment_id = 400_000_000
        self.repos: list[Repo] = []
        for index in range(int(self.scale["repos"])):
            factor = int(self.scale["big_repo_factor"]) if index == 0 else 1
            self.repos.append(
                self._generate(
                    index, int(self.scale["commits_per_repo"]) * factor, int(self.scale["prs_per_repo"]) * factor
                )
            )

    # -- lookups ------------------------------------------------------------------------------

    def repo(self, slug: str) -> Repo | None:
        """The repository with this slug, or None."""
        return next((r for r in self.repos if r.slug == slug), None)

    # -- generation ---------------------------------------------------------------------------

    def _generate(self, index: int, n_commits: int, n_prs: int) -> Repo:
        slug = REPO_NAMES[index] if index < len(REPO_NAMES) else f"service-{index}"
        rng = random.Random(f"{self.seed}:{slug}")
        start = self.now - HISTORY_DAYS * 86400
        repo = Repo(slug, keys.stable_uuid(rng), start - 86400, rng.choice(("python", "typescript", "go", "java")))
        root = self._commit(repo, rng, start, [], "Initial commit")
        repo.branches["main"] = root.hash
        events = ["commit"] * n_commits + ["pr"] * n_prs
        rng.shuffle(events)
        releases = {int(len(events) * 0.6): "release/1.0", int(len(events) * 0.85): "release/1.1"}
        gap = (HISTORY_DAYS * 86400 - 6 * 3600) / (len(events) + 2)
        pending: list[list] = []  # [countdown, pr, final state]
        t = start
        for i, event in enumerate(events):
            t = min(t + gap * rng.uniform(0.6, 1.4), self.now - 3 * 3600)
            if i in releases:
                head = self._commit(repo, rng, t, [repo.branches["main"]], f"Bump version for {releases[i]}")
                repo.branches[releases[i]] = head.hash
            if event == "commit":
                self._commit_on(repo, rng, "main", t)
            else:
                pr = self._open_pr(repo, rng, t)
                final = rng.choices(FINAL_STATES, STATE_WEIGHTS)[0]
                discussion = LONG_DISCUSSION if index == 0 and pr.id == 1 else rng.randint(0, 6)
                pending.append([rng.randint(1, 5), pr, final, discussion])
            for item in pending:
                item[0] -= 1
            for item in [p for p in pending if p[0] <= 0 or i == len(events) - 1]:
                pending.remove(item)
                _, pr, final, discussion = item
                end = t + 600 if final != "OPEN" else self.now - 3600
                self._discuss(pr, rng, pr.created + 60, end - 60, discussion)
                if final != "OPEN":
                    self._close(repo, rng, pr, final, end)
        return repo

    def _commit(self, repo: Repo, rng: random.Random, date: float, parents: list[str], message: str) -> Commit:
        commit = Commit(
            keys.sha1(self.seed, repo.slug, len(repo.commits), date),
            date,
            rng.randrange(len(self.users)),
            message,
            parents,
        )
        repo.commits[commit.hash] = commit
        return commit

    def _commit_on(self, repo: Repo, rng: random.Random, branch: str, date: float) -> Commit:
        key = keys.jira_key(rng)
        message = f"{key} {keys.summary(rng)}" if key else keys.summary(rng)
        commit = self._commit(repo, rng, date, [repo.branches[branch]], message + "\n")
        repo.branches[branch] = commit.hash
        return commit

    def _open_pr(self, repo: Repo, rng: random.Random, t: float) -> PullRequest:
        key, text = keys.jira_key(rng), keys.summary(rng)
        pr_id = len(repo.prs) + 1
        slug = keys.slugify(text)
        branch = f"feature/{key}-{slug}" if key and rng.random() < 0.8 else f"feature/{slug}"
        branch = branch.lower() if pr_id % 5 == 0 else branch  # some teams write keys in lowercase
        branch = f"{branch}-{pr_id}" if branch in repo.branches else branch
        repo.branches[branch] = repo.branches["main"]
        commits = [self._commit_on(repo, rng, branch, t - 3600 * (n + 1)) for n in reversed(range(rng.randint(1, 4)))]
        pr = PullRequest(
            pr_id,
            f"{key} {text}" if key else text,
            f"Implements {text.lower()}.",
            branch,
            "main",
            repo.branches["main"],
            commits[-1].author,
            t,
            [c.hash for c in reversed(commits)],
            close_source_branch=rng.random() < 0.6,
        )
        pr.activities.append(Activity("update", t, pr.author, state="OPEN"))
        repo.prs.append(pr)
        return pr

    def _discuss(self, pr: PullRequest, rng: random.Random, start: float, end: float, count: int) -> None:
        for n in range(count):
            when = start + (end - start) * (n + 1) / (count + 1)
            kind = rng.choices(("comment", "approval", "changes_requested"), (6, 3, 1))[0]
            self._act(pr, kind, when, rng.randrange(len(self.users)))

    def _act(self, pr: PullRequest, kind: str, when: float, user: int, state: str | None = None) -> None:
        activity = Activity(kind, when, user, state=state)
        if kind == "comment":
            self.next_comment_id += 1
            activity.comment_id = self.next_comment_id
            activity.text = f"Comment {self.next_comment_id} on #{pr.id}: looks {('good', 'risky', 'fine')[user % 3]}"
        pr.activities.append(activity)

    def _close(self, repo: Repo, rng: random.Random, pr: PullRequest, state: str, t: float) -> None:
        pr.state, pr.closed_by = state, rng.randrange(len(self.users))
        if state == "MERGED":
            merge = self._commit(
                repo,
                rng,
                t,
                [repo.branches["main"], pr.source_hash],
                f"Merged in {pr.source} (pull request #{pr.id})\n\n{pr.title}\n",
            )
            repo.branches["main"] = merge.hash
            pr.merge_commit = merge.hash
        elif state == "DECLINED":
            pr.reason = "Superseded by another approach"
        if state in ("MERGED", "DECLINED") and pr.close_source_branch:
            repo.branches.pop(pr.source, None)
        self._act(pr, "update", t, pr.closed_by, state=state)

    # -- change over time ---------------------------------------------------------------------

    def advance(self, n: int = 1) -> dict:
        """n steps of three hours; each step changes one repository (round robin)."""
        changes = []
        for _ in range(n):
            self.step += 1
            self.now += STEP_S
            changes.append(self._advance_step())
        return {"step": self.step, "now": self.now, "changes": changes}

    def _advance_step(self) -> dict:
        rng = random.Random(f"{self.seed}:step:{self.step}")
        repo = self.repos[(self.step - 1) % len(self.repos)]
        t = self.now
        change = {"repo": repo.full_name, "new_commits": [], "updated_prs": [], "new_prs": [], "merged_prs": []}
        change["new_commits"].append(self._commit_on(repo, rng, "main", t - 1800).hash)
        open_prs = [p for p in repo.prs if p.state == "OPEN" and p.source in repo.branches]
        if open_prs:
            pr = open_prs[-1]
            late = self._commit_on(repo, rng, pr.source, t - 2 * 86400)  # authored long before it is pushed
            pr.commits.insert(0, late.hash)
            change["new_commits"].append(late.hash)
            self._act(pr, "update", t - 900, pr.author, state="OPEN")
            self._act(pr, "comment", t - 600, rng.randrange(len(self.users)))
            change["updated_prs"].append(pr.id)
        new = self._open_pr(repo, rng, t - 1200)
        change["new_prs"].append(new.id)
        change["new_commits"].extend(new.commits)
        if len(open_prs) > 1:
            oldest = open_prs[0]
            self._close(repo, rng, oldest, "MERGED", t - 300)
            change["merged_prs"].append(oldest.id)
            change["new_commits"].append(oldest.merge_commit)
        return change

    # -- efficiency reference -----------------------------------------------------------------

    def min_calls(self, repos: list[str] | None = None) -> dict[str, int]:
        """The fewest API calls a full sync of every stream needs, per stream and in total.

        One listing page per 100 repositories; per repository one page per 100 branches and per
        100 commits (one walk of every branch), one page per 50 PRs (all states in one query);
        per PR one page per 50 activities and per 100 commits. An empty list still costs a call.
        """
        chosen = [r for r in self.repos if repos is None or r.slug in repos]

        def pages(count: int, size: int) -> int:
            return max(1, math.ceil(count / size))

        calls = {
            "repositories": pages(len(chosen), 100),
            "branches": sum(pages(len(r.branches), 100) for r in chosen),
            "commits": sum(pages(len(r.log([], [])), 100) for r in chosen),
            "pull_requests": sum(pages(len(r.prs), PAGELEN_CAP["pullrequests"]) for r in chosen),
            "pr_activities": sum(pages(len(p.activities), PAGELEN_CAP["activity"]) for r in chosen for p in r.prs),
            "pr_commits": sum(pages(len(p.commits), 100) for r in chosen for p in r.prs),
        }
        calls["total"] = sum(calls.values())
        return calls
