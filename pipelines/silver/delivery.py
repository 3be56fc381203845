"""Traceability and DORA settings: config/delivery.yaml (schema, defaults) and the config tables SQL reads.

`write_config_tables` (re)writes, on every silver build, the small tables the delivery views read:
`_silver_delivery_key_aliases` (Jira key aliases of config/identity.yaml), `_silver_delivery_people`
(the people of identity.yaml), `_silver_delivery_environments` (job globs per deployment environment)
and `_silver_delivery_config` (one row: results, dry-run and rollback rules, window, incident types).
Only views read them, so a changed setting applies at the next `make silver` without a rebuild.
"""

from __future__ import annotations

import copy

import duckdb

from pipelines.errors import ConfigError

_NAMES = {"type": "array", "items": {"type": "string", "minLength": 1}}
DELIVERY_DEFAULTS = {
    "environments": [
        {"name": "production", "jobs": ["deploy-prod*", "*/deploy-prod*"]},
        {"name": "staging", "jobs": ["deploy-staging*", "*/deploy-staging*"]},
    ],
    "production_environment": "production",
    "failed_results": ["FAILURE", "UNSTABLE"],
    "skipped_results": ["NOT_BUILT", "ABORTED"],
    "dry_run_parameters": ["DRY_RUN"],
    "change_failure": {
        "window_hours": 24,
        "rollback_jobs": ["*rollback*"],
        "rollback_parameters": ["ROLLBACK"],
        "hotfix_branches": ["hotfix/*", "hotfix-*"],
    },
    "incident_issue_types": ["Incident"],
    "dora_weeks": 12,
}
DELIVERY_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "environments": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "jobs"],
                "properties": {"name": {"type": "string", "minLength": 1}, "jobs": _NAMES},
            },
        },
        "production_environment": {"type": "string", "minLength": 1},
        "failed_results": _NAMES,
        "skipped_results": _NAMES,
        "dry_run_parameters": _NAMES,
        "change_failure": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "window_hours": {"type": "number", "minimum": 0},
                "rollback_jobs": _NAMES,
                "rollback_parameters": _NAMES,
                "hotfix_branches": _NAMES,
            },
        },
        "incident_issue_types": _NAMES,
        "dora_weeks": {"type": "integer", "minimum": 1},
    },
}
IDENTITY_KINDS = {
    "emails": "email",
    "jira_account_ids": "jira_account_id",
    "bitbucket_uuids": "bitbucket_uuid",
    "bitbucket_nicknames": "bitbucket_nickname",
    "jenkins_user_ids": "jenkins_user_id",
}


def delivery_config(settings) -> dict:
    """The delivery settings over the defaults (settings built by hand may leave them empty)."""
    from pipelines.config import deep_merge

    return deep_merge(DELIVERY_DEFAULTS, getattr(settings, "delivery", None) or {})


def people_rows(identity: dict) -> list[tuple[str, str, str]]:
    """(person name, identity kind, value) per configured id/e-mail; values compared case-insensitively."""
    rows: list[tuple[str, str, str]] = []
    owner: dict[tuple[str, str], str] = {}
    for person in (identity or {}).get("people") or []:
        for key, kind in IDENTITY_KINDS.items():
            for value in person.get(key) or []:
                item = (kind, value.strip().casefold())
                if owner.setdefault(item, person["name"]) != person["name"]:
                    raise ConfigError(
                        f"identity.yaml: people: {key} {value!r} is listed for both {owner[item]!r} "
                        f"and {person['name']!r} (one account belongs to one person)"
                    )
                rows.append((person["name"], *item))
    return sorted(set(rows))


def write_config_tables(con: duckdb.DuckDBPyConnection, settings) -> None:
    """(Re)write the `_silver_delivery_*` tables from config/delivery.yaml and config/identity.yaml."""
    config = delivery_config(settings)
    identity = copy.deepcopy(getattr(settings, "identity", None) or {})
    names = [env["name"] for env in config["environments"]]
    if config["production_environment"] not in names:
        raise ConfigError(
            f"delivery.yaml: production_environment {config['production_environment']!r} is not one of the "
            f"environments ({', '.join(names) or 'none'})"
        )
    aliases = sorted((alias.upper(), key.upper()) for alias, key in (identity.get("jira_key_aliases") or {}).items())
    _replace(con, "_silver_delivery_key_aliases", "alias varchar, project_key varchar", aliases)
    people = people_rows(identity)
    columns = "person_name varchar, identity_kind varchar, identity_value varchar"
    _replace(con, "_silver_delivery_people", columns, people)
    environments = [
        (env["name"], env_order, pattern_order, pattern.casefold())
        for env_order, env in enumerate(config["environments"], 1)
        for pattern_order, pattern in enumerate(env["jobs"], 1)
    ]
    _replace(
        con,
        "_silver_delivery_environments",
        "environment varchar, environment_order integer, pattern_order integer, job_pattern varchar",
        environments,
    )
    failure = config["change_failure"]
    upper = lambda values: [v.upper() for v in values]  # noqa: E731
    lower = lambda values: [v.casefold() for v in values]  # noqa: E731
    row = (
        config["production_environment"],
        upper(config["failed_results"]),
        upper(config["skipped_results"]),
        upper(config["dry_run_parameters"]),
        lower(failure["rollback_jobs"]),
        upper(failure["rollback_parameters"]),
        lower(failure["hotfix_branches"]),
        round(float(failure["window_hours"]) * 3600),
        lower(config["incident_issue_types"]),
    )
    _replace(
        con,
        "_silver_delivery_config",
        "production_environment varchar, failed_results varchar[], skipped_results varchar[], "
        "dry_run_parameters varchar[], rollback_jobs varchar[], rollback_parameters varchar[], "
        "hotfix_branches varchar[], failure_window_seconds bigint, incident_issue_types varchar[]",
        [row],
    )


def _replace(con: duckdb.DuckDBPyConnection, name: str, columns: str, rows: list[tuple]) -> None:
    con.execute(f"create or replace table {name} ({columns})")
    if rows:
        marks = ", ".join("?" for _ in rows[0])
        con.executemany(f"insert into {name} values ({marks})", rows)
