"""Date values of JQL, evaluated in the configured time zone (the zone of the Jira user the query stands for).

- literals `"2026-10-01"`, `"2026/10/01"`, `"2026-10-01 14:30"`, `"2026/10/01 14:30"`: local time in the zone;
- epoch milliseconds (`1793491200000`);
- periods relative to now: `-7d`, `"-2w 3d"`, `4h`, `-30m` (units w, d, h, m; Jira has no y or M here);
- `now()`, `startOfDay/Week/Month/Year([±n[unit]])`, `endOf…`: the period containing now (weeks start on
  the configured `week_start`), then shifted by the increment, whose unit defaults to the function's own
  (`startOfMonth(-1)` is the first day of last month).

A date-only literal keeps its day: `ON "2026-10-01"` and `DURING (…)` cover the whole day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from pipelines.workbench.jql.syntax import Function, JqlError, Literal

FORMATS = (("%Y-%m-%d %H:%M", False), ("%Y/%m/%d %H:%M", False), ("%Y-%m-%d", True), ("%Y/%m/%d", True))
PERIOD_PART = re.compile(r"([-+]?)(\d+)\s*([wdhm])", re.IGNORECASE)
PERIOD = re.compile(r"^\s*[-+]?\d+\s*[wdhm](\s+[-+]?\d+\s*[wdhm])*\s*$", re.IGNORECASE)
INCREMENT = re.compile(r"^\s*([-+]?\d+)\s*([yMwdhm]?)\s*$")
UNITS = {
    "y": lambda n: relativedelta(years=n),
    "M": lambda n: relativedelta(months=n),
    "w": lambda n: relativedelta(weeks=n),
    "d": lambda n: relativedelta(days=n),
    "h": lambda n: relativedelta(hours=n),
    "m": lambda n: relativedelta(minutes=n),
}
PERIOD_MINUTES = {"w": 7 * 1440, "d": 1440, "h": 60, "m": 1}
NATURAL_UNIT = {"day": "d", "week": "w", "month": "M", "year": "y"}
WEEKDAYS = {"monday": 0, "sunday": 6, "saturday": 5}
DATE_FUNCTIONS = {f"{edge}of{period}" for edge in ("start", "end") for period in NATURAL_UNIT} | {"now"}


@dataclasses.dataclass(frozen=True)
class Moment:
    """An instant (UTC) and, for a date-only literal, the end of its day."""

    at: dt.datetime
    day_end: dt.datetime | None = None

    @property
    def until(self) -> dt.datetime:
        """The end of what the value names: the day's end for a date, else the instant."""
        return self.day_end or self.at


@dataclasses.dataclass(frozen=True)
class Clock:
    """Now and the zone date values are read in."""

    now: dt.datetime
    zone: ZoneInfo
    week_start: str = "sunday"

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.zone)


def moment(value, clock: Clock, field: str) -> Moment:
    """The instant a JQL date operand names; an unreadable one is a JqlError naming the field."""
    if isinstance(value, Function):
        return Moment(function(value, clock))
    if not isinstance(value, Literal):
        raise JqlError(f"JQL: {field} needs a date, not {type(value).__name__.lower()}")
    text = value.text.strip()
    if re.fullmatch(r"-?\d{9,}", text):
        return Moment(dt.datetime.fromtimestamp(int(text) / 1000, dt.UTC))
    if PERIOD.match(text):
        minutes = 0
        for sign, number, unit in PERIOD_PART.findall(text):
            minutes += (-1 if sign == "-" else 1) * int(number) * PERIOD_MINUTES[unit.lower()]
        return Moment(clock.now + dt.timedelta(minutes=minutes))
    for form, date_only in FORMATS:
        try:
            naive = dt.datetime.strptime(text, form)
        except ValueError:
            continue
        start = naive.replace(tzinfo=clock.zone)
        if date_only:
            end = (naive + dt.timedelta(days=1)).replace(tzinfo=clock.zone)
            return Moment(start.astimezone(dt.UTC), end.astimezone(dt.UTC))
        return Moment(start.astimezone(dt.UTC))
    raise JqlError(
        f"JQL: date value {value.text!r} for field {field!r} is invalid: use 'yyyy-MM-dd', 'yyyy-MM-dd HH:mm' "
        "(also with /), a period such as '-5d' or '-2w 1d', or a date function"
    )


def function(call: Function, clock: Clock) -> dt.datetime:
    """now(), startOfX(±n[unit]), endOfX(±n[unit]) as an instant in UTC."""
    name = call.name
    if name not in DATE_FUNCTIONS:
        raise JqlError(f"JQL: {call.name}() is not a date function (expected now(), startOfDay() ... endOfYear())")
    if name == "now":
        if call.args:
            raise JqlError("JQL: now() takes no argument")
        return clock.now
    edge, period = ("start", name[7:]) if name.startswith("startof") else ("end", name[5:])
    if len(call.args) > 1:
        raise JqlError(f"JQL: {call.name}() takes at most one argument (an increment such as -1 or '+2d')")
    local = clock.local(clock.now).replace(tzinfo=None)
    start = _period_start(local, period, clock.week_start)
    if edge == "end":
        start = start + UNITS[NATURAL_UNIT[period]](1) - dt.timedelta(microseconds=1)
    if call.args:
        match = INCREMENT.match(call.args[0])
        if not match:
            raise JqlError(f"JQL: {call.name}({call.args[0]!r}): the increment must look like -1, +2d or -1M")
        unit = match.group(2) or NATURAL_UNIT[period]
        start = start + UNITS[unit](int(match.group(1)))
    return start.replace(tzinfo=clock.zone).astimezone(dt.UTC)


def _period_start(local: dt.datetime, period: str, week_start: str) -> dt.datetime:
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "week":
        return day - dt.timedelta(days=(day.weekday() - WEEKDAYS[week_start]) % 7)
    if period == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)
