"""The Jenkins simulator: tree= filtering, allBuilds ranges, folders, running builds, shared commits."""

from __future__ import annotations

import pytest
import requests

from simulators.bitbucket import create as create_bitbucket
from simulators.jenkins import create
from simulators.jenkins.model import FREESTYLE, PIPELINE
from simulators.jenkins.tree import parse


@pytest.fixture
def jenkins(start_sim, sim_env):
    """A started simulator (with the optional 403 folder and 404 job) and a GET helper."""
    server = start_sim("jenkins", scale={"forbidden_folder": True, "vanished_job": True})
    env = sim_env("jenkins", server)

    def get(path, auth=(env["JENKINS_USERNAME"], env["JENKINS_TOKEN"]), **params):
        return requests.get(f"{env['JENKINS_BASE_URL']}{path}", params=params, auth=auth, timeout=10)

    server.get = get
    return server


def test_tree_lists_nested_folders_and_keeps_only_what_is_asked(jenkins):
    body = jenkins.get("/api/json", tree="jobs[fullName,jobs[fullName,jobs[fullName]]]").json()
    assert body["_class"] == "hudson.model.Hudson" and set(body) == {"_class", "jobs"}
    platform = next(j for j in body["jobs"] if j["fullName"] == "platform")
    services = next(j for j in platform["jobs"] if j["fullName"] == "platform/services")
    assert {j["fullName"] for j in services["jobs"]} == {
        "platform/services/api-service-build",
        "platform/services/payments-pipeline",
    }
    assert all(set(j) <= {"_class", "fullName", "jobs"} for j in platform["jobs"])
    apps = next(j for j in body["jobs"] if j["fullName"] == "apps")
    multibranch = apps["jobs"][0]
    assert multibranch["_class"].endswith("WorkflowMultiBranchProject")
    assert {j["fullName"] for j in multibranch["jobs"]} >= {"apps/web-app/main"}
    two_levels = jenkins.get("/api/json", tree="jobs[fullName,jobs[fullName]]").json()
    apps = next(j for j in two_levels["jobs"] if j["fullName"] == "apps")
    assert "jobs" not in apps["jobs"][0]  # only asked levels are listed
    secret = next(j for j in body["jobs"] if j["fullName"] == "secret-ops")
    assert "jobs" not in secret  # listed, contents unreadable
    assert jenkins.get("/api/json", tree="jobs[name]{0,1}").json()["jobs"][0]["name"] == "deploy-prod"
    assert jenkins.get("/api/json", tree="jobs[name").status_code == 400


def test_builds_are_capped_at_100_and_all_builds_ranges_slice(jenkins):
    path = "/job/platform/job/nightly-integration/api/json"
    job = jenkins.world.find(["platform", "nightly-integration"])[0]
    assert len(job.builds) > 100
    capped = jenkins.get(path, tree="builds[number]").json()["builds"]
    every = jenkins.get(path, tree="allBuilds[number]").json()["allBuilds"]
    assert len(capped) == 100 and [b["number"] for b in every] == [b.number for b in job.builds]
    window = jenkins.get(path, tree="allBuilds[number]{100,110}").json()["allBuilds"]
    assert [b["number"] for b in window] == [b.number for b in job.builds[100:110]]
    assert job.builds[-1].number > 1 and 60 not in {b.number for b in job.builds}  # retention left holes


def test_freestyle_builds_have_change_set_and_pipelines_change_sets(jenkins):
    tree = "allBuilds[number,changeSet[kind,items[commitId]],changeSets[kind,items[commitId]]]{0,3}"
    freestyle = jenkins.get("/job/platform/job/services/job/api-service-build/api/json", tree=tree).json()
    pipeline = jenkins.get("/job/platform/job/services/job/payments-pipeline/api/json", tree=tree).json()
    assert freestyle["_class"] == FREESTYLE[0] and pipeline["_class"] == PIPELINE[0]
    assert all("changeSet" in b and "changeSets" not in b for b in freestyle["allBuilds"])
    assert all("changeSets" in b and "changeSet" not in b for b in pipeline["allBuilds"])
    assert any(b["changeSets"] and b["changeSets"][0]["items"] for b in pipeline["allBuilds"])


def test_running_build_finishes_when_the_world_advances(jenkins):
    path = "/job/platform/job/services/job/api-service-build/lastBuild"
    build = jenkins.get(
        "/job/platform/job/services/job/api-service-build/api/json",
        tree="allBuilds[number,building,result,executor]{0,1}",
    ).json()["allBuilds"][0]
    assert build["building"] is True and build["result"] is None and build["executor"]
    number = build["number"]
    jenkins.world.advance(1)
    again = jenkins.get(f"{path[:-10]}/{number}/api/json", tree="number,building,result").json()
    assert again == {"_class": FREESTYLE[1], "number": number, "building": False, "result": again["result"]}
    assert again["result"] in ("SUCCESS", "FAILURE", "UNSTABLE", "ABORTED")


def test_builds_point_at_commits_of_the_bitbucket_world_with_the_same_seed(jenkins):
    bitbucket = create_bitbucket(7).world
    jenkins.world.advance(2)
    bitbucket.advance(2)
    hashes = {h for repo in bitbucket.repos for h in repo.commits}
    builds = [(job, b) for job in jenkins.world.jobs() for b in job.builds]
    assert all(b.sha in hashes and set(b.changes) <= hashes for _, b in builds)
    deploy = jenkins.world.find(["deploy-prod"])[0]
    params = {p["name"]: p["value"] for p in deploy.builds[0].params}
    assert params["GIT_COMMIT"] in hashes and params["VERSION"].startswith("1.0.")


def test_errors_are_html_pages_with_real_statuses(jenkins):
    assert jenkins.get("/job/secret-ops/api/json").status_code == 403
    gone = jenkins.get("/job/tools/job/ghost-job/api/json")
    assert gone.status_code == 404 and gone.headers["Content-Type"].startswith("text/html")
    assert jenkins.get("/job/nope/api/json").status_code == 404
    assert jenkins.get("/api/json", auth=("sim-user", "wrong")).status_code == 401


def test_branch_jobs_keep_their_encoded_names(jenkins):
    body = jenkins.get("/job/apps/job/web-app/api/json", tree="jobs[name,fullName]").json()
    feature = next(j for j in body["jobs"] if j["name"].startswith("feature%2F"))
    direct = jenkins.get(
        f"/job/apps/job/web-app/job/{feature['name'].replace('%', '%25')}/api/json", tree="fullName,displayName"
    ).json()
    assert direct["fullName"] == feature["fullName"] and direct["displayName"].startswith("feature/")


def test_default_view_and_queue(jenkins):
    job = jenkins.get("/job/deploy-prod/api/json").json()
    assert "allBuilds" not in job and set(job["builds"][0]) == {"_class", "number", "url"}
    assert job["property"][0]["parameterDefinitions"][1]["name"] == "GIT_COMMIT"
    queue = jenkins.get("/queue/api/json", tree="items[id,task[name]]").json()
    assert queue["items"] and all(set(i) == {"_class", "id", "task"} for i in queue["items"])


def test_tree_parser_reads_ranges_and_nesting():
    (jobs, builds) = parse("jobs[name,jobs[name]{1,}],allBuilds[number]{,5}")
    assert jobs.children[1].range == (1, None) and builds.range == (None, 5)
    assert parse("allBuilds[number]{3}")[0].range == (3, 4)


def test_the_same_seed_gives_the_same_jobs_and_builds():
    first, second = create(5).world, create(5).world
    assert [(j.full_name, [(b.number, b.sha, b.result) for b in j.builds]) for j in first.jobs()] == [
        (j.full_name, [(b.number, b.sha, b.result) for b in j.builds]) for j in second.jobs()
    ]
    assert first.advance(2) == second.advance(2) and first.min_calls() == second.min_calls()
