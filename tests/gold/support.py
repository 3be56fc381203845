"""Shared set-up of the gold tests: the delivery world built once per module, settings with identity config."""

from __future__ import annotations

from pathlib import Path

from pipelines.config import build
from pipelines.settings import build_over_defaults
from pipelines.silver import build_silver
from pipelines.silver.settings import DeliverySettings, IdentitySettings
from tests.gold.delivery_records import write_world
from tests.silver.bronze_files import Bronze
from tests.silver.support import settings_for

IDENTITY = {
    "jira_key_aliases": {"OLD": "ABC"},
    "people": [
        {
            "name": "Carol",
            "jira_account_ids": ["acc-carol"],
            "bitbucket_nicknames": ["Carol-BB"],
            "jenkins_user_ids": ["carol"],
        }
    ],
}


def gold_settings(root: Path, warehouse: str = "w.duckdb", delivery: dict | None = None, identity=IDENTITY):
    """Settings on `root` (bronze in root/bronze) with the identity config above and `delivery` settings."""
    return settings_for(root, warehouse=warehouse).replace(
        identity=build(IdentitySettings, identity), delivery=build_over_defaults(DeliverySettings, delivery)
    )


def built_world(root: Path, **kwargs):
    """Write the delivery world under `root` and build silver; its settings."""
    write_world(Bronze(root / "bronze"))
    settings = gold_settings(root, **kwargs)
    build_silver(settings)
    return settings
