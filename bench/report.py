"""Rows of the results table (one per target of issues #8 and #17) and their Markdown rendering."""

from __future__ import annotations


def _n(value) -> str:
    """12345 -> '12,345'; floats keep what they have."""
    return f"{value:,}" if isinstance(value, int) else f"{value:,.10g}"


def _row(case: str, measure: str, baseline: str, result: str, target: str, met: bool | None, note: str = "") -> dict:
    row = {"case": case, "measure": measure, "baseline": baseline, "result": result, "target": target, "met": met}
    return {**row, "note": note} if note else row


def jira_full_rows(f: dict) -> list[dict]:
    case = f"Jira full sync, {_n(f['issues'])} issues (long comment/worklog/changelog lists on ~2%)"
    floor = f"{_n(f['minimum_calls'])} calls × {_n(f['latency_ms'])} ms"
    return [
        _row(
            case,
            "API calls",
            f"minimum {_n(f['minimum_calls'])}; one-call-per-issue design {_n(f['per_issue_design_calls'])}",
            f"{_n(f['calls'])} = {f['calls_over_minimum']}× minimum; {f['per_issue_over_calls']}× fewer than per-issue",
            "≤ 1.05× minimum",
            f["calls_over_minimum"] <= 1.05,
        ),
        _row(
            case,
            f"wall time, {_n(f['latency_ms'])} ms latency",
            f"serial latency floor {f['latency_floor_s']} s ({floor}: any client that waits for each call)",
            f"{f['wall_s']} s = {f['wall_over_floor']}× floor "
            f"(client CPU {f['cpu_s']} s, peak RSS {_n(f['peak_rss_mb'])} MB)",
            "≤ 0.8× floor (calls still ≤ 1.05× minimum)",
            f["wall_over_floor"] <= 0.8 and f["calls_over_minimum"] <= 1.05,
        ),
    ]


def jira_memory_rows(full: dict, incremental: dict) -> list[dict]:
    small, large = full["peak_rss_mb"], incremental["full_sync_peak_rss_mb"]
    ratio = round(large / small, 2)
    return [
        _row(
            "Jira full sync, peak RSS",
            f"{_n(full['issues'])} issues vs {_n(incremental['issues'])} issues",
            "—",
            f"{_n(small)} MB vs {_n(large)} MB = {ratio}×",
            "RSS(10k) ≤ 250 MB and RSS(50k) ≤ 1.2× RSS(10k)",
            small <= 250 and ratio <= 1.2,
            f"RSS(10k) ≤ 250 MB: {'met' if small <= 250 else 'missed'}; ratio ≤ 1.2: "
            f"{'met' if ratio <= 1.2 else 'missed'}",
        )
    ]


def jira_rate_limited_rows(f: dict) -> list[dict]:
    serial, concurrent = f["runs"]["serial"], f["runs"]["concurrent"]
    failed = sum(1 for run in f["runs"].values() if run["failed"])
    return [
        _row(
            f"Jira full sync, {_n(f['issues'])} issues, rate limit {_n(f['limit_per_min'])}/min "
            f"(429 + Retry-After), {_n(f['latency_ms'])} ms latency",
            "429s, wall time, failed runs",
            f"serial client (max_concurrency 1): {_n(serial['answered_429'])} × 429, {serial['wall_s']} s; "
            f"floor implied by the limit {f['floor_s']} s",
            f"max_concurrency {concurrent['max_concurrency']}: {_n(concurrent['answered_429'])} × 429, "
            f"{concurrent['wall_s']} s = {f['wall_over_floor']}× floor; {failed} failed",
            "429s ≤ serial; ≤ 1.2× floor; 0 failed",
            concurrent["answered_429"] <= serial["answered_429"] and (f["wall_over_floor"] or 0) <= 1.2 and not failed,
        )
    ]


def jira_incremental_rows(f: dict) -> list[dict]:
    g = f["calls_by_group"]
    per_run = g["search"] + g["worklog_deletions"]  # one search per project, one deletions listing
    change_driven = g["children"] + g["users"]
    result = (
        f"{_n(f['calls'])} calls: {_n(g['search'])} search + {_n(g['worklog_deletions'])} worklog/deleted + "
        f"{_n(g['children'])} child + {_n(g['users'])} users + {_n(g['catalogs'])} catalog; {f['wall_s']} s"
    )
    note = (
        f"Every call counted, catalogs included: {_n(per_run + g['catalogs'])} per run + "
        f"{_n(change_driven)} change-driven. Child calls exceed the perfect client's by at most "
        f"{f['child_calls_over_needed_max']} a round. Wall time < 5 s: {'met' if f['wall_s'] < 5 else 'missed'}."
    )
    return [
        _row(
            f"Jira incremental sync, {_n(f['changed_issues'])} changed of {_n(f['issues'])} issues "
            f"({_n(f['issues_fetched'])} read with the safety window)",
            f"API calls, wall time ({_n(f['latency_ms'])} ms latency)",
            f"child calls a perfect client needs: {_n(f['needed_child_calls'])} (+ 1 users call)",
            result,
            "≤ 5 calls + change-driven calls, catalogs included; < 5 s",
            f["calls"] <= 5 + change_driven and f["wall_s"] < 5,
            note,
        )
    ]


def bronze_rows(f: dict) -> list[dict]:
    return [
        _row(
            f"Bronze writing, {_n(f['records'])} Jira-like records (~{_n(f['avg_record_bytes'])} B)",
            "records/s, peak RSS",
            f"plain loop orjson.dumps + zstd: {_n(f['floor_records_per_s'])} records/s",
            f"{_n(f['writer_records_per_s'])} records/s = {f['writer_over_floor_rate']}× the floor (the writer "
            f"alone, ids and cursors precomputed: {f['writer_alone_over_floor_rate']}×); peak RSS "
            f"{_n(f['peak_rss_mb'])} MB ({_n(f['writer_rss_mb'])} MB above the records held in memory)",
            "≥ 0.7× the floor's records/s",
            f["writer_over_floor_rate"] >= 0.7,
        )
    ]


def memory_rows(f: dict) -> list[dict]:
    small, large = f["sizes"]
    return [
        _row(
            "Memory scaling (whole runner, records made lazily, one process per size)",
            f"peak RSS at {_n(small)} vs {_n(large)} records",
            "—",
            f"{f['small_peak_rss_mb']} MB vs {f['large_peak_rss_mb']} MB = {f['large_over_small']}×",
            "RSS(large) ≤ 1.2× RSS(small)",
            f["large_over_small"] <= 1.2,
        )
    ]


def silver_rows(f: dict) -> list[dict]:
    return [
        _row(
            f"Silver full build, {_n(f['issues'])} issues",
            "wall time",
            f"plain DuckDB scan of the same bronze files: {f['scan_s']} s",
            f"{f['full_build_s']} s = {f['full_over_scan']}× the scan (CPU {f['full_over_scan_cpu']}×)",
            "≤ 2.0× the scan",
            f["full_over_scan"] <= 2,
        ),
        _row(
            f"Silver incremental merge, {_n(f['changed'])} changed into {_n(f['issues'])}",
            "wall time",
            f"the full build: {f['full_build_s']} s",
            f"{f['incremental_s']} s = {f['full_over_incremental']}× faster than the full build",
            "≥ 25× faster than the full build",
            f["full_over_incremental"] >= 25,
        ),
        _row(
            "Silver no-op build (nothing new in bronze)",
            "wall time",
            "—",
            f"{f['noop_s']} s",
            "≤ 0.2 s",
            f["noop_s"] <= 0.2,
        ),
    ]


def silver_ducklake_rows(f: dict) -> list[dict]:
    lake = f"DuckLake ({f['catalog']} catalog, local data)"
    return [
        _row(
            f"Silver full build on a {lake}, {_n(f['issues'])} issues",
            "wall time",
            f"the same build into a DuckDB file, same run: {f['file_full_build_s']} s",
            f"{f['full_build_s']} s = {f['full_over_file']}× the file "
            f"(CPU {f['full_build_cpu_s']} s vs {f['file_full_build_cpu_s']} s)",
            "≤ 1.5× the file warehouse",
            f["full_over_file"] <= 1.5,
        ),
        _row(
            f"Silver incremental merge on the {lake}, {_n(f['changed'])} changed into {_n(f['issues'])}",
            "wall time",
            f"its full build: {f['full_build_s']} s",
            f"{f['incremental_s']} s = {f['full_over_incremental']}× faster (no-op build {f['noop_s']} s)",
            "≥ 10× faster than its full build",
            f["full_over_incremental"] >= 10,
        ),
    ]


def calls_rows(name: str, f: dict) -> list[dict]:
    scale = ", ".join(f"{k} {v}" for k, v in f["scale"].items()) or "default scale"
    return [
        _row(
            f"{name} full sync ({scale})",
            "API calls",
            f"minimum from the world: {_n(f['minimum_calls'])}",
            f"{_n(f['calls'])} = {f['calls_over_minimum']}× minimum ({f['wall_s']} s)",
            "≤ 1.1× minimum",
            f["calls_over_minimum"] <= 1.1,
        )
    ]


def s3_rows(f: dict) -> list[dict]:
    sync, pub, silver = f["sync"], f["publish"], f["silver"]
    return [
        _row(
            f"Jira full sync, {_n(sync['issues'])} issues, bronze on S3 (moto, loopback)",
            f"wall time ({_n(sync['latency_ms'])} ms API latency), {_n(sync['files'])} parts",
            f"same sync to a local folder: {sync['local_s']} s",
            f"{sync['s3_s']} s; {sync['s3_over_local']}× local (median of back-to-back pairs "
            f"{sync['s3_over_local_pairs']}; medians' ratio {sync['median_over_median']}×)",
            "≤ 1.3× local",
            sync["s3_over_local"] <= 1.3,
        ),
        _row(
            f"Publishing the {_n(pub['history'])}th part of a source",
            "publish (part + manifest segment), S3 and local",
            f"the 10th part: S3 {pub['s3_10th_ms']} ms, local {pub['local_10th_ms']} ms",
            f"S3 {pub['s3_nth_ms']} ms = {pub['s3_nth_over_10th']}×; local {pub['local_nth_ms']} ms = "
            f"{pub['local_nth_over_10th']}×",
            "≤ 1.2× (no growth with history)",
            max(pub["s3_nth_over_10th"], pub["local_nth_over_10th"]) <= 1.2,
        ),
        _row(
            "Silver full build from S3 bronze (the sync above)",
            "wall time of `silver --full`",
            f"the same bronze on local disk: {silver['local_s']} s",
            f"{silver['s3_s']} s = {silver['s3_over_local']}× local",
            "≤ 1.5× local",
            silver["s3_over_local"] <= 1.5,
        ),
    ]


ROWS = {
    "jira_full": jira_full_rows,
    "jira_rate_limited": jira_rate_limited_rows,
    "jira_incremental": jira_incremental_rows,
    "bronze": bronze_rows,
    "memory": memory_rows,
    "silver": silver_rows,
    "silver_ducklake": silver_ducklake_rows,
    "bitbucket": lambda f: calls_rows("Bitbucket", f),
    "jenkins": lambda f: calls_rows("Jenkins", f),
    "s3": s3_rows,
}


def rows_for(cases: dict) -> list[dict]:
    """The table rows of every case that has figures, in the issue's order."""
    rows = []
    for name, make in ROWS.items():
        if name in cases:
            try:
                rows += make(cases[name])
            except KeyError as exc:  # figures kept from an older version of the benchmark
                rows.append(_row(name, "—", "—", f"stale figures (no {exc}): run `--only {name}`", "—", None))
        if name == "jira_incremental" and {"jira_full", "jira_incremental"} <= cases.keys():
            try:
                rows += jira_memory_rows(cases["jira_full"], cases["jira_incremental"])
            except KeyError as exc:
                rows.append(_row("jira memory", "—", "—", f"stale figures (no {exc})", "—", None))
    return rows


def render_markdown(result: dict) -> str:
    """latest.md: when, where, how, then the table."""
    m = result["machine"]
    lines = [
        f"# Benchmarks ({result['mode']})",
        "",
        f"{result['generated_at']} · {m['cpus']} CPUs · Python {m['python']} · load average "
        f"{m['load_average_before'][0]} before, {m['load_average'][0]} after · {result['repeat']} runs per figure "
        f"(medians) · `make bench` took {result['wall_s']} s for: {', '.join(result['cases_run'])}",
        "",
        "| case | measure | baseline (same run) | result | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        met = {True: "yes", False: "**no**", None: "n/a"}[row["met"]]
        cells = [row["case"], row["measure"], row["baseline"], row["result"], row["target"], met]
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    notes = [(n, row["note"]) for n, row in enumerate(result["rows"], start=1) if row.get("note")]
    if notes:
        lines += ["", "Notes (by row):"] + [f"- row {n}: {note}" for n, note in notes]
    if result.get("failed"):
        lines += ["", "Failed to run:"] + [f"- {name}: {error}" for name, error in result["failed"].items()]
    if result["mode"] == "quick":
        lines += ["", "Quick mode: tiny sizes to check the benchmark code runs; the targets do not apply."]
    return "\n".join(lines) + "\n"
