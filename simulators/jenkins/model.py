"""The Jenkins world's data: jobs (folders, multibranch projects, freestyle and pipeline jobs) and builds."""

from __future__ import annotations

import dataclasses

FREESTYLE = ("hudson.model.FreeStyleProject", "hudson.model.FreeStyleBuild")
PIPELINE = ("org.jenkinsci.plugins.workflow.job.WorkflowJob", "org.jenkinsci.plugins.workflow.job.WorkflowRun")
FOLDER = "com.cloudbees.hudson.plugins.folder.Folder"
MULTIBRANCH = "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject"
RESULTS = ("SUCCESS", "FAILURE", "UNSTABLE", "ABORTED")
RESULT_WEIGHTS = (75, 12, 8, 5)
DEPLOY_RESULT_WEIGHTS = (86, 6, 3, 5)  # deployments fail less often than builds


@dataclasses.dataclass
class Build:
    """A build: `timestamp` in epoch ms, `sha` the commit built, `changes` its change set (oldest first)."""

    number: int
    timestamp: int  # ms
    duration: int
    result: str | None
    sha: str
    changes: list[str]  # commit hashes, oldest first
    cause: dict
    params: list[dict] | None = None
    building: bool = False
    queue_id: int = 0


@dataclasses.dataclass
class Job:
    """A folder, multibranch project or job; `builds` newest first."""

    full_name: str
    cls: str
    repo: str | None = None
    branch: str | None = None
    builds: list[Build] = dataclasses.field(default_factory=list)  # newest first
    children: list[Job] = dataclasses.field(default_factory=list)
    forbidden: bool = False
    vanished: bool = False
    kind: str = "scm"  # scm | timer | deploy | rollback | branch

    @property
    def name(self) -> str:
        """The last path segment of the full name."""
        return self.full_name.rsplit("/", 1)[-1]

    @property
    def is_folder(self) -> bool:
        """A container of jobs (folder or multibranch project)."""
        return self.cls in (FOLDER, MULTIBRANCH)

    @property
    def build_class(self) -> str:
        """`_class` of this job's builds."""
        return FREESTYLE[1] if self.cls == FREESTYLE[0] else PIPELINE[1]
