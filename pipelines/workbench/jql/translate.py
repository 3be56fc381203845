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

import dataclasses
import datetime as dt
import re

from pipelines.workbench.jql import dates
from pipelines.workbench.jql.fields import HISTORY, UNSUPPORTED, Field, lookup
from pipelines.workbench.jql.syntax import And, Clause, Empty, Function, JqlError, Literal, Not, Or, Query, ValueList

CATEGORIES = {
    "new": ("new", "to do", "2"),
    "indeterminate": ("indeterminate", "in progress", "4"),
    "done": ("done", "3"),
    "undefined": ("undefined", "no category", "1"),
}
KEY = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)-(\d+)$")
CUSTOM_ID = re.compile(r"^cf\[(\d+)\]$", re.IGNORECASE)
WORD = r"[\pL\pN_]"
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
ADF_TEXT = r"""'"text":"((?:[^"\\]|\\.)*)"'"""
COMMENT_TEXT = (
    f"case when c.is_body_adf then array_to_string(regexp_extract_all(c.body, {ADF_TEXT}, 1), ' ') else c.body end"
)
COMPARE = {">": ">", ">=": ">=", "<": "<", "<=": "<="}
CHECKED = ("project", "status", "issuetype", "priority", "version", "sprint")  # values looked up before running
SPRINT_STATES = {"opensprints": "active", "closedsprints": "closed", "futuresprints": "future"}


@dataclasses.dataclass
class Lookup:
    """A value or field name to check against the warehouse before running (see run.check)."""

    kind: str  # custom_field | user | project | status | ...
    value: str
    field: str = ""  # the JQL field, for the error message


class Translator:
    """Builds SQL fragments and their parameters, in the order they appear in the text."""

    def __init__(self, clock: dates.Clock, current_user: str | None, groups) -> None:
        self.clock = clock
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
        field = lookup(clause.field)
        if field is None:
            return self.custom(clause)
        if clause.operator not in field.operators:
            raise JqlError(
                f"JQL: the operator {clause.operator.upper()!r} is not supported by the field {field.name!r} "
                f"(in `{clause.text}`; it takes {', '.join(o.upper() for o in field.operators)})"
            )
        if clause.operator in HISTORY:
            return self.history(field, clause)
        if field.kind == "text":
            return self.text(field, clause)
        if field.kind == "date":
            return self.date(field, clause)
        if field.kind == "key" and clause.operator in COMPARE:
            return self.key_order(clause)
        return self.equality(field, clause)

    # -- equality over one value or a list ------------------------------------------------------------

    def equality(self, field: Field, clause: Clause) -> str:
        op, values = clause.operator, _values(clause.operand)
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
        element = field.column if field.kind in ("choice", "key") else "e.v"
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

    def date(self, field: Field, clause: Clause) -> str:
        op, column = clause.operator, self.instant(field)
        if op in ("is", "is not"):
            return f"({column} is {'not ' if op == 'is not' else ''}null)"
        values = _values(clause.operand)
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

    # -- text --------------------------------------------------------------------------------------

    def text(self, field: Field, clause: Clause) -> str:
        op = clause.operator
        if op in ("is", "is not"):
            if field.name in ("comment", "text"):
                raise JqlError(f"JQL: {field.name} does not support IS EMPTY")
            return f"({field.column} is {'not ' if op == 'is not' else ''}null)"
        if not isinstance(clause.operand, Literal):
            raise JqlError(f"JQL: `{clause.text}`: {op} needs a text value")
        patterns = terms(clause.operand.text, clause.text)
        if field.name == "comment":
            found = self.comment_match(patterns)
            has = "exists (select 1 from jira_comments as c where c.issue_id = i.issue_id)"
            return found if op == "~" else f"({has} and not {found})"
        if field.name == "text":
            found = self.text_match(patterns)
            return found if op == "~" else f"(not {found})"
        found = self.all_terms(field.column, patterns)
        return found if op == "~" else f"({field.column} is not null and not {found})"

    def all_terms(self, column: str, patterns: list[str]) -> str:
        tests = " and ".join(f"regexp_matches({column}, {self.bind(p)}, 'i')" for p in patterns)
        return f"coalesce(({tests}), false)"

    def comment_match(self, patterns: list[str]) -> str:
        return (
            "exists (select 1 from jira_comments as c where c.issue_id = i.issue_id "
            f"and {self.all_terms(COMMENT_TEXT, patterns)})"
        )

    def text_match(self, patterns: list[str]) -> str:
        columns = ("i.summary", "i.description_text", "i.environment_text")
        parts = [self.all_terms(column, patterns) for column in columns]
        parts.append(self.comment_match(patterns))
        parts.append(
            "exists (select 1 from jira_issue_custom_fields as cf where cf.issue_id = i.issue_id "
            f"and cf.is_text and {self.all_terms('cf.value_text', patterns)})"
        )
        return "(" + " or ".join(parts) + ")"

    # -- history -----------------------------------------------------------------------------------

    def history(self, field: Field, clause: Clause) -> str:
        if field.history is None:
            raise JqlError(
                f"JQL: {clause.operator.upper()} is not supported for the field {field.name!r} (in `{clause.text}`; "
                "history is kept for status, assignee, reporter, priority, resolution and fixVersion)"
            )
        if clause.operator == "changed":
            return self.changed(field, clause)
        values = _values(clause.operand)
        if any(isinstance(v, Empty) for v in values) and field.kind == "multi":
            raise JqlError(f"JQL: `{clause.text}`: WAS EMPTY is not supported for {field.name}")
        tests = []
        for value in values:
            if isinstance(value, Empty):
                tests.append("(p.value_id is null and p.value_name is null)")
            else:
                tests.append(self.period_match(field, value, clause))
        conditions = [f"p.issue_id = i.issue_id and p.field = {self.bind(field.history)}"]
        conditions.append("(" + " or ".join(tests) + ")")
        conditions += [self.predicate(pred, "p", clause) for pred in clause.predicates]
        found = "exists (select 1 from jira_issue_field_periods as p where " + " and ".join(conditions) + ")"
        return f"(not {found})" if " not" in clause.operator else found

    def period_match(self, field: Field, value, clause: Clause) -> str:
        if isinstance(value, Function) and value.name in ("currentuser", "membersof"):
            return self.function(field, "p.value_id", value, clause)
        if isinstance(value, Function):
            raise JqlError(f"JQL: `{clause.text}`: {value.name}() cannot be used with {clause.operator.upper()}")
        text = value.text
        if field.match in CHECKED:
            self.lookups.append(Lookup(field.match, text, field.name))
        if field.match == "user":
            return f"({self.user('p.value_id', text)} or lower(p.value_name) = lower({self.bind(text)}))"
        return f"(lower(p.value_name) = lower({self.bind(text)}) or p.value_id = {self.bind(text)})"

    def changed(self, field: Field, clause: Clause) -> str:
        ids = ", ".join(self.bind(name) for name in field.changelog)
        conditions = [f"h.issue_id = i.issue_id and (lower(h.field_id) in ({ids}) or lower(h.field_name) in ({ids}))"]
        conditions += [self.predicate(pred, "h", clause) for pred in clause.predicates]
        return "exists (select 1 from jira_issue_field_history as h where " + " and ".join(conditions) + ")"

    def predicate(self, predicate, alias: str, clause: Clause) -> str:
        """A WAS (alias p: a period) or CHANGED (alias h: a change) predicate."""
        kind = predicate.kind
        period = alias == "p"
        start = "p.valid_from" if period else "h.changed_at"
        end = "coalesce(p.valid_to, 'infinity'::timestamptz)" if period else "h.changed_at"
        if kind == "by":
            who = "p.set_by_account_id" if period else "h.author_account_id"
            value = predicate.operands[0]
            if isinstance(value, Function):
                fake = Field("BY", "choice", who, "user", functions=("currentuser", "membersof"))
                return self.function(fake, who, value, clause)
            return self.user(who, value.text)
        if kind in ("from", "to"):
            if period:
                raise JqlError(f"JQL: `{clause.text}`: FROM/TO belong to CHANGED, not WAS")
            side = "from" if kind == "from" else "to"
            value = predicate.operands[0]
            if isinstance(value, Empty):
                return f"(h.{side}_value is null and h.{side}_string is null)"
            text = value.text
            return f"(lower(h.{side}_string) = lower({self.bind(text)}) or h.{side}_value = {self.bind(text)})"
        if kind == "during":
            low = dates.moment(predicate.operands[0], self.clock, "DURING")
            high = dates.moment(predicate.operands[1], self.clock, "DURING")
            return f"({start} < {self.bind(high.until)} and {end} >= {self.bind(low.at)})"
        moment = dates.moment(predicate.operands[0], self.clock, kind.upper())
        if kind == "before":
            return f"({start} < {self.bind(moment.at)})"
        if kind == "after":
            return f"({end} > {self.bind(moment.at)})" if period else f"({start} > {self.bind(moment.at)})"
        day_start = moment.at
        day_end = moment.day_end or (moment.at + dt.timedelta(days=1))
        return f"({start} < {self.bind(day_end)} and {end} >= {self.bind(day_start)})"

    # -- custom fields -----------------------------------------------------------------------------

    def custom(self, clause: Clause) -> str:
        name = clause.field.strip()
        if name.lower() in UNSUPPORTED:
            raise JqlError(f"JQL: the field {name!r} is not kept in the warehouse (in `{clause.text}`)")
        ids = self.custom_ids(name)
        op = clause.operator
        if op in HISTORY:
            raise JqlError(f"JQL: {op.upper()} is not supported for custom fields (in `{clause.text}`)")
        exists = f"exists (select 1 from jira_issue_custom_fields as cf where cf.issue_id = i.issue_id and {ids}"
        values = _values(clause.operand) if clause.operand is not None else []
        if op in ("is", "is not") or (op in ("=", "!=") and values == [Empty()]):
            return f"(not {exists}))" if op in ("is", "=") else f"({exists}))"
        if op in ("~", "!~"):
            patterns = terms(values[0].text, clause.text)
            found = f"{exists} and {self.all_terms('cf.value_text', patterns)})"
            return found if op == "~" else f"({exists}) and not {found})"
        wanted = [v for v in values if not isinstance(v, Empty)]
        with_empty = len(wanted) < len(values)
        tests = " or ".join(self.custom_value(op, value, clause) for value in wanted) or "false"
        found = f"{exists} and ({tests}))"
        if op in ("=", "in", ">", ">=", "<", "<="):
            return f"({found} or not {exists}))" if with_empty else found
        return f"({exists}) and not {found})"

    def custom_value(self, op: str, value, clause: Clause) -> str:
        if not isinstance(value, Literal):
            raise JqlError(f"JQL: `{clause.text}`: custom fields take plain values, not functions")
        text = value.text
        number = _number(text)
        if op in COMPARE:
            if number is not None:
                return f"cf.value_number {op} {self.bind(number)}"
            moment = dates.moment(value, self.clock, clause.field)
            local = f"timezone({self.bind(self.clock.zone.key)}, try_cast(cf.value_text as timestamp))"
            return f"{local} {op} {self.bind(moment.at)}"
        value = self.bind(text)
        tests = [f"lower(cf.value_text) = lower({value})", f"lower(cf.value_label) = lower({value})"]
        if number is not None:
            tests.append(f"cf.value_number = {self.bind(number)}")
        return "(" + " or ".join(tests) + ")"

    # -- ORDER BY ----------------------------------------------------------------------------------

    def order(self, sort) -> str:
        direction = "desc" if sort.descending else "asc"
        field = lookup(sort.field)
        if field is not None and field.kind == "key":
            number = "try_cast(split_part(i.issue_key, '-', 2) as bigint)"
            return f"i.project_key {direction}, {number} {direction}"
        if field is not None:
            if field.order is None:
                raise JqlError(f"JQL: ORDER BY {field.name} is not supported")
            return f"{field.order} {direction} nulls last"
        ids = self.custom_ids(sort.field)
        value = (
            "(select coalesce(max(cf.value_number)::varchar, max(cf.value_text)) from jira_issue_custom_fields as cf "
            f"where cf.issue_id = i.issue_id and {ids})"
        )
        return f"{value} {direction} nulls last"

    def custom_ids(self, name: str) -> str:
        """SQL: `cf.field_id` is the custom field named `name` (or `cf[N]`); checked before running."""
        self.lookups.append(Lookup("custom_field", name))
        numbered = CUSTOM_ID.match(name)
        if numbered:
            return f"cf.field_id = {self.bind('customfield_' + numbered.group(1))}"
        names = f"select f.field_id from jira_fields as f where lower(f.field_name) = lower({self.bind(name)})"
        return f"cf.field_id in ({names})"


def _values(operand) -> list:
    if isinstance(operand, ValueList):
        return list(operand.items)
    return [operand]


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def terms(text: str, clause: str) -> list[str]:
    """RE2 patterns, one per search term of a `~` value: whole words, `*` a prefix, quoted text a phrase."""
    text = text.strip()
    if not text:
        raise JqlError(f"JQL: `{clause}`: ~ needs at least one word")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return [_phrase(text[1:-1], clause)]
    patterns = []
    for term in text.split():
        if term in ("AND", "OR", "NOT", "&&", "||") or term[0] in "+-!~" or term.endswith(("~", "^")) or "~" in term:
            raise JqlError(f"JQL: `{clause}`: Lucene syntax ({term!r}) is not supported in ~; use words and word*")
        if term.startswith(("*", "?")):
            raise JqlError(f"JQL: `{clause}`: a term cannot start with a wildcard ({term!r})")
        patterns.append(_phrase(term, clause))
    return patterns


def _phrase(text: str, clause: str) -> str:
    words = re.findall(r"[\w*?]+", text)
    words = [w for w in words if w.strip("*?")]
    if not words:
        raise JqlError(f"JQL: `{clause}`: {text!r} has no word to search for")
    parts = []
    for word in words:
        core = re.escape(word.replace("*", "\0").replace("?", "\1"))
        core = core.replace("\0", f"{WORD}*").replace("\1", WORD)
        parts.append(core)
    body = "[^\\pL\\pN_]+".join(parts)
    if CJK.search(text):
        return body
    return f"(^|[^\\pL\\pN_]){body}($|[^\\pL\\pN_])"


def translate(query: Query, translator: Translator, select: str, base: str, default_order: str) -> str:
    """The full SELECT: columns, the base relation and filter, the JQL WHERE and ORDER BY."""
    where = translator.where(query.where) if query.where is not None else "true"
    order = ", ".join(translator.order(sort) for sort in query.order) if query.order else default_order
    return f"select {select}\nfrom {base}\nwhere not i.is_deleted and {where}\norder by {order}, i.issue_id"
