"""`JsonResponse`: the body parsed once on arrival and cached, without patching `response.json`."""

from decimal import Decimal

import pytest
import requests

from pipelines.dlt.http import HttpStats
from pipelines.dlt.http.response import JsonResponse
from pipelines.errors import DplError, ErrorClass


def raw(body: bytes, status: int = 200) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers["Content-Type"] = "application/json"
    response.url = "http://api.test/thing"
    return response


def parsed(body: bytes, status: int = 200, stats: HttpStats | None = None) -> JsonResponse:
    return JsonResponse.parsed(raw(body, status), "GET /thing", stats or HttpStats())


def test_json_is_parsed_once_and_the_same_object_every_time(monkeypatch):
    from pipelines.dlt.http import response as module

    calls = []
    real = module.parse_json
    monkeypatch.setattr(module, "parse_json", lambda *args: calls.append(1) or real(*args))
    response = parsed(b'{"values": [1, 2]}')
    assert response.json() is response.json() is response.json(object_hook=None)
    assert response.json() == {"values": [1, 2]} and len(calls) == 1


def test_no_monkeypatching_the_state_is_copied_not_shared():
    original = raw(b'{"ok": true}', status=201)
    response = JsonResponse.parsed(original, "GET /thing", HttpStats())
    assert isinstance(response, requests.Response) and response is not original
    assert "json" not in vars(response) and "json" not in vars(original)
    assert type(original).json is requests.Response.json  # the original is left as it was
    assert (response.status_code, response.url, response.content) == (201, original.url, b'{"ok": true}')
    assert response.headers["Content-Type"] == "application/json" and response.ok


def test_an_empty_body_has_no_json_each_time_it_is_asked():
    response = parsed(b"", status=204)
    for _ in range(2):
        with pytest.raises(DplError) as err:
            response.json()
        assert err.value.error_class == ErrorClass.BAD_PAYLOAD
        assert err.value.message == "204 from GET /thing has an empty body, not JSON"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"n": 123456789012345678}', 123456789012345678),  # 18 digits: orjson
        (b'{"n": 1234567890123456789}', 1234567890123456789),  # 19 digits: the exact stdlib parse
        (b'{"n": 123456789012345678901234567890}', 123456789012345678901234567890),
        (b'{"n": -18446744073709551617}', -18446744073709551617),
        (b'{"n": "1234567890123456789012"}', "1234567890123456789012"),  # digits in a string
    ],
)
def test_integers_beyond_64_bits_stay_exact(body, expected):
    value = parsed(body).json()["n"]
    assert value == expected and type(value) is type(expected)


def test_invalid_utf8_is_repaired_and_counted():
    stats = HttpStats()
    assert parsed(b'{"t": "a \xff b \xef\xbf\xbd"}', stats=stats).json()["t"] == "a \ufffd b \ufffd"
    assert stats.utf8_errors == 1  # a U+FFFD the API sent itself is not an error of ours


@pytest.mark.parametrize(
    ("body", "message", "transient"),
    [
        (b"<html><body>Log in</body></html>", "200 from GET /thing was an HTML page", True),
        (b'{"n": NaN}', "200 from GET /thing was not valid JSON", True),
        (b"[" * 100_000 + b"]" * 100_000, "200 from GET /thing is JSON nested too deeply", False),
    ],
)
def test_a_body_that_is_not_json_is_bad_payload(body, message, transient):
    with pytest.raises(DplError) as err:
        parsed(body)
    assert err.value.error_class == ErrorClass.BAD_PAYLOAD
    assert err.value.message == message and err.value.transient is transient


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"n": 1e400}', Decimal("1e400")),  # orjson refuses it, the stdlib makes it inf
        (b'{"n": -2.5E+999}', Decimal("-2.5e999")),
        (b'{"n": 1e-400}', Decimal("1e-400")),  # orjson and the stdlib silently make it 0.0
        (b'{"n": 1.5e100}', 1.5e100),  # a 3-digit exponent that a double holds stays a float
        (b'{"n": 0e-500}', 0.0),
    ],
)
def test_numbers_beyond_double_range_keep_their_value(body, expected):
    value = parsed(body).json()["n"]
    assert value == expected and type(value) is type(expected)


def test_a_byte_order_mark_is_stripped_and_counted():
    stats = HttpStats()
    assert parsed(b'\xef\xbb\xbf{"values": [1]}', stats=stats).json() == {"values": [1]}
    assert stats.utf8_errors == 1
