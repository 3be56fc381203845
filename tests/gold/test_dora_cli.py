"""`python -m pipelines dora`, the report's DORA section and config/delivery.yaml."""

from __future__ import annotations

import argparse

import pytest

from pipelines import cli_ops
from pipelines.cli import main
from pipelines.config import build
from pipelines.errors import ConfigError
from pipelines.report import build_report
from pipelines.settings import load_settings
from pipelines.silver import build_silver
from pipelines.silver.settings import DeliverySettings, IdentitySettings
from tests.gold.delivery_records import write_world
from tests.gold.support import IDENTITY, gold_settings
from tests.silver.bronze_files import Bronze


@pytest.fixture
def settings():
    settings = load_settings().replace(identity=build(IdentitySettings, IDENTITY))
    write_world(Bronze(settings.bronze_dir))
    build_silver(settings)
    return settings


def dora_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli_ops.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["dora", *argv])


def test_dora_prints_the_last_weeks_and_the_window(settings, capsys):
    assert cli_ops.COMMANDS["dora"](settings, dora_args("--weeks", "2")) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[1].split()[:4] == ["week", "deploys", "ok", "days"]
    assert [line.split()[0] for line in lines[3:5]] == ["2026-11-09", "2026-11-16"]  # the last two weeks with data
    assert lines[3].split()[1:6] == ["3", "3", "2", "2", "67%"]
    assert "last 2 week(s): 2.0 successful deployments/week" in out
    assert "change failure rate 50% (2 of 4)" in out and "time to restore median 2.0 h" in out


def test_dora_without_a_warehouse_says_so(capsys):
    assert main(["dora"]) == 1
    assert "no warehouse yet" in capsys.readouterr().err


def test_the_report_has_a_dora_section_with_charts(settings, tmp_path):
    page = build_report(settings, tmp_path / "r.html", days=3).read_text(encoding="utf-8")
    section = page[page.index('<section id="dora">') :]
    section = section[: section.index("</section>")]
    assert section.count("<svg") == 4 and "Deployment frequency" in section and "Lead time for changes" in section
    assert "2026-11-02" in section and "change failure rate 43% (3 of 7)" in section


def test_delivery_yaml_documents_the_defaults_and_is_validated(tmp_path, monkeypatch):
    assert load_settings().delivery == DeliverySettings()
    (tmp_path / "delivery.yaml").write_text("change_failure: {window_hourz: 3}\n")
    for name in ("sources.yaml", "time.yaml", "identity.yaml"):
        (tmp_path / name).write_text("{}\n")
    monkeypatch.setenv("DPL_CONFIG_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match=r"delivery.yaml: change_failure: unknown key 'window_hourz'"):
        load_settings()
    with pytest.raises(ConfigError, match="production_environment 'prod' is not one of the environments"):
        gold_settings(tmp_path, delivery={"production_environment": "prod"})
