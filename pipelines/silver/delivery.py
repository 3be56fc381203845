"""The config tables the traceability and DORA views read, from config/delivery.yaml and identity.yaml.

`write_config_tables` (re)writes, on every silver build, the small tables the delivery views read:
`_silver_delivery_key_aliases` (Jira key aliases of config/identity.yaml), `_silver_delivery_people`
(the people of identity.yaml), `_silver_delivery_environments` (job globs per deployment environment)
and `_silver_delivery_config` (one row: results, dry-run and rollback rules, window, incident types).
Only views read them, so a changed setting applies at the next `make silver` without a rebuild.
"""

from __future__ import annotations

import duckdb

from pipelines.errors import ConfigError
from pipelines.silver.settings import DeliverySettings, IdentitySettings

IDENTITY_KINDS = {
    "emails": "email",
    "jira_account_ids": "jira_account_id",
    "bitbucket_uuids": "bitbucket_uuid",
    "bitbucket_nicknames": "bitbucket_nickname",
    "jenkins_user_ids": "jenkins_user_id",
}


def people_rows(identity: IdentitySettings) -> list[tuple[str, str, str]]:
    """(person name, identity kind, value) per configured id/e-mail; values compared case-insensitively."""
    rows: list[tuple[str, str, str]] = []
    owner: dict[tuple[str, str], str] = {}
    for person in identity.people:
        for key, kind in IDENTITY_KINDS.items():
            for value in getattr(person, key):
                item = (kind, value.strip().casefold())
                if owner.setdefault(item, person.name) != person.name:
                    raise ConfigError(
                        f"identity.yaml: people: {key} {value!r} is listed for both {owner[item]!r} "
                        f"and {person.name!r} (one account belongs to one person)"
                    )
                rows.append((person.name, *item))
    return sorted(set(rows))


def write_config_tables(con: duckdb.DuckDBPyConnection, config: DeliverySettings, identity: IdentitySettings) -> None:
    """(Re)write the `_silver_delivery_*` tables from config/delivery.yaml and config/identity.yaml."""
    aliases = sorted((alias.upper(), key.upper()) for alias, key in identity.jira_key_aliases.items())
    _replace(con, "_silver_delivery_key_aliases", "alias varchar, project_key varchar", aliases)
    people = people_rows(identity)
    columns = "person_name varchar, identity_kind varchar, identity_value varchar"
    _replace(con, "_silver_delivery_people", columns, people)
    environments = [
        (env.name, env_order, pattern_order, pattern.casefold())
        for env_order, env in enumerate(config.environments, 1)
        for pattern_order, pattern in enumerate(env.jobs, 1)
    ]
    _replace(
        con,
        "_silver_delivery_environments",
        "environment varchar, environment_order integer, pattern_order integer, job_pattern varchar",
        environments,
    )
    failure = config.change_failure
    upper = lambda values: [v.upper() for v in values]  # noqa: E731
    lower = lambda values: [v.casefold() for v in values]  # noqa: E731
    row = (
        config.production_environment,
        upper(config.failed_results),
        upper(config.skipped_results),
        upper(config.dry_run_parameters),
        lower(failure.rollback_jobs),
        upper(failure.rollback_parameters),
        lower(failure.hotfix_branches),
        round(float(failure.window_hours) * 3600),
        lower(config.incident_issue_types),
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
