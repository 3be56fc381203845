"""Bitbucket Cloud 2.0 simulator: a deterministic workspace served on loopback under `/2.0`.

Traps it keeps from the real API: the PR list answers OPEN only unless every `state=` is passed;
pages are linked by an absolute `next`; `pagelen` is capped (50 for PRs and activity, 100
elsewhere); `fields=` drops `next` unless it is selected; `q=` filters (BBQL) and `sort=` orders;
commits pushed long after they were authored; 429s via the SimServer knobs.
Accepted credentials: an app password (Basic user:app-password), an API token (Basic
email:token) and an access token (Bearer), see `CREDENTIALS`.
"""

from __future__ import annotations

from simulators.bitbucket.model import WORKSPACE
from simulators.bitbucket.routes import build_router
from simulators.bitbucket.world import BitbucketWorld
from simulators.common import Auth, Knobs, Response, SimServer

CREDENTIALS = {
    "username": "sim-user",
    "app_password": "sim-app-password",
    "email": "sim-user@example.com",
    "api_token": "sim-api-token",
    "access_token": "sim-access-token",
}

__all__ = ["CREDENTIALS", "WORKSPACE", "BitbucketWorld", "create", "env_for"]


def create(seed: int = 7, scale: dict | None = None, knobs: Knobs | None = None, port: int = 0) -> SimServer:
    """Build (not start) the simulator; `server.world` is its `BitbucketWorld`."""
    world = BitbucketWorld(seed, scale)
    auth = Auth(
        basic=[
            (CREDENTIALS["username"], CREDENTIALS["app_password"]),
            (CREDENTIALS["email"], CREDENTIALS["api_token"]),
        ],
        bearer=[CREDENTIALS["access_token"]],
    )
    return SimServer("bitbucket", world, build_router(world), auth, knobs, port, unauthorized=_unauthorized)


def env_for(server: SimServer) -> dict[str, str]:
    """Environment pointing the pipelines at the simulator (app-password auth)."""
    return {
        "BITBUCKET_BASE_URL": f"{server.url}/2.0",
        "BITBUCKET_WORKSPACE": WORKSPACE,
        "BITBUCKET_USERNAME": CREDENTIALS["username"],
        "BITBUCKET_APP_PASSWORD": CREDENTIALS["app_password"],
    }


def _unauthorized() -> Response:
    return Response(
        401,
        {"type": "error", "error": {"message": "Invalid or missing credentials"}},
        {"WWW-Authenticate": 'Basic realm="Bitbucket.org HTTP"'},
    )
