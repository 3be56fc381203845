"""Our sources in a plain dlt pipeline: the README's example, run against the Jira simulator."""

from __future__ import annotations

import re

import duckdb

from tests.conftest import REPO

HEADING = "### Use the sources in your own dlt pipeline"


def readme_example() -> str:
    """The first python block after the heading, as users copy it."""
    section = (REPO / "README.md").read_text(encoding="utf-8").split(HEADING, 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def run_example() -> dict:
    scope: dict = {}
    exec(compile(readme_example(), "README.md", "exec"), scope)
    return scope


def counts(path) -> dict[str, tuple[int, int]]:
    """{table: (rows, distinct __id)} of the example's duckdb file."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'jira_raw'"
            ).fetchall()
        ]
        return {
            n: con.execute(f'select count(*), count(distinct "__id") from jira_raw."{n}"').fetchone()
            for n in names
            if n.startswith("jira__")
        }


def test_the_readme_example_runs_the_jira_source_in_a_plain_pipeline_incrementally(start_sim, sim_env, tmp_path):
    server = start_sim("jira", scale={"projects": 2, "issues": 30, "users": 6})
    sim_env("jira", server)
    world = server.world
    run_example()
    first = counts(tmp_path / "my_jira.duckdb")
    assert first["jira__issues"] == (30, 30)
    assert {"jira__comments", "jira__worklogs", "jira__issue_changelogs", "jira__projects", "jira__users"} <= set(first)
    assert all(rows == ids for rows, ids in first.values())
    with duckdb.connect(str(tmp_path / "my_jira.duckdb"), read_only=True) as con:
        envelope = con.execute(
            'select "__source", "__stream", "__run_id", "__cursor", "__parent", payload ->> \'key\' '
            'from jira_raw."jira__issues" limit 1'
        ).fetchone()
    assert envelope[:2] == ("jira", "issues") and re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", envelope[2])
    assert envelope[3].endswith("Z") and envelope[5].count("-") == 1

    server.reset_log()
    world.advance(8)
    run_example()
    searches = [q["query"]["jql"] for q in server.requests() if q["path"] == "/rest/api/3/search/jql"]
    issue_searches = [jql for jql in searches if "ORDER BY updated" in jql]
    assert issue_searches and all(re.search(r"updated >= \d{13} ", jql) for jql in issue_searches)
    second = counts(tmp_path / "my_jira.duckdb")
    assert second["jira__issues"][0] == second["jira__issues"][1] == len(world.issues)
