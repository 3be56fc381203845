"""The SQL models: one relation per `.sql` file, read from `sql/<layer>/`, run in dependency order.

A model file starts with its grain comment and a config comment, e.g.::

    -- one row per jira issue: its latest version
    -- config: materialized=merge unique_key=issue_id version=updated_at,_ingested_at

`materialized` is one of
  - `view` (default): a persisted view over other relations (never over bronze);
  - `merge`: a table kept up to date by MERGE of the de-duplicated batch of new bronze files;
    `unique_key` names the key columns, `version` the ordering columns (latest wins, NULL oldest);
  - `batch`: a temporary table over this build's batch, shared by the merge models that read it;
  - `table`: a table rebuilt from all its input files whenever that set of files changes
    (`files=cursor_runs` restricts a stream to the runs named in the source's cursors.parquet).
Relations named `bronze_<source>_<stream>` (and `bronze_<source>_cursors`) are bound by the
runner to the files of the batch; any other name matching a model is a dependency.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path

from pipelines.errors import ConfigError

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
LAYERS = ("silver", "gold", "anomalies")
MATERIALIZATIONS = ("view", "merge", "batch", "table")
IDENTIFIER = re.compile(r"\b[a-z_][a-z0-9_]*\b")
BRONZE_RELATION = re.compile(r"\bbronze_[a-z0-9_]+\b")
STRING_OR_COMMENT = re.compile(r"'(?:[^']|'')*'|--[^\n]*")


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

    @property
    def checksum(self) -> str:
        """Hash of the model's SQL and config: a change forces a full rebuild of stored tables."""
        text = f"{self.materialized}|{self.unique_key}|{self.version}|{self.files}|{self.sql}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_models(sql_dir: Path = SQL_DIR) -> list[Model]:
    """Every model under `sql_dir`, ordered so that each runs after the relations it reads."""
    parsed = [parse_model(path, layer) for layer in LAYERS for path in sorted((sql_dir / layer).glob("*.sql"))]
    names = {model.name for model in parsed}
    linked = []
    for model in parsed:
        words = set(IDENTIFIER.findall(_code_only(model.sql)))
        depends = tuple(sorted((words & names) - {model.name}))
        linked.append(dataclasses.replace(model, depends_on=depends))
    return _topological(linked)


def parse_model(path: Path, layer: str) -> Model:
    """Read one model file: grain (line 1), `-- config:` line, SQL body."""
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
    model = Model(
        name=path.stem,
        layer=layer,
        path=path,
        grain=lines[0].removeprefix("--").strip(),
        sql=text.strip().rstrip(";"),
        materialized=materialized,
        unique_key=_split(options.pop("unique_key", "")),
        version=_split(options.pop("version", "")),
        files=options.pop("files", "all"),
        bronze=tuple(sorted(set(BRONZE_RELATION.findall(_code_only(text))))),
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


def _code_only(sql: str) -> str:
    """The SQL without its string literals and comments (for finding relation names)."""
    return STRING_OR_COMMENT.sub(lambda m: "''" if m.group().startswith("'") else " ", sql)


def _topological(models: list[Model]) -> list[Model]:
    by_name = {model.name: model for model in models}
    rank = {model.name: (LAYERS.index(model.layer), model.name) for model in models}
    done: list[Model] = []
    placed: set[str] = set()
    pending = sorted(by_name, key=rank.__getitem__)
    while pending:
        ready = [name for name in pending if set(by_name[name].depends_on) <= placed]
        if not ready:
            raise ConfigError(f"sql/: dependency cycle among {', '.join(pending)}")
        name = ready[0]
        done.append(by_name[name])
        placed.add(name)
        pending.remove(name)
    return done
