"""A parsed JQL query → one SQL SELECT over the silver tables, with every user value a bound parameter.

Jira's semantics kept here:
  - `f != v`, `f NOT IN (...)`, `f !~ v` (and so `NOT f = v`) never match an issue whose f is empty;
  - `f IN (EMPTY, v)` matches empty or v; `f = EMPTY` is `f IS EMPTY`;
  - on lists (labels, fixVersion ...) `=` means "has", `!=` "has values, none of them v";
  - WAS / WAS IN / WAS NOT / WAS NOT IN over the periods each value held (`jira_issue_field_periods`,
    today's value included), CHANGED over the changelog, both with AFTER/BEFORE/ON/DURING/BY (and FROM/TO);
  - `~` matches words case-insensitively, every term, in one field (`text` = summary, description,
    environment, a comment or a kept text custom field); `term*` is a prefix, `"\"a b\""` a phrase;
  - dates in the configured zone (see dates.py); deleted issues are never returned.
"""

from __future__ import annotations

import re

from pipelines.workbench.jql import dates
from pipelines.workbench.jql.custom import Catalog, CustomFields
from pipelines.workbench.jql.fields import CHECKED, HISTORY, Field, Lookup, lookup
from pipelines.workbench.jql.history import History
from pipelines.workbench.jql.search import TextSearch
from pipelines.workbench.jql.syntax import (
    And,
    Clause,
    Empty,
    Function,
    JqlError,
    Literal,
    Not,
    Or,
    Query,
    ValueList,
    values_of,
)

CATEGORIES = {
    "new": ("new", "to do", "2"),
    "indeterminate": ("indeterminate", "in progress", "4"),
    "done": ("done", "3"),
    "undefined": ("undefined", "no category", "1"),
}
KEY = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)-(\d+)$")
COMPARE = {">": ">", ">=": ">=", "<": "<", "<=": "<="}
SPRINT_STATES = {"opensprints": "active", "closedsprints": "closed", "futuresprints": "future"}


class Translator(TextSearch, History, CustomFields):
    """Builds SQL fragments and their parameters, in the order they appear in the text."""

    def __init__(self, clock: dates.Clock, current_user: str | None, groups, catalog: Catalog) -> None:
        self.clock = clock
        self.catalog = catalog
        self.current_user = current_user
        self.groups = groups
        self.params: dict[str, object] = {}
        self.lookups: list[Lookup] = []

    def bind(self, value) -> str:
        """A named parameter holding `value` (the same fragment may then appear twice)."""
        name = f"p{len(self.params) + 1}"
        self.params[name] = value
        return f"${name}"

    # -- boolean structure ------------------------------------------------------------------------

    def where(self, node) -> str:
        if isinstance(node, And):
            return "(" + " and ".join(self.where(item) for item in node.items) + ")"
        if isinstance(node, Or):
            return "(" + " or ".join(self.where(item) for item in node.items) + ")"
        if isinstance(node, Not):
            return f"(not {self.where(node.item)})"
        return self.clause(node)

    def clause(self, clause: Clause) -> str:
        field = lookup(clause.field) or self.custom_field(clause)
        if clause.operator not in field.operators:
            raise JqlError(
                f"JQL: the operator {clause.operator.upper()!r} is not supported by the field {field.name!r} "
                f"(in `{clause.text}`; it takes {', '.join(o.upper() for o in field.operators)})"
            )
        if clause.operator in HISTORY:
            return self.history(field, clause)
        if field.kind == "text" or clause.operator in ("~", "!~"):
            return self.text(field, clause)
        if field.kind == "number" and clause.operator in COMPARE:
            return self.number(field, clause)
        if field.kind == "date":
            return self.date(field, clause)
        if field.kind == "key" and clause.operator in COMPARE:
            return self.key_order(clause)
        return self.equality(field, clause)

    # -- equality over one value or a list ------------------------------------------------------------

    def equality(self, field: Field, clause: Clause) -> str:
        op, values = clause.operator, values_of(clause.operand)
        if op in ("is", "is not") or (op in ("=", "!=") and values == [Empty()]):
            empty = self.empty(field)
            return empty if op in ("is", "=") else f"(not {empty})"
        if op in ("=", "!=") and len(values) != 1:
            raise JqlError(f"JQL: `{clause.text}`: {op} takes one value; use IN (...) for several")
        wanted = [v for v in values if not isinstance(v, Empty)]
        with_empty = len(wanted) < len(values)
        if field.name == "resolution":  # Jira's "Unresolved" is an empty resolution
            with_empty = with_empty or any(isinstance(v, Literal) and v.text.lower() == "unresolved" for v in wanted)
            wanted = [v for v in wanted if not (isinstance(v, Literal) and v.text.lower() == "unresolved")]
        if op in ("=", "in"):
            parts = [self.has(field, wanted, clause)] if wanted else []
            if with_empty:
                parts.append(self.empty(field))
            return "(" + " or ".join(parts) + ")" if parts else "false"
        if not wanted:
            return f"(not {self.empty(field)})"
        return f"(not {self.empty(field)} and not {self.has(field, wanted, clause)})"

    def has(self, field: Field, values: list, clause: Clause) -> str:
        """Some element of the field matches one of `values` (never NULL)."""
        element = "e.v" if field.kind == "multi" else field.column
        test = " or ".join(self.match(field, element, value, clause) for value in values)
        if field.kind == "multi":
            return f"exists (select 1 from (select unnest({field.column}) as v) as e where {test})"
        return f"coalesce(({test}), false)"

    def empty(self, field: Field) -> str:
        if field.kind == "multi":
            return f"(len(coalesce({field.column}, [])) = 0)"
        if field.kind == "key":
            return "false"
        return f"({field.column} is null)"

    def match(self, field: Field, element: str, value, clause: Clause) -> str:
        """SQL: `element` (one value of the field) matches `value` (a literal or a function)."""
        if isinstance(value, Function):
            return self.function(field, element, value, clause)
        if isinstance(value, ValueList):
            raise JqlError(f"JQL: `{clause.text}`: a list is not a value here")
        text = value.text
        kind = field.match
        if kind in CHECKED:
            self.lookups.append(Lookup(kind, text, field.name))
        if kind == "project":
            return (
                f"(upper({element}) = upper({self.bind(text)}) or {element} in (select p.project_key from "
                f"jira_projects as p where lower(p.project_name) = lower({self.bind(text)}) "
                f"or p.project_id::varchar = {self.bind(text)}))"
            )
        if kind == "key":
            return f"(i.issue_key = upper({self.bind(text)}) or i.issue_id::varchar = {self.bind(text)})"
        if kind in ("issuetype", "status"):
            column = "i.issue_type_id" if kind == "issuetype" else "i.status_id"
            return f"(lower({element}) = lower({self.bind(text)}) or {column}::varchar = {self.bind(text)})"
        if kind == "category":
            keys = [key for key, names in CATEGORIES.items() if text.lower() in names]
            if not keys:
                raise JqlError(
                    f"JQL: the value {text!r} does not exist for the field 'statusCategory' "
                    "(expected To Do, In Progress, Done or new, indeterminate, done)"
                )
            return f"({element} = {self.bind(keys[0])})"
        if kind == "priority":
            return (
                f"(lower({element}) = lower({self.bind(text)}) or {element} in (select p.priority_name from "
                f"jira_priorities as p where p.priority_id::varchar = {self.bind(text)}))"
            )
        if kind == "value":
            return f"(lower({element}::varchar) = lower({self.bind(text)}))"
        if kind == "number":
            return f"({element} = {self.bind(_number(text, clause))})"
        if kind in ("resolution", "label"):
            return f"(lower({element}) = lower({self.bind(text)}))"
        if kind == "user":
            return self.user(element, text, field.name)
        if kind == "version":
            return (
                f"(lower({element}.release_name) = lower({self.bind(text)}) "
                f"or {element}.release_id::varchar = {self.bind(text)})"
            )
        if kind == "sprint":
            return (
                f"({element}::varchar = {self.bind(text)} or {element} in (select s.sprint_id from jira_sprints as s "
                f"where lower(s.sprint_name) = lower({self.bind(text)})))"
            )
        if kind in ("parent", "issue_key"):
            extra = f" or i.parent_issue_id::varchar = {self.bind(text)}" if kind == "parent" else ""
            return f"({element} = upper({self.bind(text)}){extra})"
        raise AssertionError(kind)

    def user(self, element: str, text: str, field: str = "user") -> str:
        self.lookups.append(Lookup("user", text, field))
        return (
            f"({element} = {self.bind(text)} or {element} in (select u.account_id from jira_users as u "
            f"where lower(u.display_name) = lower({self.bind(text)}) "
            f"or lower(u.email_address) = lower({self.bind(text)})))"
        )

    def function(self, field: Field, element: str, call: Function, clause: Clause) -> str:
        name = call.name
        if name not in field.functions:
            allowed = ", ".join(f + "()" for f in field.functions) or "none"
            raise JqlError(
                f"JQL: the function {name}() is not supported by the field {field.name!r} in `{clause.text}` "
                f"(it takes: {allowed})"
            )
        if name == "currentuser":
            if not self.current_user:
                raise JqlError("JQL: currentUser() needs `current_user` in config/workbench.yaml (an account id)")
            return self.user(element, self.current_user)
        if name == "membersof":
            group = call.args[0] if call.args else ""
            members = self.groups.get(group) or self.groups.get(group.lower())
            if not members:
                known = ", ".join(sorted(self.groups)) or "none defined"
                raise JqlError(
                    f"JQL: membersOf({group!r}): the group is unknown (groups in config/workbench.yaml: {known})"
                )
            return "(" + " or ".join(self.user(element, member) for member in members) + ")"
        if name in ("standardissuetypes", "subtaskissuetypes"):
            return "(i.is_subtask)" if name == "subtaskissuetypes" else "(not i.is_subtask)"
        if name in SPRINT_STATES:
            return (
                f"({element} in (select s.sprint_id from jira_sprints as s "
                f"where s.sprint_state = {self.bind(SPRINT_STATES[name])}))"
            )
        return self.version_function(element, call)

    def version_function(self, element: str, call: Function) -> str:
        projects = ""
        if call.args:
            marks = ", ".join(self.bind(arg.upper()) for arg in call.args)
            projects = f" and upper(r.project_key) in ({marks})"
        released = "r.is_released" if "released" in call.name and "unreleased" not in call.name else "not r.is_released"
        if call.name in ("releasedversions", "unreleasedversions"):
            return f"({element}.release_id in (select r.release_id from jira_releases as r where {released}{projects}))"
        direction = "desc" if call.name == "latestreleasedversion" else "asc"
        return (
            f"({element}.release_id in (select r.release_id from jira_releases as r where {released}{projects} "
            f"qualify row_number() over (partition by r.project_key order by r.release_date {direction} nulls last, "
            "r.release_id) = 1))"
        )

    # -- keys and dates ---------------------------------------------------------------------------

    def key_order(self, clause: Clause) -> str:
        value = clause.operand
        match = KEY.match(value.text) if isinstance(value, Literal) else None
        if not match:
            raise JqlError(f"JQL: `{clause.text}`: compare keys with a key such as DPL-12")
        number = "try_cast(split_part(i.issue_key, '-', 2) as bigint)"
        return (
            f"(i.project_key = {self.bind(match.group(1).upper())} "
            f"and {number} {COMPARE[clause.operator]} {self.bind(int(match.group(2)))})"
        )

    def number(self, field: Field, clause: Clause) -> str:
        value = clause.operand
        if not isinstance(value, Literal):
            raise JqlError(f"JQL: `{clause.text}`: {clause.operator} needs a number")
        return f"({field.column} {COMPARE[clause.operator]} {self.bind(_number(value.text, clause))})"

    def date(self, field: Field, clause: Clause) -> str:
        op, column = clause.operator, self.instant(field)
        if op in ("is", "is not"):
            return f"({column} is {'not ' if op == 'is not' else ''}null)"
        values = values_of(clause.operand)
        if op in ("in", "not in"):
            wanted = [v for v in values if not isinstance(v, Empty)]
            test = " or ".join(f"{column} = {self.moment(v, field)}" for v in wanted) or "false"
            empty = f" or {column} is null" if len(wanted) < len(values) else ""
            if op == "in":
                return f"(coalesce(({test}), false){empty})"
            return f"({column} is not null and not coalesce(({test}), false))"
        if len(values) != 1:
            raise JqlError(f"JQL: `{clause.text}`: {op} takes one date")
        if isinstance(values[0], Empty):
            if op not in ("=", "!="):
                raise JqlError(f"JQL: `{clause.text}`: EMPTY cannot be compared with {op}")
            return f"({column} is {'not ' if op == '!=' else ''}null)"
        bound = self.moment(values[0], field)
        return f"({column} {'<>' if op == '!=' else op} {bound})"

    def instant(self, field: Field) -> str:
        """A date field as a timestamptz: a day (due) is its midnight in the zone."""
        if field.day:
            return f"timezone({self.bind(self.clock.zone.key)}, {field.column}::timestamp)"
        return field.column

    def moment(self, value, field: Field) -> str:
        """A date operand as a bound timestamptz parameter."""
        return self.bind(dates.moment(value, self.clock, field.name).at)

    # -- ORDER BY ----------------------------------------------------------------------------------

    def order(self, sort) -> str:
        direction = "desc" if sort.descending else "asc"
        field = lookup(sort.field) or self.custom_field(sort.field)
        if field.kind == "key":
            number = "try_cast(split_part(i.issue_key, '-', 2) as bigint)"
            return f"i.project_key {direction}, {number} {direction}"
        if field.order is None:
            raise JqlError(f"JQL: ORDER BY {field.name} is not supported")
        return f"{field.order} {direction} nulls last"


def _number(text: str, clause: Clause) -> float:
    try:
        return float(text)
    except ValueError:
        raise JqlError(f"JQL: `{clause.text}`: {text!r} is not a number") from None


def translate(query: Query, translator: Translator, select: str, base: str, default_order: str) -> str:
    """The full SELECT: columns, the base relation and filter, the JQL WHERE and ORDER BY."""
    where = translator.where(query.where) if query.where is not None else "true"
    order = ", ".join(translator.order(sort) for sort in query.order) if query.order else default_order
    return f"select {select}\nfrom {base}\nwhere not i.is_deleted and {where}\norder by {order}, i.issue_id"
