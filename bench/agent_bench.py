"""The agent sandbox's price: policy sessions (streamed, masked views) against a direct read-only attach.

    python bench/agent_bench.py --rows 1000000 --tables 60 --repeat 3 --out bench/results/agent.json

Builds a synthetic warehouse (`jira_issues` with `--rows` rows and ten columns, one of them
masked, plus `--tables` small tables), then measures in the same run:
- `open_cold_s` / `open_warm_s`: `open_session(settings, policy)` the first time in a process
  (Arrow schemas probed) and afterwards (schemas cached), and `open_shell_s` (no policy);
- per query, `policy_s` (the agent's sandbox: the source streams the allowed, masked columns) and
  `attach_s` (the shell's sandbox: the warehouse attached read-only), and their ratio.
Figures are medians of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.policy import AiPolicy
from agent.sandbox import open_session
from pipelines.settings import Settings

QUERIES = {
    "count": "select count(*) from jira_issues",
    "group_by": "select status, count(*), avg(story_points) from jira_issues group by 1 order by 1",
    "point_lookup": "select * from jira_issues where issue_key = 'K-77'",
    "distinct_masked": "select count(distinct reporter_email) from jira_issues",
}


def build(path: Path, rows: int, tables: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(
            f"""create table jira_issues as select 'K-' || i as issue_key, i as issue_id,
                'summary of issue ' || i as summary, repeat('description ', 10) as description,
                'user' || (i % 500) || '@example.com' as reporter_email, (i % 7)::varchar as status,
                timestamp '2026-01-01' + to_seconds(i) as created_at, i % 13 as priority,
                i * 1.5 as story_points, i % 2 = 0 as is_deleted from range({rows}) t(i)"""
        )
        for n in range(tables):
            con.execute(f"create table extra_{n} as select range as id, 'x' || range as v from range(100)")


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run(rows: int, tables: int, repeat: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="agent-bench-"))
    build(work / "w.duckdb", rows, tables)
    settings = Settings(config_dir=work, bronze_dir=work / "bronze", warehouse=work / "w.duckdb")
    policy = AiPolicy(masked_columns=(".*email.*",), max_rows=100, timeout_s=120, memory_limit="2GB")
    figures: dict = {"rows": rows, "tables": tables + 1, "repeat": repeat}
    agent_open = lambda: open_session(settings, policy).close()  # noqa: E731
    figures["open_cold_s"] = round(timed(agent_open), 3)
    figures["open_warm_s"] = round(median(timed(agent_open) for _ in range(repeat)), 3)
    figures["open_shell_s"] = round(median(timed(lambda: open_session(settings).close()) for _ in range(repeat)), 3)
    with open_session(settings, policy) as agent, open_session(settings) as shell:
        for name, sql in QUERIES.items():
            policy_s = median(timed(lambda q=sql: agent.query(q)) for _ in range(repeat))
            attach_s = median(timed(lambda q=sql: shell.query(q)) for _ in range(repeat))
            figures[name] = {
                "policy_s": round(policy_s, 4),
                "attach_s": round(attach_s, 4),
                "policy_over_attach": round(policy_s / attach_s, 1),
            }
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tables", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    figures = run(args.rows, args.tables, args.repeat)
    text = json.dumps(figures, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
