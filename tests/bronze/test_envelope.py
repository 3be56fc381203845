import json

from pipelines.bronze.envelope import ENVELOPE_KEYS, encode_lines, line_prefix
from pipelines.bronze.writer import BronzeWriter
from tests.helpers import read_lines

ODD = {
    "id": "10001",
    "unicode": "数据平台 — ünïcödé 🚀",
    "big": 2**70,
    "negative_big": -(2**65),
    "float_one": 1.0,
    "tiny": 1e-300,
    "": "empty key",
    "key with spaces/and.dots": [None, True, False, 0, -1, 3.5],
    "nested": {"deep": {"er": [{"x": None}]}},
    "escapes": 'quote " backslash \\ newline \n tab \t nul \u0000',
}


def decode(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def test_envelope_fields_and_payload_json_equal():
    prefix = line_prefix("jira", "issues", "2026-11-21T10:00:00.000000Z", "RUN1")
    data, repairs = encode_lines(prefix, [ODD], ["10001"], ["2024-01-01T00:00:00.000000Z"], {"issue_key": "A-1"})
    (line,) = decode(data)
    assert tuple(line) == ENVELOPE_KEYS
    assert line["__source"] == "jira" and line["__stream"] == "issues" and line["__run_id"] == "RUN1"
    assert line["__ingested_at_utc"] == "2026-11-21T10:00:00.000000Z"
    assert line["__id"] == "10001" and line["__cursor"] == "2024-01-01T00:00:00.000000Z"
    assert line["__parent"] == {"issue_key": "A-1"}
    assert line["payload"] == ODD
    assert line["payload"]["big"] == 2**70 and isinstance(line["payload"]["float_one"], float)
    assert repairs == 0


def test_lone_surrogates_are_replaced_and_counted():
    record = {"id": 1, "text": "ok \ud800 and \udfff", "\ud83d": "key too"}
    data, repairs = encode_lines(line_prefix("s", "t", "now", "r"), [record], [1], [None], None)
    (line,) = decode(data)
    assert repairs == 3
    assert line["payload"]["text"] == "ok \ufffd and \ufffd"
    assert line["payload"]["\ufffd"] == "key too"


def test_writer_round_trip_keeps_every_record(tmp_path):
    records = [{**ODD, "id": str(i)} for i in range(50)]
    writer = BronzeWriter(tmp_path, "jira", "RUN1")
    writer.write_page("issues", records, [r["id"] for r in records], [None] * 50)
    (row,) = writer.close()
    lines = read_lines(tmp_path / row["path"])
    assert [line["payload"] for line in lines] == records
    assert row["rows"] == 50 and row["utf8_errors"] == 0
    assert lines[0]["__id"] == "0"


def test_numbers_beyond_double_range_are_written_exactly():
    """The HTTP layer keeps 1e400 / 1e-400 as Decimals: bronze writes their value, never null or 0."""
    from decimal import Decimal

    record = {"id": "1", "huge": Decimal("1E+400"), "tiny": Decimal("-2.5E-400"), "big": 2**70, "f": 1.5}
    data, repairs = encode_lines(line_prefix("jira", "issues", "t", "R"), [record], ["1"], [None], None)
    payload = json.loads(data, parse_float=Decimal)["payload"]
    assert payload == {"id": "1", "huge": Decimal("1E+400"), "tiny": Decimal("-2.5E-400"), "big": 2**70, "f": 1.5}
    assert repairs == 0
