"""DuckDB connections that can read a bronze root: the one place that knows how DuckDB reaches object storage.

- A local folder: nothing to do (plain file paths).
- `s3://` (and S3-compatible endpoints): the `httpfs` extension, loaded BY PATH from the pinned
  `duckdb-extension-httpfs` package with `autoinstall_known_extensions`/`autoload_known_extensions`
  off (nothing is ever downloaded), and the credentials as a TEMPORARY DuckDB secret built from
  the SDK's standard chain (environment, profile) at run time: never persisted, never printed.
- `gs://`, `az://`: the root's fsspec filesystem registered with DuckDB (slower, but the same files).

Reused for the warehouse when it lives on object storage (DuckLake data on s3).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from urllib.parse import urlsplit

import duckdb

from pipelines.bronze.storage import BronzeRoot
from pipelines.errors import ConfigError, DplError, ErrorClass

EXTENSION_PACKAGE = "duckdb_extension_{name}"
SECRET_NAME = "dpl_bronze_s3"


def extension_path(name: str) -> Path:
    """The `<name>.duckdb_extension` file shipped by the pinned `duckdb-extension-<name>` package."""
    package = EXTENSION_PACKAGE.format(name=name)
    spec = importlib.util.find_spec(package)
    path = None
    if spec is not None and spec.origin:
        path = Path(spec.origin).parent / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if path is None or not path.is_file():
        raise ConfigError(
            f"DuckDB's {name} extension for duckdb {duckdb.__version__} is not installed: "
            f"pip install duckdb-extension-{name}=={duckdb.__version__} (see requirements.txt)"
        )
    return path


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Load a DuckDB extension from its pinned PyPI package, never from the network."""
    con.execute("set autoinstall_known_extensions = false")
    con.execute("set autoload_known_extensions = false")
    con.execute(f"load '{extension_path(name)}'")


def enable_bronze(con: duckdb.DuckDBPyConnection, root: BronzeRoot) -> None:
    """Make `root.uri(...)` names readable by `con` (read_json, read_parquet)."""
    if root.is_local:
        return
    if root.scheme == "s3":
        load_extension(con, "httpfs")
        create_s3_secret(con, scope=f"s3://{root.base.split('/')[0]}")
        return
    con.register_filesystem(root.fs)


def bronze_connection(root: BronzeRoot) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that can read the bronze root."""
    con = duckdb.connect()
    enable_bronze(con, root)
    return con


def s3_settings(env=None) -> dict[str, str]:
    """The S3 secret's parameters from the SDK's standard chain (credentials) and variables (region, endpoint)."""
    import botocore.session

    env = os.environ if env is None else env
    session = botocore.session.Session()
    credentials = session.get_credentials()
    if credentials is None:
        raise ConfigError(
            "no AWS credentials found for the s3:// bronze root: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
            "or AWS_PROFILE (the SDK's standard chain)"
        )
    frozen = credentials.get_frozen_credentials()
    values = {"KEY_ID": frozen.access_key, "SECRET": frozen.secret_key}
    if frozen.token:
        values["SESSION_TOKEN"] = frozen.token
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or session.get_config_variable("region")
    values["REGION"] = region or "us-east-1"
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint)
        values["ENDPOINT"] = parts.netloc or parts.path
        values["USE_SSL"] = "false" if parts.scheme == "http" else "true"
        values["URL_STYLE"] = "path"
    return values


def create_s3_secret(
    con: duckdb.DuckDBPyConnection, scope: str | None = None, env=None, name: str = SECRET_NAME
) -> None:
    """A TEMPORARY S3 secret (memory only) from the environment; errors never quote its values.

    `name`: one secret per use (bronze, the warehouse's data), so that neither replaces the other."""
    values = s3_settings(env)
    options = [f"{key} {_literal(value)}" for key, value in values.items() if key not in ("USE_SSL",)]
    if "USE_SSL" in values:
        options.append(f"USE_SSL {values['USE_SSL']}")
    if scope:
        options.append(f"SCOPE {_literal(scope)}")
    sql = f"create or replace temporary secret {name} (type s3, {', '.join(options)})"
    try:
        con.execute(sql)
    except duckdb.Error as exc:
        kind = type(exc).__name__
        raise DplError(ErrorClass.CONFIG, f"DuckDB refused the S3 secret built from the environment ({kind})") from None


def _literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"
