"""The `docs` command: write docs/tables.md (the data dictionary) and refresh the README's copy of `make help`.

Merged into the CLI by `pipelines/cli.py`: `cli_docs.register(sub)` and `COMMANDS.update(cli_docs.COMMANDS)`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from pipelines.errors import DplError, ErrorClass
from pipelines.silver.docs import tables_markdown

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "docs" / "tables.md"
README = REPO / "README.md"
HELP_MARK = "Generated from `make help`"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def register(sub) -> None:
    """Add the `docs` sub-command to the CLI's subparsers."""
    docs = sub.add_parser("docs", help="write docs/tables.md and refresh the README's copy of `make help`")
    docs.add_argument("--out", default=str(DEFAULT_OUT), help="where to write the tables page")
    docs.add_argument("--readme", default=str(README), help="the README whose `make help` block to refresh")


def cmd_docs(settings, args) -> int:
    """Write the tables page; refresh the README's `make help` block when make is available."""
    out = Path(args.out)
    write_text(out, tables_markdown(settings))
    print(f"docs: wrote {out}")
    readme = Path(args.readme)
    help_lines = make_help(REPO)
    if help_lines is None:
        print("docs: `make` not found: the README's copy of `make help` was left as it is")
    elif readme.exists():
        changed = refresh_help(readme, help_lines)
        print(f"docs: {readme}: copy of `make help` {'refreshed' if changed else 'already current'}")
    return 0


def make_help(folder: Path) -> list[str] | None:
    """The lines `make help` prints in `folder`, without colours; None without make."""
    if not shutil.which("make"):
        return None
    done = subprocess.run(["make", "-s", "--no-print-directory", "help"], cwd=folder, capture_output=True, text=True)
    if done.returncode != 0:
        raise DplError(ErrorClass.CONFIG, f"`make help` failed in {folder}: {done.stderr.strip()[:200]}")
    return [ANSI.sub("", line).rstrip() for line in done.stdout.splitlines() if line.strip()]


def refresh_help(readme: Path, lines: list[str]) -> bool:
    """Replace the code block after the README's "Generated from `make help`" line; True if it changed."""
    text = readme.read_text(encoding="utf-8")
    head, mark, rest = text.partition(HELP_MARK)
    if not mark:
        raise DplError(ErrorClass.CONFIG, f"{readme}: no line with {HELP_MARK!r} to put `make help` after")
    before, fence, after = rest.partition("```\n")
    _, end, tail = after.partition("```")
    if not fence or not end:
        raise DplError(ErrorClass.CONFIG, f"{readme}: no ``` block after {HELP_MARK!r}")
    new = head + mark + before + fence + "\n".join(lines) + "\n" + end + tail
    if new == text:
        return False
    write_text(readme, new)
    return True


def write_text(path: Path, text: str) -> None:
    """Write atomically (a tmp file renamed), creating the folder."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise DplError(ErrorClass.STORAGE, f"cannot write {path}: {exc.strerror or exc}") from None


COMMANDS = {"docs": cmd_docs}
