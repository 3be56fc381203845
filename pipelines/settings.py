"""Compose every stage's settings into one `Settings`, once per invocation.

Each stage owns its settings (a frozen dataclass whose field defaults are the defaults) and the
JSON Schema of its section; this module reads config/*.yaml, validates each file against the
schemas of the stages it configures, and builds the typed settings. Everything else receives a
`Settings` (or the part of it it needs) and never reads the YAML itself.

| file | section | owner |
|---|---|---|
| sources.yaml | `http:` | `pipelines.dlt.http.HttpPolicy` |
| sources.yaml | `bronze:` | `pipelines.bronze.settings.BronzeSettings` |
| sources.yaml | `logs:` | `pipelines.logs.LogSettings` (`DPL_LOG_DIR` overrides `dir`) |
| sources.yaml | `<source>:` | the source module (`DEFAULTS`, `CONFIG_SCHEMA`) → `pipelines.sources.SourceSettings` |
| sources.yaml | `jira.silver:` | `pipelines.silver.settings.JiraSilverSettings` |
| time.yaml | | `pipelines.timeutil.TimeSettings` |
| identity.yaml | | `pipelines.silver.settings.IdentitySettings` |
| delivery.yaml | | `pipelines.silver.settings.DeliverySettings` |
| alerts.yaml | | `pipelines.alerts.settings.AlertsSettings` |
| load.yaml | | `pipelines.dlt.load.LoadSettings` |
| ai_policy.yaml | | `agent.policy.AiPolicy` |
| workbench.yaml | | `pipelines.workbench.settings.WorkbenchSettings` |
| corrections.yaml | | `pipelines.silver.corrections.CorrectionsSettings` |
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path

from agent.policy import AI_POLICY_SCHEMA, AiPolicy
from pipelines.alerts.settings import ALERTS_SCHEMA, AlertsSettings
from pipelines.bronze.settings import BRONZE_SCHEMA, BronzeSettings
from pipelines.bronze.storage import BronzeRoot, as_root
from pipelines.config import build, deep_merge, read_yaml, validate
from pipelines.dlt import resources
from pipelines.dlt.http import HTTP_SCHEMA, HttpPolicy
from pipelines.dlt.load import LOAD_SCHEMA, LoadSettings
from pipelines.errors import ConfigError
from pipelines.logs import LOGS_SCHEMA, LogSettings
from pipelines.secrets import load_dotenv_file, register_environment_secrets
from pipelines.silver.corrections import CORRECTIONS_SCHEMA, CorrectionsSettings
from pipelines.silver.settings import (
    DELIVERY_SCHEMA,
    IDENTITY_SCHEMA,
    JIRA_SILVER_SCHEMA,
    DeliverySettings,
    IdentitySettings,
    JiraSilverSettings,
)
from pipelines.silver.target import Warehouse, as_warehouse, parse_warehouse, snapshot_of
from pipelines.sources import SOURCE_NAMES, SourceSettings
from pipelines.timeutil import TIME_SCHEMA, TimeSettings
from pipelines.workbench.settings import WORKBENCH_SCHEMA, WorkbenchSettings

DEFAULT_BRONZE_DIR = "bronze"
DEFAULT_WAREHOUSE = "warehouse/lakehouse.duckdb"


def _default_sources() -> dict[str, SourceSettings]:
    return {name: source_settings(name) for name in SOURCE_NAMES}


@dataclasses.dataclass(frozen=True)
class Settings:
    """Validated configuration and paths of one invocation."""

    config_dir: Path
    bronze_dir: BronzeRoot  # a local folder or an s3:// (gs://, az://) URL; a path given here is wrapped
    warehouse: Warehouse  # a DuckDB file or a DuckLake (pipelines/silver/target.py); a path given here is wrapped
    http: HttpPolicy = dataclasses.field(default_factory=HttpPolicy)
    bronze: BronzeSettings = dataclasses.field(default_factory=BronzeSettings)
    logs: LogSettings = dataclasses.field(default_factory=LogSettings)
    sources: Mapping[str, SourceSettings] = dataclasses.field(default_factory=_default_sources)
    jira_silver: JiraSilverSettings = dataclasses.field(default_factory=JiraSilverSettings)
    time: TimeSettings = dataclasses.field(default_factory=TimeSettings)
    identity: IdentitySettings = dataclasses.field(default_factory=IdentitySettings)
    delivery: DeliverySettings = dataclasses.field(default_factory=DeliverySettings)
    alerts: AlertsSettings = dataclasses.field(default_factory=AlertsSettings)
    ai_policy: AiPolicy = dataclasses.field(default_factory=AiPolicy)
    load: LoadSettings = dataclasses.field(default_factory=LoadSettings)
    workbench: WorkbenchSettings = dataclasses.field(default_factory=WorkbenchSettings)
    corrections: CorrectionsSettings = dataclasses.field(default_factory=CorrectionsSettings)

    def __post_init__(self) -> None:
        object.__setattr__(self, "bronze_dir", as_root(self.bronze_dir))
        object.__setattr__(self, "warehouse", as_warehouse(self.warehouse))

    def source(self, name: str) -> SourceSettings:
        return self.sources[name]

    def replace(self, **changes) -> Settings:
        """A copy with some fields changed (settings are immutable)."""
        return dataclasses.replace(self, **changes)

    def as_of(self, text: str | None) -> Settings:
        """A copy reading the warehouse at an older snapshot (`AS_OF=`: an id or a time); itself when None."""
        return self.replace(warehouse=snapshot_of(self.warehouse, text)) if text else self


def load_settings(env: Mapping | None = None) -> Settings:
    """Read .env, validate every config file and register secrets for redaction."""
    load_dotenv_file(Path(".env"))
    env = os.environ if env is None else env
    register_environment_secrets()
    config_dir = Path(env.get("DPL_CONFIG_DIR") or "config")
    if not config_dir.is_dir():
        raise ConfigError(f"DPL_CONFIG_DIR={config_dir}: not a directory (expected the folder holding sources.yaml)")
    sources_yaml = _document(config_dir / "sources.yaml", sources_schema())
    jira_section = dict(sources_yaml.get("jira") or {})
    return Settings(
        config_dir=config_dir,
        bronze_dir=BronzeRoot(env.get("DPL_BRONZE_DIR") or DEFAULT_BRONZE_DIR),
        warehouse=parse_warehouse(env.get("DPL_WAREHOUSE") or DEFAULT_WAREHOUSE, env.get("DPL_WAREHOUSE_DATA")),
        http=build(HttpPolicy, sources_yaml.get("http")),
        bronze=build(BronzeSettings, sources_yaml.get("bronze")),
        logs=_logs(build(LogSettings, sources_yaml.get("logs")), env),
        sources={name: _source_from(name, sources_yaml.get(name) or {}) for name in SOURCE_NAMES},
        jira_silver=build_over_defaults(JiraSilverSettings, jira_section.get("silver")),
        time=build(TimeSettings, _document(config_dir / "time.yaml", TIME_SCHEMA)),
        identity=build(IdentitySettings, _document(config_dir / "identity.yaml", IDENTITY_SCHEMA)),
        delivery=build_over_defaults(DeliverySettings, _document(config_dir / "delivery.yaml", DELIVERY_SCHEMA)),
        alerts=build(AlertsSettings, _document(config_dir / "alerts.yaml", ALERTS_SCHEMA)),
        ai_policy=build(AiPolicy, _document(config_dir / "ai_policy.yaml", AI_POLICY_SCHEMA)),
        load=build(LoadSettings, _document(config_dir / "load.yaml", LOAD_SCHEMA)),
        workbench=build(WorkbenchSettings, _document(config_dir / "workbench.yaml", WORKBENCH_SCHEMA)),
        corrections=build(CorrectionsSettings, _document(config_dir / "corrections.yaml", CORRECTIONS_SCHEMA)),
    )


def _logs(logs: LogSettings, env: Mapping) -> LogSettings:
    """`DPL_LOG_DIR`, when set, over `logs.dir` (like DPL_BRONZE_DIR: a path per machine, not per team)."""
    return dataclasses.replace(logs, dir=env["DPL_LOG_DIR"]) if env.get("DPL_LOG_DIR") else logs


def sources_schema() -> dict:
    """JSON Schema of sources.yaml: `http`, `bronze`, and each source module's section (+ `jira.silver`)."""
    properties = {"http": HTTP_SCHEMA, "bronze": BRONZE_SCHEMA, "logs": LOGS_SCHEMA}
    for name in SOURCE_NAMES:
        properties[name] = resources.get(name).CONFIG_SCHEMA
    jira = copy.deepcopy(properties["jira"])
    jira["properties"]["silver"] = JIRA_SILVER_SCHEMA
    properties["jira"] = jira
    return {"type": "object", "additionalProperties": False, "properties": properties}


def source_settings(name: str, overrides: Mapping | None = None) -> SourceSettings:
    """A source's typed settings: `overrides` (validated against its schema) over its module's DEFAULTS."""
    module = resources.get(name)
    validate(dict(overrides or {}), module.CONFIG_SCHEMA, f"sources.yaml ({name})")
    return _source_from(name, overrides or {})


def _source_from(name: str, section: Mapping) -> SourceSettings:
    merged = deep_merge(resources.get(name).DEFAULTS, {k: v for k, v in section.items() if k != "silver"})
    return SourceSettings.from_section(name, merged)


def jira_silver_settings(data: Mapping | None) -> JiraSilverSettings:
    """`jira.silver` settings from a mapping, validated (for callers that do not read sources.yaml)."""
    validate(dict(data or {}), JIRA_SILVER_SCHEMA, "sources.yaml (jira.silver)")
    return build_over_defaults(JiraSilverSettings, data)


def build_over_defaults(cls: type, data: Mapping | None):
    """Like `build`, but a nested mapping given in the YAML is merged key by key over the default one."""
    return build(cls, deep_merge(as_data(cls()), data or {}))


def as_data(value):
    """Settings back to plain YAML-shaped data (dicts, lists, scalars)."""
    if dataclasses.is_dataclass(value):
        return {f.metadata.get("key", f.name): as_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {k: as_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_data(v) for v in value]
    return value


def _document(path: Path, schema: dict) -> dict:
    """A config file's content, validated; `{}` when the file does not exist (all defaults)."""
    data = read_yaml(path)
    if data is None:
        return {}
    validate(data, schema, path)
    return data
