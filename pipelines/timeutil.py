"""One timestamp form for cursors and partitions (ISO-8601 UTC with microseconds and a Z), and time.yaml."""

from __future__ import annotations

import dataclasses
import datetime as dt

UTC = dt.UTC


def utc_now() -> dt.datetime:
    return dt.datetime.now(UTC)


def to_utc_iso(value: str | dt.datetime | int | float | None) -> str | None:
    """Normalise an API timestamp (any offset, `+0000` or `Z`, or epoch ms) to `...%fZ` in UTC."""
    if value is None or value == "":
        return None
    if type(value) is str and value[-5:] == "+0000" and len(value) == 28:  # Jira's UTC form, the hot path
        return value[:23] + "000Z"
    if isinstance(value, str) and len(value) >= 20 and value[10] == "T":
        fast = _utc_fast_path(value)
        if fast is not None:
            return fast
    if isinstance(value, int | float):
        moment = dt.datetime.fromtimestamp(value / 1000.0, UTC)
    elif isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        moment = parse_iso(value)
    moment = moment.astimezone(UTC)
    if moment.year >= 1000:  # isoformat is ~2x faster than strftime and spells the same text from year 1000
        return moment.isoformat(timespec="microseconds")[:-6] + "Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _utc_fast_path(value: str) -> str | None:
    """Already-UTC timestamps (`...+0000`, `...+00:00`, `...Z`) are re-spelled without datetime."""
    for suffix in ("+0000", "+00:00", "Z"):
        if value.endswith(suffix):
            body = value[: -len(suffix)]
            break
    else:
        return None
    if len(body) == 19:
        return body + ".000000Z"
    if len(body) > 20 and body[19] == "." and body[20:].isdigit() and len(body) <= 26:
        return body + "0" * (26 - len(body)) + "Z"
    return None


def parse_iso(value: str) -> dt.datetime:
    """Parse ISO-8601 including Jira's `+0000` offsets; naive values are taken as UTC."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def to_epoch_ms(value: str | dt.datetime) -> int:
    moment = parse_iso(value) if isinstance(value, str) else value
    return int(moment.timestamp() * 1000)


@dataclasses.dataclass(frozen=True)
class TimeSettings:
    """config/time.yaml; the field defaults are the defaults."""

    safety_window_minutes: float = 60  # incremental runs start at (cursor - window)
    census_interval_hours: float = 24  # how often an incremental Jira run sweeps issue ids; 0 = every run
    report_timezone: str = "UTC"  # dates in reports (storage is always UTC)
    progress_interval_s: float = 10  # progress log line interval when the output is not a terminal


TIME_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "safety_window_minutes": {"type": "number", "minimum": 0},
        "census_interval_hours": {"type": "number", "minimum": 0},
        "report_timezone": {"type": "string", "format": "timezone"},
        "progress_interval_s": {"type": "number", "exclusiveMinimum": 0},
    },
}
