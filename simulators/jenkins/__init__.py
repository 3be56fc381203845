"""Jenkins simulator: a deterministic controller with folders, a multibranch project and builds.

Serves the JSON remote API with real `tree=` filtering and `{M,N}` ranges, `builds` capped at the
newest 100 (`allBuilds` has them all), HTML error pages (401, 403, 404) and 429s via the SimServer
knobs. Start it with the same seed (and `scale["bitbucket"]`) as the Bitbucket simulator and
advance both by the same steps: build SHAs are commits of that Bitbucket world.
"""

from __future__ import annotations

from simulators.common import Auth, Knobs, Response, SimServer
from simulators.jenkins.routes import build_router, html
from simulators.jenkins.world import JenkinsWorld

CREDENTIALS = {"username": "sim-user", "token": "sim-jenkins-token"}

__all__ = ["CREDENTIALS", "JenkinsWorld", "create", "env_for"]


def create(seed: int = 7, scale: dict | None = None, knobs: Knobs | None = None, port: int = 0) -> SimServer:
    """Build (not start) the simulator; `server.world` is its `JenkinsWorld`."""
    world = JenkinsWorld(seed, scale)
    auth = Auth(basic=[(CREDENTIALS["username"], CREDENTIALS["token"])])
    return SimServer("jenkins", world, build_router(world), auth, knobs, port, unauthorized=_unauthorized)


def env_for(server: SimServer) -> dict[str, str]:
    """Environment pointing the pipelines at the simulator."""
    return {
        "JENKINS_BASE_URL": server.url,
        "JENKINS_USERNAME": CREDENTIALS["username"],
        "JENKINS_TOKEN": CREDENTIALS["token"],
    }


def _unauthorized() -> Response:
    response = html(401, "Invalid password/token for user: the credentials were rejected")
    response.headers["WWW-Authenticate"] = 'Basic realm="Jenkins"'
    return response
