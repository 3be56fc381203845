"""WAS and CHANGED: over the periods each value held (`jira_issue_field_periods`) and the changelog."""

from __future__ import annotations

import datetime as dt

from pipelines.workbench.jql import dates
from pipelines.workbench.jql.fields import CHECKED, Field, Lookup
from pipelines.workbench.jql.syntax import Clause, Empty, Function, JqlError, values_of


class History:
    """The history clauses of a Translator (which provides `bind`, `user`, `function`, `clock`, `lookups`)."""

    def history(self, field: Field, clause: Clause) -> str:
        if field.history is None:
            raise JqlError(
                f"JQL: {clause.operator.upper()} is not supported for the field {field.name!r} (in `{clause.text}`; "
                "history is kept for status, assignee, reporter, priority, resolution and fixVersion)"
            )
        if clause.operator == "changed":
            return self.changed(field, clause)
        values = values_of(clause.operand)
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
