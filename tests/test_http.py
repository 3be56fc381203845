"""The HTTP layer against a loopback server: counting, retries, Retry-After, classification, repair."""

import pytest

from pipelines.dlt.http import HttpPolicy, HttpStats, make_client
from pipelines.dlt.http.response import JsonResponse
from pipelines.errors import DplError, ErrorClass
from simulators.common import Auth, Knobs, Response, Router, SimServer, World

FAST = HttpPolicy(max_attempts=4, backoff_base_s=0.01, backoff_max_s=0.02, read_timeout_s=2, connect_timeout_s=1)


class Scripted(World):
    """Answers /thing with a scripted sequence of responses, then 200s."""

    def __init__(self, script):
        super().__init__(0)
        self.script = list(script)

    def advance(self, n=1):
        return {}


def serve(script, **knobs):
    world = Scripted(script)
    router = Router()

    @router.route("GET", "/thing")
    def thing(request):
        if world.script:
            return world.script.pop(0)
        return {"ok": True, "text": "数据"}

    return SimServer("test", world, router, Auth(basic=[("me", "secret-token")]), Knobs(**knobs)).start()


@pytest.fixture
def server_factory():
    servers = []

    def factory(script=(), **knobs):
        server = serve(script, **knobs)
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop()


def client(server, stats, policy=FAST, secret="secret-token"):
    from dlt.sources.helpers.rest_client.auth import HttpBasicAuth

    return make_client(server.url, HttpBasicAuth("me", secret), stats, policy, "test")


def test_retry_after_is_honoured_and_counted(server_factory):
    server = server_factory([Response(429, {"errorMessages": ["slow down"]}, {"Retry-After": "0"})])
    stats = HttpStats()
    assert client(server, stats).get_json("/thing")["ok"] is True
    assert stats.api_calls == 2 and stats.retries == 1
    assert 1.0 <= stats.rate_limit_waits_s < 2.0  # Retry-After: 0 is taken as 1 s


def test_5xx_and_resets_are_retried(server_factory):
    server = server_factory([Response(503, b"<html>busy</html>", content_type="text/html"), Response(502, {})])
    stats = HttpStats()
    assert client(server, stats).get_json("/thing")["text"] == "数据"
    assert stats.api_calls == 3 and stats.retries == 2


def test_fault_storm_is_survived(server_factory):
    server = server_factory(fault_rate=0.3, fault_kinds=("500", "503", "reset", "truncated", "malformed"), fault_seed=3)
    stats = HttpStats()
    api = client(server, stats, HttpPolicy(max_attempts=10, backoff_base_s=0.005, backoff_max_s=0.01))
    for _ in range(30):
        assert api.get_json("/thing")["ok"] is True
    assert stats.retries > 0 and stats.api_calls == 30 + stats.retries


def test_retries_are_bounded_and_classified(server_factory):
    server = server_factory([Response(500, {"message": "boom"})] * 10)
    stats = HttpStats()
    with pytest.raises(DplError) as err:
        client(server, stats).get_json("/thing")
    assert err.value.error_class == ErrorClass.SERVER_ERROR and stats.api_calls == FAST.max_attempts
    assert "500" in str(err.value) and "/thing" in str(err.value)


def test_auth_failure_is_not_retried(server_factory):
    server = server_factory()
    stats = HttpStats()
    with pytest.raises(DplError) as err:
        client(server, stats, secret="wrong-token").get_json("/thing")
    assert err.value.error_class == ErrorClass.AUTH_FAILED and stats.api_calls == 1
    assert "wrong-token" not in str(err.value)


@pytest.mark.parametrize(
    ("status", "expected"),
    [(403, ErrorClass.FORBIDDEN), (404, ErrorClass.NOT_FOUND), (410, ErrorClass.NOT_FOUND), (400, ErrorClass.CONFIG)],
)
def test_permanent_statuses_are_classified(server_factory, status, expected):
    server = server_factory([Response(status, {"errorMessages": ["nope"]})])
    with pytest.raises(DplError) as err:
        client(server, HttpStats()).get_json("/thing")
    assert err.value.error_class == expected and "nope" in err.value.message


def test_suspended_site(server_factory):
    server = server_factory([Response(503, {"message": "Your site is suspended"})] * 10)
    with pytest.raises(DplError) as err:
        client(server, HttpStats()).get_json("/thing")
    assert err.value.error_class == ErrorClass.SUSPENDED


def test_html_with_200_is_bad_payload_after_retries(server_factory):
    page = Response(200, b"<html><body>Log in</body></html>", content_type="text/html")
    server = server_factory([page] * 10)
    stats = HttpStats()
    with pytest.raises(DplError) as err:
        client(server, stats).get_json("/thing")
    assert err.value.error_class == ErrorClass.BAD_PAYLOAD and "HTML" in err.value.message
    assert stats.api_calls == FAST.max_attempts


def test_invalid_utf8_is_repaired_and_counted(server_factory):
    server = server_factory([Response(200, b'{"ok": true, "text": "bad \xff\xfe bytes"}')])
    stats = HttpStats()
    body = client(server, stats).get_json("/thing")
    assert body["text"] == "bad \ufffd\ufffd bytes" and stats.take_utf8_errors() == 2


def test_answers_are_json_responses_parsed_once(server_factory):
    response = client(server_factory(), HttpStats()).get("/thing")
    assert isinstance(response, JsonResponse) and "json" not in vars(response)
    assert response.json() is response.json() and response.json()["text"] == "数据"


def test_an_empty_body_is_bad_payload_when_its_json_is_asked_for(server_factory):
    server = server_factory([Response(204, b"")])
    stats = HttpStats()
    response = client(server, stats).get("/thing")
    assert response.status_code == 204 and stats.api_calls == 1
    with pytest.raises(DplError) as err:
        response.json()
    assert err.value.error_class == ErrorClass.BAD_PAYLOAD and "GET /thing has an empty body" in err.value.message


def test_big_ints_survive_parsing(server_factory):
    server = server_factory([Response(200, b'{"ok": true, "n": 123456789012345678901234567890}')])
    assert client(server, HttpStats()).get_json("/thing")["n"] == 123456789012345678901234567890


def test_dns_failure_is_classified_without_retries():
    stats = HttpStats()
    api = make_client("http://no-such-host.invalid", None, stats, FAST, "test")
    with pytest.raises(DplError) as err:
        api.get_json("/x")
    assert err.value.error_class == ErrorClass.NETWORK and "no-such-host.invalid" in err.value.message
    assert stats.api_calls == 1


def test_connection_refused_is_network(server_factory):
    server = server_factory()
    url = server.url
    server.stop()
    with pytest.raises(DplError) as err:
        make_client(url, None, HttpStats(), FAST, "test").get_json("/thing")
    assert err.value.error_class == ErrorClass.NETWORK
