"""Enough JQL for the simulator: AND/OR/NOT, parentheses, `project = X` / `project in (...)`, time bounds,
a few more fields, and ORDER BY.

Time values may be epoch milliseconds (`updated >= 1731000000000`), relative periods (`-2d`, `-90m`)
or zone-less date literals (`"2024-01-31 10:00"`, `2024/01/31`), which Jira reads in the *API user's*
time zone — a client that formats UTC that way silently misses updates, as on a real site.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from simulators.common import HttpError
from simulators.jira import catalog

TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')|(?P<op>>=|<=|!=|!~|[=<>~(),])|'
    r'(?P<word>[^\s=<>!~(),"\']+))'
)
DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")
PERIOD = re.compile(r"^([-+]?)(\d+)([mhdw])$")
PERIOD_MS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
TIME_FIELDS = {"updated": "updated", "updateddate": "updated", "created": "created", "createddate": "created"}
Predicate = Callable[[object], bool]


def bad(message: str) -> HttpError:
    """A 400 answer in Jira's error shape."""
    return HttpError(400, {"errorMessages": [message], "errors": {}})


class Query:
    """A parsed JQL query: `matches(issue)`, the projects it is limited to, and a sort key."""

    def __init__(self, world, text: str) -> None:
        self.world = world
        self.tokens = [(m.lastgroup, m.group(m.lastgroup)) for m in TOKEN.finditer(text) if m.lastgroup]
        self.pos = 0
        self.projects: set[int] = set()  # every project the query mentions
        self.order: list[tuple[str, bool]] = []
        self.matches: Predicate | None = None
        self.scope: set[int] | None = None  # projects the query is limited to (top-level AND)
        if self.tokens and not self._at_order():
            self.matches, self.scope = self._expr()
        if self._at_order():
            self._order_by()
        if self.pos < len(self.tokens):
            raise bad(f"Error in the JQL Query: unexpected '{self.tokens[self.pos][1]}' at position {self.pos}.")
        if self.matches is None:
            raise bad("Unbounded JQL queries are not allowed here. Please add a search restriction to your query.")

    def sort_key(self) -> Callable:
        """Sort key for the ORDER BY clause (default: key DESC); ties by issue id."""
        order = self.order or [("key", True)]

        def key(issue):
            out = []
            for field, desc in order:
                value = {
                    "updated": issue.updated,
                    "created": issue.created,
                    "id": issue.id,
                    "key": issue.project * 10**9 + int(issue.key.rsplit("-", 1)[1]),
                }[field]
                out.append(-value if desc else value)
            out.append(issue.id)
            return out

        return key

    # -- parsing ----------------------------------------------------------------------------

    def _peek(self) -> str:
        return self.tokens[self.pos][1].lower() if self.pos < len(self.tokens) else ""

    def _take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise bad("Error in the JQL Query: the query ended unexpectedly.")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def _at_order(self) -> bool:
        return (
            self._peek() == "order" and self.pos + 1 < len(self.tokens) and self.tokens[self.pos + 1][1].lower() == "by"
        )

    def _expr(self) -> tuple[Predicate, set[int] | None]:
        parts = [self._term()]
        while self._peek() == "or":
            self._take()
            parts.append(self._term())
        if len(parts) == 1:
            return parts[0]
        preds = [p for p, _ in parts]
        scopes = [s for _, s in parts]
        return (lambda i: any(p(i) for p in preds)), (set().union(*scopes) if None not in scopes else None)

    def _term(self) -> tuple[Predicate, set[int] | None]:
        parts = [self._factor()]
        while self._peek() == "and":
            self._take()
            parts.append(self._factor())
        if len(parts) == 1:
            return parts[0]
        preds = [p for p, _ in parts]
        scopes = [s for _, s in parts if s is not None]
        return (lambda i: all(p(i) for p in preds)), (set.intersection(*scopes) if scopes else None)

    def _factor(self) -> tuple[Predicate, set[int] | None]:
        if self._peek() == "not":
            self._take()
            pred, _ = self._factor()
            return (lambda i: not pred(i)), None
        if self._peek() == "(":
            self._take()
            result = self._expr()
            if self._take()[1] != ")":
                raise bad("Error in the JQL Query: expected ')'.")
            return result
        return self._clause()

    def _clause(self) -> tuple[Predicate, set[int] | None]:
        field = self._take()[1].lower()
        op = self._take()[1].lower()
        if op == "not" and self._peek() == "in":
            self._take()
            op = "not in"
        if op == "is":
            negate = self._peek() == "not" and bool(self._take())
            if self._take()[1].lower() not in ("empty", "null"):
                raise bad("Error in the JQL Query: expected EMPTY after IS.")
            return self._is_empty(field, negate), None
        values = self._values() if op in ("in", "not in") else [self._take()[1]]
        return self._compile(field, op, [_unquote(v) for v in values])

    def _values(self) -> list[str]:
        if self._take()[1] != "(":
            raise bad("Error in the JQL Query: expected '(' after IN.")
        values = [self._take()[1]]
        while self._peek() == ",":
            self._take()
            values.append(self._take()[1])
        if self._take()[1] != ")":
            raise bad("Error in the JQL Query: expected ')'.")
        return values

    def _order_by(self) -> None:
        self.pos += 2
        while True:
            field = self._take()[1].lower()
            field = {"updateddate": "updated", "createddate": "created", "issuekey": "key"}.get(field, field)
            if field not in ("updated", "created", "key", "id"):
                raise bad(f"Not able to sort using field '{field}'.")
            desc = False
            if self._peek() in ("asc", "desc"):
                desc = self._take()[1].lower() == "desc"
            self.order.append((field, desc))
            if self._peek() != ",":
                return
            self._take()

    # -- clauses ----------------------------------------------------------------------------

    def _compile(self, field: str, op: str, values: list[str]) -> tuple[Predicate, set[int] | None]:
        if field == "project":
            wanted = {self._project(v) for v in values}
            self.projects |= wanted
            if op in ("=", "in"):
                return (lambda i: i.project in wanted), wanted
            return (lambda i: i.project not in wanted), None
        if field in TIME_FIELDS:
            attr, bound = TIME_FIELDS[field], self._time(values[0])
            compare = {">=": bound.__le__, ">": bound.__lt__, "<=": bound.__ge__, "<": bound.__gt__, "=": bound.__eq__}
            if op not in compare:
                raise bad(f"The operator '{op}' is not supported by the '{field}' field.")
            test = compare[op]
            return (lambda i: test(getattr(i, attr))), None
        getter = self._getter(field)
        wanted_values = {v.lower() for v in values}
        if op in ("=", "in"):
            return (lambda i: bool(getter(i) & wanted_values)), None
        if op in ("!=", "not in"):
            return (lambda i: not getter(i) & wanted_values), None
        raise bad(f"The operator '{op}' is not supported by the '{field}' field.")

    def _getter(self, field: str) -> Callable[[object], set[str]]:
        types, statuses = catalog.ISSUE_TYPES, catalog.STATUSES
        getters = {
            "key": lambda i: {i.key.lower()},
            "issuekey": lambda i: {i.key.lower()},
            "id": lambda i: {str(i.id)},
            "issuetype": lambda i: {types[i.type][0], types[i.type][1].lower()},
            "status": lambda i: {statuses[i.status][0], statuses[i.status][1].lower()},
            "labels": lambda i: {label.lower() for label in i.labels},
            "assignee": lambda i: (
                {self.world.users[i.assignee].account_id.lower()} if i.assignee is not None else set()
            ),
            "parent": lambda i: {self.world.issues[i.parent].key.lower()} if i.parent else set(),
        }
        getters["type"] = getters["issuetype"]
        if field not in getters:
            raise bad(f"Field '{field}' does not exist or you do not have permission to view it.")
        return getters[field]

    def _is_empty(self, field: str, negate: bool) -> Predicate:
        getter = self._getter(field)
        return (lambda i: bool(getter(i))) if negate else (lambda i: not getter(i))

    def _project(self, value: str) -> int:
        for project in self.world.projects:
            if value.upper() == project.key or value == str(project.id) or value.lower() == project.name.lower():
                return project.index
        raise bad(f"The value '{value}' does not exist for the field 'project'.")

    def _time(self, value: str) -> int:
        if value.lstrip("-").isdigit() and len(value.lstrip("-")) > 8:
            return int(value)
        period = PERIOD.match(value)
        if period:
            sign = -1 if period.group(1) == "-" else 1
            return self.world.now + sign * int(period.group(2)) * PERIOD_MS[period.group(3)]
        for fmt in DATE_FORMATS:
            try:
                local = dt.datetime.strptime(value, fmt)
            except ValueError:
                continue
            return int(local.replace(tzinfo=self.world.tz).timestamp() * 1000)  # the user's zone, not UTC
        raise bad(
            f"Date value '{value}' for field 'updated' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
            "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
        )


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value
