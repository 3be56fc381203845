"""Progress lines: per stream counts, pages, calls, rate, and an ETA where the API gives a total (Jira's
approximate count, Bitbucket's `size`). Content only, never timing: a fake clock drives the unit test."""

from __future__ import annotations

import io
import re
import shutil

from pipelines.cli import main
from pipelines.dlt.http import HttpStats
from pipelines.progress import Progress
from tests.conftest import REPO
from tests.helpers import runs


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_each_stream_counts_its_own_records_pages_calls_and_rate():
    clock, stats = Clock(), HttpStats()
    progress = Progress("jira", stats, interval_s=3600, stream=io.StringIO(), totals={}, clock=clock)
    for _ in range(2):  # two issue pages: 1 s and 1 call each
        clock.now += 1
        stats.api_calls += 1
        progress.update("issues", 100, "DPL")
    clock.now += 2  # a comment page fetched in 2 s with 4 calls
    stats.api_calls += 4
    progress.update("comments", 10, "DPL")
    assert progress.line("issues").startswith("jira: issues 200 records, 2 pages, 2 calls, 100 rec/s · run 210 records")
    assert progress.line("comments").startswith("jira: comments 10 records, 1 pages, 4 calls, 5 rec/s · run")
    assert "ETA" not in progress.line("issues")  # no total known: no ETA


def test_a_known_total_gives_done_of_total_and_an_eta():
    clock, stats = Clock(), HttpStats()
    totals = {}
    progress = Progress("jira", stats, interval_s=3600, stream=io.StringIO(), totals=totals, clock=clock)
    totals[("issues", "DPL")] = 1000  # what SyncContext.expect notes from the approximate count
    clock.now += 2
    progress.update("issues", 200, "DPL")
    assert "jira: issues 200 of ~1,000 (20%) records, 1 pages" in progress.line("issues")
    assert ", 100 rec/s, ETA 8s ·" in progress.line("issues")  # 800 left at 100/s
    clock.now += 1
    progress.update("issues", 50, "OPS")  # a project without a count (one page): counted as it comes
    assert "250 of ~1,050 (24%)" in progress.line("issues")
    totals[("issues", "OPS")] = 50
    assert "250 of ~1,050" in progress.line("issues") and "ETA 10s" in progress.line("issues")  # 800 at 83/s


def test_a_terminal_gets_one_live_line_and_the_log_gets_every_stream(caplog):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    clock, stats, out = Clock(), HttpStats(), Terminal()
    progress = Progress("bitbucket", stats, interval_s=5, stream=out, totals={}, clock=clock)
    with caplog.at_level("INFO", logger="pipelines.progress"):
        clock.now += 1
        progress.update("pull_requests", 50, "ws/a")
        clock.now += 1
        progress.update("pr_commits", 7, "ws/a")
        progress.close()
    assert "\r\033[Kbitbucket: pull_requests 50 records" in out.getvalue()
    assert out.getvalue().endswith("\r\033[K")  # the live line is cleared at the end
    logged = [r.getMessage() for r in caplog.records]
    assert [m.split(" records")[0] for m in logged] == ["bitbucket: pr_commits 7", "bitbucket: pull_requests 50"]


def fast_progress_config(tmp_path):
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    path = config / "time.yaml"
    path.write_text(path.read_text().replace("progress_interval_s: 10", "progress_interval_s: 0.000001"))
    return config


def test_a_jira_sync_logs_per_stream_progress_with_the_approximate_count(
    start_sim, sim_env, tmp_path, monkeypatch, capsys
):
    server = start_sim("jira", scale={"issues": 450, "projects": 2})
    sim_env("jira", server)
    monkeypatch.setenv("DPL_CONFIG_DIR", str(fast_progress_config(tmp_path)))
    assert main(["sync", "jira", "--full", "--streams", "projects,issues,comments"]) == 0
    capsys.readouterr()
    (run,) = runs(tmp_path / "bronze", "jira")
    text = (tmp_path / "logs" / "jira" / f"{run['run_id']}.log").read_text()
    counts = [r for r in server.requests() if r["path"] == "/rest/api/3/search/approximate-count"]
    assert len(counts) == 2  # one per project, each a search of several pages
    issues = re.findall(r"jira: issues ([\d,]+) of ~([\d,]+) \(\d+%\) records, ([\d,]+) pages, ([\d,]+) calls", text)
    assert issues and issues[-1][:2] == ("450", "450")
    assert any("ETA" in line for line in text.splitlines() if "jira: issues" in line)
    assert re.search(r"jira: comments [\d,]+ records, [\d,]+ pages, [\d,]+ calls, [\d,]+ rec/s", text)


def test_a_bitbucket_sync_shows_the_listing_size(start_sim, sim_env, tmp_path, monkeypatch, capsys):
    sim_env("bitbucket", start_sim("bitbucket", scale={"repos": 2, "prs_per_repo": 60}))
    monkeypatch.setenv("DPL_CONFIG_DIR", str(fast_progress_config(tmp_path)))
    assert main(["sync", "bitbucket", "--full", "--streams", "repositories,pull_requests"]) == 0
    capsys.readouterr()
    (run,) = runs(tmp_path / "bronze", "bitbucket")
    text = (tmp_path / "logs" / "bitbucket" / f"{run['run_id']}.log").read_text()
    totals = re.findall(r"bitbucket: pull_requests ([\d,]+) of ~([\d,]+)", text)
    assert totals and totals[-1][0] == totals[-1][1]


def test_a_page_that_only_moves_a_cursor_is_not_counted_as_a_page():
    clock, stats = Clock(), HttpStats()
    progress = Progress("jira", stats, interval_s=3600, stream=io.StringIO(), totals={}, clock=clock)
    clock.now += 1
    progress.update("issues", 100, "DPL")
    progress.update("issues", 0, "DPL", empty=True)
    assert "jira: issues 100 records, 1 pages" in progress.line("issues")
