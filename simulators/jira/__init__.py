"""A local, deterministic Jira Cloud (REST v3 + Agile 1.0) for the demo, the tests and the benchmarks.

`create(seed, scale, knobs, port)` builds the server (see world.DEFAULT_SCALE for the scale knobs),
`env_for(server)` the variables that point the pipelines at it, and `cost.minimum_calls(world)` the
number of API calls a perfect client needs for a full sync of the current world.
"""

from __future__ import annotations

from simulators.common import Auth, Knobs, Response, Router, SimServer
from simulators.jira.routes_issues import register as register_issues
from simulators.jira.routes_meta import DEMO_USER
from simulators.jira.routes_meta import register as register_meta
from simulators.jira.world import DEFAULT_SCALE, JiraWorld

CREDENTIALS = {"email": DEMO_USER["email"], "token": "sim-jira-api-token-5f1e2d"}
UNAUTHORIZED = {
    "errorMessages": ["You are not authenticated. Authentication required to perform this operation."],
    "errors": {},
}
SUSPENDED = {
    "errorMessages": [
        "Your Atlassian Cloud site is currently unavailable: this site has been suspended "
        "(deactivated for non-payment). Contact your site administrator."
    ],
    "errors": {},
}

__all__ = ["CREDENTIALS", "DEFAULT_SCALE", "JiraWorld", "create", "env_for"]


def create(seed: int = 7, scale: dict | None = None, knobs: Knobs | None = None, port: int = 0) -> SimServer:
    """Build (not start) a Jira simulator whose world is generated from `seed` and `scale`."""
    world = JiraWorld(seed, scale)
    router = Router()
    register_issues(router, world)
    register_meta(router, world)
    auth = Auth(basic=[(CREDENTIALS["email"], CREDENTIALS["token"])])
    return SimServer(
        "jira",
        world,
        router,
        auth,
        knobs,
        port,
        unauthorized=lambda: Response(401, UNAUTHORIZED, {"WWW-Authenticate": 'Basic realm="protected-area"'}),
        suspended=lambda: Response(503, SUSPENDED),
    )


def env_for(server: SimServer) -> dict[str, str]:
    """JIRA_BASE_URL, JIRA_EMAIL and JIRA_API_TOKEN pointing at a running simulator."""
    return {"JIRA_BASE_URL": server.url, "JIRA_EMAIL": CREDENTIALS["email"], "JIRA_API_TOKEN": CREDENTIALS["token"]}
