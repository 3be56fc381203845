"""JSON objects of the Jenkins remote API (`/api/json`): instance, folders, jobs, builds, queue.

Shapes follow ../shared/fixtures/jenkins (jenkins-rest, devlake, conjur): `_class` on every object,
actions with `{}` for classes that export nothing, `changeSet` on freestyle builds and `changeSets`
on pipeline runs. `allBuilds` and nested `jobs` are `Lazy`: only computed when a tree selects them.
"""

from __future__ import annotations

import time
from urllib.parse import quote, unquote

from simulators.bitbucket.model import WORKSPACE
from simulators.jenkins.model import FREESTYLE, MULTIBRANCH, Build, Job
from simulators.jenkins.tree import Lazy, resolve
from simulators.jenkins.world import JenkinsWorld

REF_KEYS = ("_class", "number", "url", "name", "color")


def job_url(base: str, full_name: str) -> str:
    """`<base>/job/a/job/b/`, each name URL-quoted (so `feature%2Fx` becomes `feature%252Fx`)."""
    return base + "/" + "".join(f"job/{quote(name, safe='')}/" for name in full_name.split("/"))


def display(full_name: str) -> str:
    """`a » b`, as Jenkins shows full display names."""
    return " » ".join(unquote(name) for name in full_name.split("/"))


def instance(world: JenkinsWorld, base: str) -> dict:
    """`/api/json` of the instance."""
    return {
        "_class": "hudson.model.Hudson",
        "assignedLabels": [{"name": "built-in"}],
        "mode": "NORMAL",
        "nodeDescription": "the Jenkins controller's built-in node",
        "nodeName": "",
        "numExecutors": 2,
        "description": None,
        "jobs": Lazy(lambda: [item(world, job, base) for job in world.root]),
        "primaryView": {"_class": "hudson.model.AllView", "name": "all", "url": f"{base}/"},
        "quietingDown": False,
        "slaveAgentPort": -1,
        "useCrumbs": True,
        "useSecurity": True,
        "views": [{"_class": "hudson.model.AllView", "name": "all", "url": f"{base}/"}],
    }


def item(world: JenkinsWorld, job: Job, base: str) -> dict:
    """A folder, multibranch project or job."""
    return folder(world, job, base) if job.is_folder else project(world, job, base)


def folder(world: JenkinsWorld, job: Job, base: str) -> dict:
    """A folder or multibranch project; an unreadable folder shows no `jobs`."""
    url = job_url(base, job.full_name)
    body = {
        "_class": job.cls,
        "actions": [{}, {"_class": "com.cloudbees.plugins.credentials.ViewCredentialsAction"}],
        "description": None,
        "displayName": unquote(job.name),
        "displayNameOrNull": None,
        "fullDisplayName": display(job.full_name),
        "fullName": job.full_name,
        "name": job.name,
        "url": url,
        "healthReport": [],
        "primaryView": {"_class": "hudson.model.AllView", "name": "All", "url": url},
        "views": [{"_class": "hudson.model.AllView", "name": "All", "url": url}],
    }
    if not job.forbidden:  # the listing shows the folder, not what is inside
        body["jobs"] = Lazy(lambda: [item(world, child, base) for child in job.children])
    if job.cls == MULTIBRANCH:
        body["sources"] = [{"_class": "jenkins.branch.BranchSource"}]
    return body


def project(world: JenkinsWorld, job: Job, base: str) -> dict:
    """A freestyle or pipeline job."""
    builds = job.builds
    finished = [b for b in builds if not b.building]
    url = job_url(base, job.full_name)

    def ref(matching):
        build = next((b for b in builds if matching(b)), None)
        if build is None:
            return None
        number = build.number
        return {"_class": job.build_class, "number": number, "url": f"{url}{number}/", "timestamp": build.timestamp}

    last = builds[0] if builds else None
    color = "notbuilt" if not finished else {"SUCCESS": "blue", "UNSTABLE": "yellow"}.get(finished[0].result, "red")
    body = {
        "_class": job.cls,
        "actions": [{}, {"_class": "hudson.plugins.jobConfigHistory.JobConfigHistoryProjectAction"}],
        "description": f"Builds {job.repo}@{job.branch}" if job.repo else "",
        "displayName": unquote(job.name),
        "displayNameOrNull": None,
        "fullDisplayName": display(job.full_name),
        "fullName": job.full_name,
        "name": job.name,
        "url": url,
        "buildable": True,
        "builds": Lazy(lambda: [build(world, job, b, base) for b in builds[:100]]),
        "allBuilds": Lazy(lambda: [build(world, job, b, base) for b in builds]),
        "color": color + ("_anime" if last and last.building else ""),
        "firstBuild": ref(lambda b: b is builds[-1]),
        "healthReport": [
            {
                "description": "Build stability: No recent builds failed.",
                "iconClassName": "icon-health-80plus",
                "iconUrl": "health-80plus.png",
                "score": 100,
            }
        ]
        if finished
        else [],
        "inQueue": False,
        "keepDependencies": False,
        "lastBuild": ref(lambda b: True),
        "lastCompletedBuild": ref(lambda b: not b.building),
        "lastFailedBuild": ref(lambda b: b.result == "FAILURE"),
        "lastStableBuild": ref(lambda b: b.result == "SUCCESS"),
        "lastSuccessfulBuild": ref(lambda b: b.result in ("SUCCESS", "UNSTABLE")),
        "lastUnstableBuild": ref(lambda b: b.result == "UNSTABLE"),
        "lastUnsuccessfulBuild": ref(lambda b: b.result not in (None, "SUCCESS")),
        "nextBuildNumber": (last.number + 1) if last else 1,
        "property": [],
        "queueItem": None,
        "concurrentBuild": job.cls != FREESTYLE[0],
        "disabled": False,
    }
    if job.kind == "deploy":
        body["property"] = [
            {
                "_class": "hudson.model.ParametersDefinitionProperty",
                "parameterDefinitions": [
                    {
                        "_class": "hudson.model.StringParameterDefinition",
                        "name": "VERSION",
                        "type": "StringParameterDefinition",
                    },
                    {
                        "_class": "hudson.model.StringParameterDefinition",
                        "name": "GIT_COMMIT",
                        "type": "StringParameterDefinition",
                    },
                    {
                        "_class": "hudson.model.BooleanParameterDefinition",
                        "name": "DRY_RUN",
                        "type": "BooleanParameterDefinition",
                    },
                ],
            }
        ]
    return body


def build(world: JenkinsWorld, job: Job, item: Build, base: str) -> dict:
    """A build (`/job/.../<n>/api/json`)."""
    url = f"{job_url(base, job.full_name)}{item.number}/"
    remote = f"https://bitbucket.org/{WORKSPACE}/{job.repo}.git"
    actions = []
    if item.params is not None:
        actions.append({"_class": "hudson.model.ParametersAction", "parameters": item.params})
    actions += [
        {"_class": "hudson.model.CauseAction", "causes": [item.cause]},
        {},
        {
            "_class": "hudson.plugins.git.util.BuildData",
            "lastBuiltRevision": {
                "SHA1": item.sha,
                "branch": [{"SHA1": item.sha, "name": f"refs/remotes/origin/{job.branch}"}],
            },
            "remoteUrls": [remote],
            "scmName": "",
        },
        {},
        {"_class": "org.jenkinsci.plugins.displayurlapi.actions.RunDisplayAction"},
    ]
    body = {
        "_class": job.build_class,
        "actions": actions,
        "artifacts": [],
        "building": item.building,
        "description": None,
        "displayName": f"#{item.number}",
        "duration": item.duration,
        "estimatedDuration": 240_000,
        "executor": {"_class": "hudson.model.OneOffExecutor"} if item.building else None,
        "fullDisplayName": f"{display(job.full_name)} #{item.number}",
        "id": str(item.number),
        "keepLog": False,
        "number": item.number,
        "queueId": item.queue_id,
        "result": item.result,
        "timestamp": item.timestamp,
        "url": url,
        "culprits": [],
    }
    items = [change(world, job, h) for h in item.changes]
    change_set = {"_class": "hudson.plugins.git.GitChangeSetList", "items": items, "kind": "git"}
    if job.cls == FREESTYLE[0]:
        body["builtOn"] = ""
        body["changeSet"] = change_set
    else:
        actions.append({"_class": "org.jenkinsci.plugins.workflow.job.views.FlowGraphAction"})
        body["changeSets"] = [change_set] if item.changes else []
        body["inProgress"] = item.building
    return body


def change(world: JenkinsWorld, job: Job, sha: str) -> dict:
    """A `GitChangeSet` entry for a commit of the mirrored Bitbucket world."""
    commit = world.git.repo(job.repo).commits[sha]
    person = world.git.users[commit.author]
    return {
        "_class": "hudson.plugins.git.GitChangeSet",
        "affectedPaths": [f"src/{job.repo}/module_{int(sha[:2], 16) % 7}.py"],
        "commitId": sha,
        "timestamp": int(commit.date * 1000),
        "author": {"absoluteUrl": f"http://jenkins/user/{person['nickname']}", "fullName": person["name"]},
        "authorEmail": f"{person['nickname']}@example.com",
        "comment": commit.message,
        "date": time.strftime("%Y-%m-%d %H:%M:%S +0000", time.gmtime(commit.date)),
        "id": sha,
        "msg": commit.message.splitlines()[0],
        "paths": [{"editType": "edit", "file": f"src/{job.repo}/module_{int(sha[:2], 16) % 7}.py"}],
    }


def queue(world: JenkinsWorld, base: str) -> dict:
    """`/queue/api/json`: a couple of waiting items that change with every step."""
    waiting = [j for j in world.jobs() if not j.is_folder and j.builds][world.step % 3 :: 5][:2]
    now = int(world.git.now * 1000)
    scm = {"_class": "hudson.triggers.SCMTrigger$SCMTriggerCause", "shortDescription": "Started by an SCM change"}
    return {
        "_class": "hudson.model.Queue",
        "discoverableItems": [],
        "items": [
            {
                "_class": "hudson.model.Queue$WaitingItem",
                "actions": [{"_class": "hudson.model.CauseAction", "causes": [scm]}],
                "blocked": False,
                "buildable": False,
                "id": 9000 + world.step * 10 + index,
                "inQueueSince": now - 4000,
                "params": "",
                "stuck": False,
                "task": {"_class": job.cls, "name": job.name, "url": job_url(base, job.full_name), "color": "blue"},
                "url": f"queue/item/{9000 + world.step * 10 + index}/",
                "why": "In the quiet period. Expires in 4.2 sec",
                "timestamp": now + 1000,
            }
            for index, job in enumerate(waiting)
        ],
    }


def default_view(obj: dict) -> dict:
    """What `/api/json` shows without `tree=` (depth 0): nested builds and jobs as references."""
    out = {}
    for key, value in obj.items():
        if key == "allBuilds":
            continue
        value = resolve(value)
        if isinstance(value, list):
            value = [_ref(v) for v in value]
        elif isinstance(value, dict):
            value = _ref(value)
        out[key] = value
    return out


def _ref(value):
    if isinstance(value, dict) and ("number" in value or "fullName" in value):
        return {k: value[k] for k in REF_KEYS if k in value}
    return value
