"""The shape of the house: config is a leaf, silver/report never reach the API code, one owner per concept."""

import ast
import dataclasses
import subprocess
import sys
import typing

import pytest
import yaml

from agent.policy import AI_POLICY_SCHEMA, AiPolicy
from pipelines.alerts.settings import ALERTS_SCHEMA, AlertsSettings
from pipelines.bronze.settings import BRONZE_SCHEMA, BronzeSettings
from pipelines.config import schema_keys
from pipelines.dlt.http import HTTP_SCHEMA, HttpPolicy
from pipelines.dlt.load import LOAD_SCHEMA, LoadSettings
from pipelines.logs import LOGS_SCHEMA, LogSettings
from pipelines.settings import as_data
from pipelines.silver.corrections import CORRECTIONS_SCHEMA, CorrectionsSettings
from pipelines.silver.settings import (
    DELIVERY_SCHEMA,
    IDENTITY_SCHEMA,
    JIRA_SILVER_SCHEMA,
    DeliverySettings,
    IdentitySettings,
    JiraSilverSettings,
)
from pipelines.timeutil import TIME_SCHEMA, TimeSettings
from pipelines.workbench.settings import WORKBENCH_SCHEMA, WorkbenchSettings
from tests.conftest import REPO

LEAVES = {"pipelines", "pipelines.config", "pipelines.errors", "pipelines.timeutil", "pipelines.secrets"}
SETTINGS = [
    (HttpPolicy, HTTP_SCHEMA),
    (BronzeSettings, BRONZE_SCHEMA),
    (LogSettings, LOGS_SCHEMA),
    (TimeSettings, TIME_SCHEMA),
    (JiraSilverSettings, JIRA_SILVER_SCHEMA),
    (DeliverySettings, DELIVERY_SCHEMA),
    (IdentitySettings, IDENTITY_SCHEMA),
    (AlertsSettings, ALERTS_SCHEMA),
    (AiPolicy, AI_POLICY_SCHEMA),
    (LoadSettings, LOAD_SCHEMA),
    (WorkbenchSettings, WORKBENCH_SCHEMA),
    (CorrectionsSettings, CORRECTIONS_SCHEMA),
]


def modules_after_import(name: str) -> set[str]:
    code = f"import {name}, sys; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True).stdout
    return {line for line in out.splitlines() if line.split(".")[0] in ("pipelines", "agent")}


def python_files(*folders: str):
    for folder in folders:
        yield from sorted((REPO / folder).rglob("*.py"))


def imported_modules(path) -> list[tuple[str, bool]]:
    """(module, inside a function?) for every import statement of a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def walk(node, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend((alias.name, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.append((child.module, in_function))
            walk(child, nested)

    walk(tree, False)
    return found


def test_config_is_a_leaf():
    assert modules_after_import("pipelines.config") <= LEAVES


def test_silver_and_report_never_load_the_api_code():
    for package in ("pipelines.silver", "pipelines.report", "pipelines.bronze.ledger", "pipelines.units"):
        loaded = modules_after_import(package)
        assert not {m for m in loaded if m.startswith("pipelines.dlt")}, package
    for path in python_files("pipelines/silver", "pipelines/report"):
        for module, _ in imported_modules(path):
            assert not module.startswith("pipelines.dlt"), f"{path.relative_to(REPO)} imports {module}"


def test_no_project_import_is_tucked_inside_a_function():
    for path in python_files("pipelines", "agent"):
        for module, in_function in imported_modules(path):
            top = module.split(".")[0]
            assert not (in_function and top in ("pipelines", "agent")), f"{path.relative_to(REPO)}: {module}"


def test_ledger_schemas_live_only_in_the_bronze_stage():
    for path in python_files("pipelines", "agent", "scripts"):
        if path.parent.name == "bronze":
            continue
        text = path.read_text(encoding="utf-8")
        assert "pa.schema(" not in text and "pq.read_table(" not in text, path.relative_to(REPO)


@pytest.mark.parametrize(("settings", "schema"), SETTINGS, ids=lambda x: getattr(x, "__name__", ""))
def test_each_settings_dataclass_and_its_schema_name_the_same_keys(settings, schema):
    def check(cls, part):
        assert schema_keys(cls) == set(part["properties"]), cls.__name__
        hints = typing.get_type_hints(cls)
        for field in dataclasses.fields(cls):
            kind = hints[field.name]
            sub = part["properties"][field.metadata.get("key", field.name)]
            if dataclasses.is_dataclass(kind):
                check(kind, sub)
            elif typing.get_origin(kind) is tuple and dataclasses.is_dataclass(typing.get_args(kind)[0]):
                check(typing.get_args(kind)[0], sub["items"])

    check(settings, schema)


@pytest.mark.parametrize(
    ("file", "key", "settings"),
    [
        ("time.yaml", None, TimeSettings),
        ("ai_policy.yaml", None, AiPolicy),
        ("delivery.yaml", None, DeliverySettings),
        ("load.yaml", None, LoadSettings),
        ("workbench.yaml", None, WorkbenchSettings),
        ("corrections.yaml", None, CorrectionsSettings),
        ("sources.yaml", "http", HttpPolicy),
        ("sources.yaml", "bronze", BronzeSettings),
        ("sources.yaml", "logs", LogSettings),
    ],
)
def test_shipped_config_files_show_the_defaults(file, key, settings):
    """The files document the defaults; the dataclasses are where the defaults live."""
    data = yaml.safe_load((REPO / "config" / file).read_text(encoding="utf-8")) or {}
    data = data[key] if key else data
    defaults = as_data(settings())
    assert data == {k: defaults[k] for k in data}
