"""What a silver build was made from, as digests cheap enough to compare before building anything.

`inputs(settings, files)` digests everything a build's result depends on: the manifest files, the
ledgers models read (cursors...), the text of every file under sql/ the build reads (models,
dictionaries, payload shapes), silver's code and the settings written into config tables. A build
whose digest equals the one stored by the last build has nothing to do: it returns the stored summary
without touching the warehouse (a no-op build). Nothing here parses SQL: a fresh process pays no parse.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

from pipelines.bronze.ledger import LEDGERS, BronzeFile, ledger_signature
from pipelines.silver.bronze import SHAPES_FILE, split_relation
from pipelines.silver.dictionary import FILE_NAME as DICTIONARY_FILE
from pipelines.silver.models import BRONZE_RELATION, LAYERS, SQL_DIR
from pipelines.silver.warehouse import relations

CODE_DIR = Path(__file__).resolve().parent
INPUTS_KEY = "inputs"  # _silver_state key of the digest of the last build's inputs
SUMMARY_KEY = "summary"  # _silver_state key of its summary, {table: rows}


def sql_files(sql_dir: Path = SQL_DIR) -> list[Path]:
    """Every file of the model layers (models and their schema.yml), then the payload shapes."""
    return [path for layer in LAYERS for path in sorted((sql_dir / layer).glob("*")) if path.is_file()] + [SHAPES_FILE]


def text_digest(paths: list[Path]) -> str:
    """A digest of the files' names and contents (an absent file counts as empty)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(f"{path.name}\0".encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:16]


def settings_digest(settings) -> str:
    """A digest of the settings the build writes into config tables or reads while building."""
    parts = (settings.jira_silver, settings.corrections, settings.delivery, settings.identity)
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def ledgers_read(paths: list[Path]) -> set[tuple[str, str]]:
    """(source, ledger) pairs named by a model (`bronze_<source>_cursors`...), found in the text."""
    found = set()
    for path in paths:
        if path.suffix == ".sql":
            for name in BRONZE_RELATION.findall(path.read_text(encoding="utf-8")):
                source, stream = split_relation(name)
                if stream in LEDGERS:
                    found.add((source, stream))
    return found


def inputs(settings, files: list[BronzeFile]) -> str:
    """The digest of everything the build's result depends on (see the module docstring)."""
    sql = sql_files()
    digest = hashlib.sha256()
    digest.update(f"sql:{text_digest(sql)}|code:{text_digest(sorted(CODE_DIR.glob('*.py')))}|".encode())
    digest.update(f"settings:{settings_digest(settings)}|".encode())
    for source, ledger in sorted(ledgers_read(sql)):
        digest.update(f"{source}.{ledger}:{ledger_signature(settings.bronze_dir, source, ledger)}|".encode())
    for file in sorted(files, key=lambda f: f.path):
        digest.update(f"{file.path}:{file.sha256}\n".encode())
    return digest.hexdigest()[:32]


def dictionary(custom: dict[str, str]) -> str:
    """A digest of the comments a build applies: the layers' schema.yml and the custom-field descriptions."""
    described = text_digest([SQL_DIR / layer / DICTIONARY_FILE for layer in LAYERS])
    return f"{described}:{hashlib.sha256(json.dumps(custom, sort_keys=True).encode()).hexdigest()[:16]}"


def last_summary(con: duckdb.DuckDBPyConnection, digest: str) -> dict | None:
    """The last build's summary when its inputs digest is `digest` and its relations all exist, else None."""
    existing = relations(con)
    if existing.get("_silver_state") != "BASE TABLE":
        return None
    state = dict(con.execute("select key, value from _silver_state").fetchall())
    if state.get(INPUTS_KEY) != digest or SUMMARY_KEY not in state:
        return None
    rows = json.loads(state[SUMMARY_KEY])
    views = [key.removeprefix("view:") for key in state if key.startswith("view:")]
    if any(existing.get(name) != "BASE TABLE" for name in rows) or any(existing.get(v) != "VIEW" for v in views):
        return None
    return {name: {"rows": count, "changed": 0} for name, count in rows.items()}


def summary_state(summary: dict, digest: str) -> dict[str, str]:
    """The `_silver_state` entries recording a build's inputs digest and summary."""
    rows = {name: entry["rows"] for name, entry in summary.items()}
    return {INPUTS_KEY: digest, SUMMARY_KEY: json.dumps(rows, sort_keys=True)}
