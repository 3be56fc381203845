"""HTTP routes of the Jenkins simulator: the JSON remote API (`.../api/json?tree=...`)."""

from __future__ import annotations

from urllib.parse import unquote

from simulators.common import Request, Response, Router
from simulators.jenkins import objects
from simulators.jenkins.tree import apply, parse
from simulators.jenkins.world import JenkinsWorld

JOB_PATH = r"(?P<path>(?:/job/[^/]+)+)"


def html(status: int, text: str) -> Response:
    """Jenkins answers errors with HTML pages, not JSON."""
    title = f"<head><title>Error {status}</title></head>"
    page = f"<html>{title}<body><h2>HTTP ERROR {status}</h2><p>{text}</p></body></html>"
    return Response(status, page.encode(), content_type="text/html;charset=utf-8")


def render(obj: dict, request: Request):
    """The object filtered by `tree=`, or its default (depth 0) view."""
    tree = request.arg("tree")
    return apply(obj, parse(tree)) if tree else objects.default_view(obj)


def build_router(world: JenkinsWorld) -> Router:
    """Instance, job/folder, build, queue and current-user endpoints."""
    router = Router()

    def locate(request: Request):
        names = [unquote(part) for part in request.match.group("path").split("/job/")[1:]]
        job, forbidden = world.find(names)
        if forbidden:
            return None, html(403, f"Access Denied: {world.users[0]} is missing the Job/Read permission")
        if job is None or job.vanished:
            return None, html(404, "Not Found")
        return job, None

    @router.route("GET", r"/api/json")
    def get_instance(request: Request):
        return render(objects.instance(world, request.base_url), request)

    @router.route("GET", JOB_PATH + r"/api/json")
    def get_job(request: Request):
        job, failure = locate(request)
        return failure or render(objects.item(world, job, request.base_url), request)

    @router.route("GET", JOB_PATH + r"/(?P<number>\d+)/api/json")
    def get_build(request: Request):
        job, failure = locate(request)
        if failure:
            return failure
        number = int(request.match.group("number"))
        found = next((b for b in job.builds if b.number == number), None)
        if found is None:
            return html(404, "Not Found")
        return render(objects.build(world, job, found, request.base_url), request)

    @router.route("GET", r"/queue/api/json")
    def get_queue(request: Request):
        return render(objects.queue(world, request.base_url), request)

    @router.route("GET", r"/me/api/json")
    def get_me(request: Request):
        user = {
            "_class": "hudson.model.User",
            "absoluteUrl": f"{request.base_url}/user/sim-user",
            "description": None,
            "fullName": "Sim User",
            "id": "sim-user",
            "property": [],
        }
        return render(user, request)

    return router
