"""Custom fields by name (`"Story Points" > 3`) or id (`cf[10016]`), over `jira_issue_custom_fields`."""

from __future__ import annotations

import re

from pipelines.workbench.jql import dates
from pipelines.workbench.jql.fields import HISTORY, UNSUPPORTED, Lookup
from pipelines.workbench.jql.search import terms
from pipelines.workbench.jql.syntax import Clause, Empty, JqlError, Literal, values_of

CUSTOM_ID = re.compile(r"^cf\[(\d+)\]$", re.IGNORECASE)
COMPARISONS = (">", ">=", "<", "<=")


class CustomFields:
    """The custom-field clauses of a Translator (which provides `bind`, `all_terms`, `clock`, `lookups`)."""

    def custom(self, clause: Clause) -> str:
        name = clause.field.strip()
        if name.lower() in UNSUPPORTED:
            raise JqlError(f"JQL: the field {name!r} is not kept in the warehouse (in `{clause.text}`)")
        ids = self.custom_ids(name)
        op = clause.operator
        if op in HISTORY:
            raise JqlError(f"JQL: {op.upper()} is not supported for custom fields (in `{clause.text}`)")
        exists = f"exists (select 1 from jira_issue_custom_fields as cf where cf.issue_id = i.issue_id and {ids}"
        values = values_of(clause.operand) if clause.operand is not None else []
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
        if op in COMPARISONS:
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

    def custom_ids(self, name: str) -> str:
        """SQL: `cf.field_id` is the custom field named `name` (or `cf[N]`); checked before running."""
        self.lookups.append(Lookup("custom_field", name))
        numbered = CUSTOM_ID.match(name)
        if numbered:
            return f"cf.field_id = {self.bind('customfield_' + numbered.group(1))}"
        names = f"select f.field_id from jira_fields as f where lower(f.field_name) = lower({self.bind(name)})"
        return f"cf.field_id in ({names})"


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
