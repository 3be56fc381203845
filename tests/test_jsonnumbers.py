"""The gate in front of the exact (slow) JSON parse: every number orjson would silently read as another
number goes through it; ordinary answers (hex account ids, timestamps, URLs) do not; numbers orjson
refuses (beyond double range) reach the exact parse through its error."""

from decimal import Decimal

import orjson
import pytest

from pipelines.jsonnumbers import loads, needs_exact_parse


@pytest.mark.parametrize(
    "body",
    [
        b'{"a":[ 1e-400 ]}',
        b'{"a":-2.5E-324}',
        b"[1,12345678901234567890]",
        b'{"a":\n  123456789012345678901}',
        b"  -12345678901234567890",
        b'{"a":0.' + b"0" * 400 + b"1}",
        b'{"a":{"b":[2,\t-3E-0400]}}',
    ],
)
def test_numbers_a_double_or_int64_may_not_hold_take_the_exact_path(body):
    assert needs_exact_parse(body)


@pytest.mark.parametrize(
    "body",
    [
        b'{"accountId":"1818e811892f902bd23f0824"}',  # hex: `e811` is no exponent inside a string
        b'{"self":"https://x/rest/api/3/user?accountId=712020:6513270e269e0d37f2a74de452e6b438"}',
        b'{"id":"12345678901234567890123"}',  # a long id as a string
        b'{"n":9223372036854775,"f":1.5e10,"t":"2026-12-03T11:25:46.000+0100"}',
        b'[1,2,"1e400"]',
        b'{"id":"557058:f58131ce-269d-4671-a5d2-0123456789ab","n":1e-99,"e":12e300}',  # `e-269` in a string
    ],
)
def test_ordinary_answers_stay_on_orjson(body):
    assert not needs_exact_parse(body)


@pytest.mark.parametrize(
    "body, value",
    [
        (b"1e400", Decimal("1e400")),
        (b'{"a" : -1.5E+400}', {"a": Decimal("-1.5E+400")}),
        (b"[1,2e999]", [1, Decimal("2e999")]),
    ],
)
def test_numbers_orjson_refuses_are_read_exactly_through_the_fallback(body, value):
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(body)
    assert loads(body) == value


def test_loads_is_exact_where_orjson_is_not():
    value = loads(b'{"big":123456789012345678901234567890,"huge":1e400,"tiny":-2e-400,"hex":"1818e811"}')
    assert value == {
        "big": 123456789012345678901234567890,
        "huge": Decimal("1e400"),
        "tiny": Decimal("-2e-400"),
        "hex": "1818e811",
    }
    assert loads(b'{"n":1.5,"s":"x"}') == orjson.loads(b'{"n":1.5,"s":"x"}')
