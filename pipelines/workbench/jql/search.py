"""Text search of JQL's `~` / `!~`: whole words, case-insensitive, every term in one field.

`word*` is a prefix, `?` one character, `"\\"two words\\""` a phrase; CJK text matches as a substring
(it has no spaces between words). No stemming. The patterns are RE2 (DuckDB's `regexp_matches`).
"""

from __future__ import annotations

import re

from pipelines.workbench.jql.fields import Field
from pipelines.workbench.jql.syntax import Clause, JqlError, Literal

WORD = r"[\pL\pN_]"
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
ADF_TEXT = r"""'"text":"((?:[^"\\]|\\.)*)"'"""
COMMENT_TEXT = (
    f"case when c.is_body_adf then array_to_string(regexp_extract_all(c.body, {ADF_TEXT}, 1), ' ') else c.body end"
)


class TextSearch:
    """The `~` clauses of a Translator (which provides `bind`)."""

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
        parts += [self.all_terms(column, patterns) for column in self.text_columns()]
        return "(" + " or ".join(parts) + ")"


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
