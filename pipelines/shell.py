"""`make shell`: a read-only SQL prompt on the warehouse and the bronze_<source>_<stream> views.

    make shell                                   # prompt; statements run at `;`, Ctrl-D quits
    echo "select 1;" | make shell                 # piped: the same, exits non-zero on the first error
    make shell SQL="select count(*) from jira_issues" FILE=q.sql WIDTH=120 TIMEOUT=30

The session is the locked sandbox of agent/sandbox.py without a policy: the whole warehouse
(attached READ_ONLY) plus bronze views, but no file access (read_text, COPY, quoted paths), no
ATTACH, no INSTALL/LOAD, no settings; only queries (SELECT, EXPLAIN) run. Statements run up to
their `;`, over as many lines as they take, typed or piped; the last one may omit it. Dot
commands: `.tables`, `.maxwidth N` (widest text cell shown), `.help`, `.quit`.
"""

from __future__ import annotations

import sys

from agent.errors import QueryError
from agent.sandbox import Limits, open_session
from pipelines.display import table

PROMPT, CONTINUE = "dpl> ", "...> "
MAX_ROWS = 200
DEFAULT_WIDTH = 70
TABLES_SQL = (
    "select table_catalog as catalog, table_schema as schema, table_name as name, table_type as kind, "
    "TABLE_COMMENT as description from information_schema.tables order by all"
)
DESCRIBE_SQL = (
    "select column_name as column, data_type as type, COLUMN_COMMENT as description "
    "from information_schema.columns where table_name = '{name}' order by table_catalog, ordinal_position"
)
HELP = (
    ".tables  list relations · .describe T  columns and meanings · .maxwidth N  widest text cell · "
    ".quit  leave · statements end with ;"
)


class Shell:
    """One shell run: a session, where output goes, and the display width."""

    def __init__(self, session, stdout, stderr, max_width: int):
        self.session, self.stdout, self.stderr, self.max_width = session, stdout, stderr, max_width

    def run(self, sql: str) -> bool:
        """Run every statement of `sql`, printing results; False (and one error line) at the first failure."""
        try:
            for statement in self.session.statements(sql):
                result = self.session.query(statement, max_rows=MAX_ROWS)
                self.stdout.write(render(result, self.max_width) + "\n")
        except QueryError as exc:
            self.stderr.write(f"error: {exc}\n")
            self.stderr.flush()
            return False
        self.stdout.flush()
        return True

    def dot(self, command: str) -> bool | None:
        """A dot command; None means quit."""
        name, _, argument = command.strip().partition(" ")
        if name in (".quit", ".exit"):
            return None
        if name == ".tables":
            return self.run(TABLES_SQL)
        if name == ".describe" and argument.strip():
            return self.run(DESCRIBE_SQL.format(name=argument.strip().strip(";").replace("'", "''")))
        if name == ".maxwidth" and argument.strip().isdigit() and int(argument) > 0:
            self.max_width = int(argument)
            return True
        if name == ".help":
            self.stdout.write(HELP + "\n")
            return True
        self.stderr.write(f"error: unknown command {command.strip()!r} ({HELP})\n")
        return False


def run_shell(
    settings,
    stdin=None,
    stdout=None,
    sql: str | None = None,
    max_width: int = DEFAULT_WIDTH,
    stderr=None,
    timeout_s: float | None = None,
) -> int:
    """Run `sql`, or statements read from stdin; exit code 1 after an error unless typing at a terminal."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    with open_session(settings, limits=Limits(timeout_s=timeout_s)) as session:
        shell = Shell(session, stdout, stderr, max_width)
        if sql is not None:
            return 0 if shell.run(sql) else 1
        return read_loop(shell, stdin)


def read_loop(shell: Shell, stdin) -> int:
    interactive = stdin.isatty()
    if interactive:
        shell.stdout.write(
            "Read-only DuckDB session on the warehouse and bronze views; .help for commands, Ctrl-D quits\n"
        )
    buffer, failed = "", False
    while True:
        if interactive:
            shell.stdout.write(CONTINUE if buffer.strip() else PROMPT)
            shell.stdout.flush()
        line = stdin.readline()
        if not line:
            break
        if not buffer.strip() and line.lstrip().startswith("."):
            outcome = shell.dot(line)
            if outcome is None:
                break
            failed = failed or not outcome
        else:
            buffer += line
            if not statement_complete(buffer):
                continue
            failed = not shell.run(buffer) or failed
            buffer = ""
        if failed and not interactive:
            return 1
    if buffer.strip() and not shell.run(buffer):
        failed = True
    return 1 if failed and not interactive else 0


def statement_complete(text: str) -> bool:
    """Whether `text` ends with a `;` outside quotes and comments (trailing blanks and comments ignored)."""
    last, i, n = "", 0, len(text)
    while i < n:
        char, pair = text[i], text[i : i + 2]
        if pair == "--":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if pair == "/*":
            end = text.find("*/", i + 2)
            if end < 0:
                return False
            i = end + 2
            continue
        if char in "'\"":
            end = text.find(char, i + 1)
            while end >= 0 and text[end + 1 : end + 2] == char:  # doubled quote inside the literal
                end = text.find(char, end + 2)
            if end < 0:
                return False
            last, i = char, end + 1
            continue
        if not char.isspace():
            last = char
        i += 1
    return last == ";"


def render(result, max_width: int) -> str:
    """A result as an aligned text table, text cells cut at `max_width`."""
    if not result.columns:
        return "ok"
    keys = unique(result.columns)
    rows = [dict(zip(keys, row, strict=True)) for row in result.rows]
    text = table(rows, keys, empty="(no rows)", max_width=max_width)
    return text + (f"\n(first {len(result.rows)} rows shown)" if result.truncated else "")


def unique(names: list[str]) -> list[str]:
    """Column names made unique for display (`a`, `a_2`, ...)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out
