"""The SQL models: one relation per `.sql` file, read from `sql/<layer>/`, run in dependency order.

A model file starts with its grain comment and a config comment, e.g.::

    -- one row per jira issue: its latest version
    -- config: materialized=merge unique_key=issue_id version=updated_at,_ingested_at

`materialized` is one of
  - `view` (default): a persisted view over other relations (never over bronze);
  - `merge`: a table kept up to date by merging the de-duplicated batch of new bronze files;
    `unique_key` names the key columns, `version` the ordering columns (latest wins, NULL oldest);
  - `batch`: a temporary table over this build's batch, shared by the merge models that read it;
  - `table`: a table rebuilt from all its input files whenever that set of files changes
    (`files=cursor_runs` restricts a stream to the runs named in the source's cursors.parquet).

The relations a model reads come from its parse tree (`references.relations_read`). Each is
  - a bronze relation `bronze_<source>_<stream>` (or `bronze_<source>_cursors`), bound by the
    runner to the files of the batch;
  - a config table `_silver_*`, written by the build before the models run;
  - or another model: a dependency. Anything else (a typo, a missing model) is a ConfigError.

Names follow the layering (checked here):
  - `stg_<source>__<entity>`: staging, reads bronze relations and config tables only (and `stg_`
    batch models, which are this build's bronze parsed once);
  - `int_<area>__<entity>`: intermediate, combines other models and reads no bronze;
  - plain names: the marts users query.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from pathlib import Path

from pipelines.errors import ConfigError
from pipelines.silver import references

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
LAYERS = ("silver", "gold", "anomalies")
MATERIALIZATIONS = ("view", "merge", "batch", "table")
BRONZE_RELATION = re.compile(r"bronze_[a-z0-9]+_[a-z0-9_]+")
CONFIG_PREFIX = "_silver_"
# Models renamed away (old name: new name): a build drops what an older build left under the old name.
RETIRED_MODELS = {
    "stg_delivery__git_remotes": "int_delivery__git_remotes",
    "stg_delivery__issue_key_mentions": "int_delivery__issue_key_mentions",
    "stg_delivery__project_keys": "int_delivery__project_keys",
    "stg_delivery__pull_requests": "bitbucket_pull_requests",
    "int_delivery__pull_requests": "bitbucket_pull_requests",
}
IDENTIFIER = re.compile(r"\b[a-z_][a-z0-9_]*\b")
STRING_OR_COMMENT = re.compile(r"'(?:[^']|'')*'|--[^\n]*")
log = logging.getLogger("pipelines.silver")


@dataclasses.dataclass(frozen=True)
class Model:
    """One SQL model file and its parsed config."""

    name: str
    layer: str
    path: Path
    grain: str
    sql: str
    materialized: str = "view"
    unique_key: tuple[str, ...] = ()
    version: tuple[str, ...] = ()
    files: str = "all"
    bronze: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    parse_error: str | None = None

    @property
    def checksum(self) -> str:
        """Hash of the model's SQL and config: a change forces a full rebuild of stored tables."""
        text = f"{self.materialized}|{self.unique_key}|{self.version}|{self.files}|{self.sql}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_models(sql_dir: Path = SQL_DIR) -> list[Model]:
    """Every model under `sql_dir`, ordered so that each runs after the relations it reads."""
    files = [(path, layer) for layer in LAYERS for path in sorted((sql_dir / layer).glob("*.sql"))]
    parsed = [parse_model(path, layer) for path, layer in files]
    by_name = _by_name(parsed)
    linked = {
        name: dataclasses.replace(model, depends_on=_dependencies(model, by_name)) for name, model in by_name.items()
    }
    for model in linked.values():
        _check_layering(model, linked)
    return _topological(list(linked.values()), sql_dir)


def parse_model(path: Path, layer: str) -> Model:
    """Read one model file: grain (line 1), `-- config:` line, SQL body, the relations it reads."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if not lines or not lines[0].startswith("--"):
        raise ConfigError(f"{path}: line 1 must be the grain comment (e.g. `-- one row per issue`)")
    options: dict[str, str] = {}
    for line in lines[1:3]:
        if line.startswith("-- config:"):
            for item in line.removeprefix("-- config:").split():
                key, _, value = item.partition("=")
                options[key] = value
    materialized = options.pop("materialized", "view")
    if materialized not in MATERIALIZATIONS:
        raise ConfigError(f"{path}: materialized={materialized!r}, expected one of {', '.join(MATERIALIZATIONS)}")
    sql = text.strip().rstrip(";")
    reads, parse_error = _reads(path, sql)
    model = Model(
        name=path.stem,
        layer=layer,
        path=path,
        grain=lines[0].removeprefix("--").strip(),
        sql=sql,
        materialized=materialized,
        unique_key=_split(options.pop("unique_key", "")),
        version=_split(options.pop("version", "")),
        files=options.pop("files", "all"),
        bronze=tuple(name for name in reads if BRONZE_RELATION.fullmatch(name)),
        reads=reads,
        parse_error=parse_error,
    )
    if options:
        raise ConfigError(f"{path}: unknown config key(s) {', '.join(sorted(options))}")
    if materialized == "merge" and not (model.unique_key and model.version):
        raise ConfigError(f"{path}: a merge model needs unique_key= and version=")
    if materialized == "view" and model.bronze:
        raise ConfigError(f"{path}: a view cannot read bronze relations ({', '.join(model.bronze)}); use a table")
    return model


def _split(value: str) -> tuple[str, ...]:
    return tuple(part for part in value.split(",") if part)


def _reads(path: Path, sql: str) -> tuple[tuple[str, ...], str | None]:
    """(sorted relations the SQL reads, None); when sqlglot cannot parse it, (every identifier, its error)."""
    try:
        return tuple(sorted(references.relations_read(sql))), None
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except references.QueryParseError as exc:
        # Never fewer dependencies than the truth: every identifier that names a relation counts.
        log.warning("%s: sqlglot cannot parse it (%s); taking every identifier as a possible read", path, exc)
        code = STRING_OR_COMMENT.sub(lambda m: "''" if m.group().startswith("'") else " ", sql.lower())
        return tuple(sorted(set(IDENTIFIER.findall(code)))), str(exc)


def _by_name(models: list[Model]) -> dict[str, Model]:
    """{name: model}; a name defined twice, or a retired one, is a ConfigError."""
    by_name: dict[str, Model] = {}
    for model in models:
        if model.name in RETIRED_MODELS:
            raise ConfigError(
                f"{model.path}: {model.name} is the old name of {RETIRED_MODELS[model.name]}, which every build "
                "drops: remove it from RETIRED_MODELS (pipelines/silver/models.py) to use the name again"
            )
        if model.name in by_name:
            raise ConfigError(f"{model.path}: model {model.name} is also defined by {by_name[model.name].path}")
        by_name[model.name] = model
    return by_name


def _dependencies(model: Model, models: dict[str, Model]) -> tuple[str, ...]:
    """The models `model` reads; a relation that is no model, bronze or config table is a ConfigError."""
    if model.parse_error is not None:
        return tuple(name for name in model.reads if name in models and name != model.name)
    unknown = [
        name
        for name in model.reads
        if name not in models and not name.startswith(CONFIG_PREFIX) and not BRONZE_RELATION.fullmatch(name)
    ]
    if unknown:
        raise ConfigError(
            f"{model.path}: reads {', '.join(unknown)}, which is not a model (sql/<layer>/<name>.sql), "
            f"a bronze relation (bronze_<source>_<stream>) or a build config table ({CONFIG_PREFIX}*)"
        )
    return tuple(name for name in model.reads if name in models)


def _check_layering(model: Model, models: dict[str, Model]) -> None:
    """`stg_` models read bronze (and `stg_` batch models) only; `int_` models read no bronze."""
    if model.name.startswith("stg_"):
        wrong = [
            name for name in model.depends_on if not (name.startswith("stg_") and models[name].materialized == "batch")
        ]
        if wrong:
            raise ConfigError(
                f"{model.path}: staging model {model.name} reads {', '.join(wrong)}; a stg_ model reads only bronze "
                "relations, _silver_* config tables and stg_ batch models: a model combining others is "
                f"int_{model.name.removeprefix('stg_')}"
            )
    if model.name.startswith("int_") and model.bronze:
        raise ConfigError(
            f"{model.path}: intermediate model {model.name} reads {', '.join(model.bronze)}; an int_ model combines "
            f"other models: a model over bronze is stg_{model.name.removeprefix('int_')}"
        )


def _topological(models: list[Model], sql_dir: Path) -> list[Model]:
    by_name = {model.name: model for model in models}
    rank = {model.name: (LAYERS.index(model.layer), model.name) for model in models}
    done: list[Model] = []
    placed: set[str] = set()
    pending = sorted(by_name, key=rank.__getitem__)
    while pending:
        ready = [name for name in pending if set(by_name[name].depends_on) <= placed]
        if not ready:
            cycle = _cycle(by_name, pending)
            raise ConfigError(f"{sql_dir}: dependency cycle {' -> '.join(cycle)} (each model reads the next)")
        name = ready[0]
        done.append(by_name[name])
        placed.add(name)
        pending.remove(name)
    return done


def _cycle(by_name: dict[str, Model], pending: list[str]) -> list[str]:
    """One cycle among the models that cannot be placed (each reads at least one other of them)."""
    path = [pending[0]]
    while True:
        name = next(dep for dep in by_name[path[-1]].depends_on if dep in pending)
        if name in path:
            return [*path[path.index(name) :], name]
        path.append(name)
