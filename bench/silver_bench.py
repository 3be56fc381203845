"""Silver build on synthetic bronze: full build, incremental merge of changed issues, ratio to a scan.

    python bench/silver_bench.py --issues 1000000 --changed 1000 --repeat 3 --out bench/results/silver.json

Bronze is written by the real bronze writer (zstd JSONL + manifest): `--issues` Jira-like issues
(~3 KB, ~110 custom fields, embedded comments and changelog, epics, sub-tasks, fixVersions,
sprints, story points) plus fields and versions. Figures:
- `scan_s`: a plain DuckDB scan of the same files (read_json with the envelope columns, every
  payload materialised: `count(*)`, `sum(length(payload))`);
- `full_build_s`: `build_silver(full=True)` (every model, one transaction, into a new warehouse);
- `incremental_s`: `build_silver()` after a new run re-delivers `--changed` issues with a later
  `updated`; `noop_s`: `build_silver()` again with nothing new.
Each of `--repeat` rounds scans, then fully builds; then `--repeat` incremental merges follow, each
of a new sample. Figures are medians (the files were just written: every run reads from the page cache);
`*_cpu_s` are this process's CPU seconds, steadier than wall time when other work shares the machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.bronze.ledger import manifest_files
from pipelines.bronze.settings import BronzeSettings
from pipelines.bronze.writer import BronzeWriter
from pipelines.settings import Settings
from pipelines.silver import build_silver
from pipelines.silver.bronze import read_json_sql

PAGE = 100
PART_ROWS = 250_000  # 4 files per million issues, as 128 MB parts of real (less compressible) issues would be
PROJECTS = ("ALPHA", "BETA", "GAMMA", "DELTA")
FIELDS = [
    {"id": "customfield_10016", "name": "Story point estimate", "custom": True, "schema": {"type": "number"}},
    {"id": "customfield_10026", "name": "Story Points", "custom": True, "schema": {"type": "number"}},
    {"id": "customfield_10020", "name": "Sprint", "custom": True, "schema": {"type": "array"}},
    {"id": "customfield_10014", "name": "Epic Link", "custom": True, "schema": {"type": "any"}},
] + [{"id": f"customfield_{10100 + n}", "name": f"Field {n}", "custom": True} for n in range(110)]
TYPES = {
    "Epic": {"id": "10000", "name": "Epic", "subtask": False, "hierarchyLevel": 1},
    "Story": {"id": "10001", "name": "Story", "subtask": False, "hierarchyLevel": 0},
    "Task": {"id": "10002", "name": "Task", "subtask": False, "hierarchyLevel": 0},
    "Bug": {"id": "10004", "name": "Bug", "subtask": False, "hierarchyLevel": 0},
    "Sub-task": {"id": "10003", "name": "Sub-task", "subtask": True, "hierarchyLevel": -1},
}
STATUSES = [
    {"id": "1", "name": "To Do", "statusCategory": {"id": 2, "key": "new", "name": "To Do"}},
    {"id": "3", "name": "In Progress", "statusCategory": {"id": 4, "key": "indeterminate", "name": "In Progress"}},
    {"id": "10001", "name": "Done", "statusCategory": {"id": 3, "key": "done", "name": "Done"}},
]


def custom_fields(rng: random.Random) -> dict:
    """~110 custom fields, mostly null, some numbers, options and label lists (shared by reference)."""
    values = {}
    for n in range(110):
        kind = n % 10
        values[f"customfield_{10100 + n}"] = (
            None
            if kind < 7
            else round(rng.random() * 100, 1)
            if kind == 7
            else {"value": f"option-{n % 9}", "id": str(20000 + n)}
            if kind == 8
            else [f"label-{n}", "数据"]
        )
    return values


def person(n: int) -> dict:
    account = f"5b10a2844c20165700ede{n % 500:03d}"
    return {
        "accountId": account,
        "displayName": f"User {n % 500}",
        "active": True,
        "timeZone": "Europe/Berlin",
        "avatarUrls": {"48x48": f"https://avatar.example/{account}.png"},
        "accountType": "atlassian",
    }


def issue(i: int, version: int, rng: random.Random, shared: dict) -> dict:
    """Issue number `i` (ids 100000+i); `version` shifts its `updated` (a later version is newer)."""
    project = PROJECTS[i % len(PROJECTS)]
    kind = "Epic" if i % 50 == 0 else "Sub-task" if i % 8 == 1 else ("Story", "Story", "Bug", "Task")[i % 4]
    epic = i - i % 50
    status = STATUSES[(i + version) % 3]
    updated = f"2026-{1 + i % 11:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{version % 60:02d}.000+0000"
    fields = {
        **shared,
        "summary": f"Issue {i}: make the widget faster — ünïcödé",
        "project": {"id": str(10000 + PROJECTS.index(project)), "key": project, "name": project.title()},
        "issuetype": TYPES[kind],
        "status": status,
        "priority": {"id": "3", "name": "Medium"},
        "assignee": person(i),
        "reporter": person(i + 7),
        "creator": person(i + 7),
        "labels": ["backend"] + ([f"release-1.{i % 7}"] if i % 10 == 3 else []),
        "fixVersions": [{"id": str(500 + i % 7), "name": f"1.{i % 7}", "released": False}] if i % 10 < 6 else [],
        "created": "2025-01-01T00:00:00.000+0000",
        "updated": updated,
        "resolutiondate": updated if status["statusCategory"]["key"] == "done" else None,
        "customfield_10016": float(i % 8) if kind != "Epic" else None,
        "customfield_10020": [{"id": 1 + i % 40, "name": f"Sprint {1 + i % 40}", "state": "closed", "boardId": 8}],
        "customfield_10014": f"{PROJECTS[epic % 4]}-{epic}" if kind in ("Story", "Bug", "Task") and i % 3 else None,
        "comment": {
            "comments": [
                {
                    "id": str(i * 10),
                    "author": person(i),
                    "body": "looks good " * 5,
                    "created": updated,
                    "updated": updated,
                }
            ],
            "total": 1,
            "maxResults": 20,
        },
        "worklog": {"worklogs": [], "total": 0, "maxResults": 20},
    }
    if kind == "Sub-task":
        parent = i - 1
        fields["parent"] = {
            "id": str(100000 + parent),
            "key": f"{PROJECTS[parent % 4]}-{parent}",
            "fields": {"issuetype": TYPES["Story"], "summary": f"Issue {parent}"},
        }
    histories = [
        {
            "id": str(i * 100 + version),
            "author": person(i),
            "created": updated,
            "items": [
                {
                    "field": "status",
                    "fieldtype": "jira",
                    "fieldId": "status",
                    "from": "1",
                    "fromString": "To Do",
                    "to": status["id"],
                    "toString": status["name"],
                }
            ],
        }
    ]
    return {
        "id": str(100000 + i),
        "key": f"{project}-{i}",
        "self": f"https://example.atlassian.net/rest/api/3/issue/{i}",
        "fields": fields,
        "changelog": {"startAt": 0, "maxResults": 100, "total": 1, "histories": histories},
    }


def write_run(bronze: Path, run_id: str, numbers, version: int, with_dimensions: bool) -> None:
    rng = random.Random(version)
    shared = custom_fields(rng)
    writer = BronzeWriter(bronze, "jira", run_id, BronzeSettings(part_max_rows=PART_ROWS))
    if with_dimensions:
        writer.write_page("fields", FIELDS, [f["id"] for f in FIELDS], [None] * len(FIELDS))
        for p, project in enumerate(PROJECTS):
            versions = [
                {"id": str(500 + v), "name": f"1.{v}", "projectId": 10000 + p, "released": v < 3} for v in range(7)
            ]
            writer.write_page(
                "versions",
                versions,
                [v["id"] for v in versions],
                [None] * 7,
                {"project_id": str(10000 + p), "project_key": project},
            )
    page: list[dict] = []
    for i in numbers:
        page.append(issue(i, version, rng, shared))
        if len(page) == PAGE:
            writer.write_page("issues", page, [r["id"] for r in page], [r["fields"]["updated"] for r in page])
            page = []
    if page:
        writer.write_page("issues", page, [r["id"] for r in page], [r["fields"]["updated"] for r in page])
    writer.close()


def scan(bronze: Path) -> tuple[float, float, object]:
    """Wall and CPU seconds of reading every bronze file, each payload materialised."""
    paths = [f.path for f in manifest_files(bronze)]
    sql = f"select count(*), sum(length(payload)) from ({read_json_sql(bronze, paths)})"
    return timed(lambda: duckdb.connect().execute(sql).fetchall())


class ModelTimes(logging.Handler):
    """Seconds per silver model, from the build's debug log ("silver: <kind> <model> in <s> s")."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seconds: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "silver: %s %s in %.2f s":
            kind, name, seconds = record.args
            self.seconds[f"{kind} {name}"] = round(seconds, 2)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(function, *args, **kwargs) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result): CPU time is steadier on a busy machine."""
    cpu, started = cpu_seconds(), time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, cpu_seconds() - cpu, result


def measure(issues: int, changed: int, repeat: int, work: Path) -> dict:
    """Figures of `repeat` full builds (each into a new warehouse, each after a scan of the same files)
    and `repeat` incremental merges (each of `changed` re-delivered issues) into the last one."""
    bronze = work / "bronze"
    settings = Settings(config_dir=work, bronze_dir=bronze, warehouse=work / "bench.duckdb")
    generate_s, _, _ = timed(write_run, bronze, "run-full", range(issues), 0, True)
    files = manifest_files(bronze)
    scans, fulls, models = [], [], ModelTimes()
    silver_log = logging.getLogger("pipelines.silver")
    silver_log.setLevel(logging.DEBUG)
    silver_log.addHandler(models)
    for _ in range(repeat):
        scans.append(scan(bronze))
        for leftover in (settings.warehouse, settings.warehouse.with_name(settings.warehouse.name + ".wal")):
            leftover.unlink(missing_ok=True)
        fulls.append(timed(build_silver, settings, full=True))
    summary = fulls[-1][2]
    full_models = dict(models.seconds)  # the last full build's models, slowest first
    incrementals, deltas = [], []
    for version in range(1, repeat + 1):
        sample = random.Random(version).sample(range(issues), min(changed, issues))
        write_run(bronze, f"run-incremental-{version}", sample, version, False)
        models.seconds.clear()
        wall, cpu, delta = timed(build_silver, settings)
        incrementals.append((wall, cpu))
        deltas.append(delta)
    incremental_models = dict(models.seconds)  # the last incremental merge's models
    noop_s, _, _ = timed(build_silver, settings)
    scan_s, scan_cpu = median(s[0] for s in scans), median(s[1] for s in scans)
    full_s, full_cpu = median(f[0] for f in fulls), median(f[1] for f in fulls)
    incremental_s, incremental_cpu = median(i[0] for i in incrementals), median(i[1] for i in incrementals)
    return {
        "issues": issues,
        "changed": min(changed, issues),
        "runs": repeat,
        "bronze_files": len(files),
        "bronze_bytes": sum(f.bytes for f in files),
        "generate_s": round(generate_s, 2),
        "scan_s": round(scan_s, 2),
        "full_build_s": round(full_s, 2),
        "full_over_scan": round(full_s / scan_s, 2),
        "incremental_s": round(incremental_s, 3),
        "full_over_incremental": round(full_s / incremental_s, 1),
        "scan_s_all": [round(s[0], 2) for s in scans],
        "full_build_s_all": [round(f[0], 2) for f in fulls],
        "incremental_s_all": [round(i[0], 3) for i in incrementals],
        "scan_cpu_s": round(scan_cpu, 2),
        "full_build_cpu_s": round(full_cpu, 2),
        "full_over_scan_cpu": round(full_cpu / scan_cpu, 2),
        "incremental_cpu_s": round(incremental_cpu, 3),
        "noop_s": round(noop_s, 3),
        "full_build_models_s": _slowest(full_models),
        "incremental_models_s": _slowest(incremental_models),
        "incremental_models_total_s": round(sum(incremental_models.values()), 3),
        "rows": {name: entry["rows"] for name, entry in summary.items() if entry["rows"]},
        "incremental_changed": {name: entry["changed"] for name, entry in deltas[-1].items() if entry["changed"]},
        "duckdb": duckdb.__version__,
    }


def _slowest(seconds: dict[str, float], count: int = 8) -> dict[str, float]:
    return dict(sorted(seconds.items(), key=lambda item: -item[1])[:count])


def main(measure_figures=None, description: str | None = None) -> int:
    """Parse the common flags, run `measure_figures(issues, changed, repeat, work)`, print and save its figures."""
    parser = argparse.ArgumentParser(description=(description or __doc__).splitlines()[0])
    parser.add_argument("--issues", type=int, default=1_000_000)
    parser.add_argument("--changed", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", help="where bronze and the warehouse go (default: a temp dir, removed)")
    parser.add_argument("--out", help="write the figures as JSON here")
    args = parser.parse_args()
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="silver-bench-"))
    try:
        figures = (measure_figures or measure)(args.issues, args.changed, args.repeat, work)
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
