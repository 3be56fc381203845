"""The README stays true: its copy of `make help` is the Makefile's, every target it names exists."""

import re
import subprocess

from pipelines.errors import EXIT_STATUS
from tests.conftest import REPO


def make_help() -> list[str]:
    out = subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return [re.sub(r"\x1b\[[0-9;]*m", "", line).rstrip() for line in out.splitlines() if line.strip()]


def test_the_readme_copy_of_make_help_is_current():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("Generated from `make help`", 1)[1].split("```", 2)[1]
    copied = [line.rstrip() for line in block.splitlines() if line.strip()]
    assert copied == make_help()


def test_the_readme_lists_every_exit_code():
    """The README's exit code table is `pipelines/errors.py` EXIT_STATUS, row for row."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", section, flags=re.MULTILINE)
    assert {int(code): text for code, text in rows} == EXIT_STATUS
