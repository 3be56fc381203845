"""Copy a bronze root to another (a local folder to a bucket, or back), verified by the manifests' sha256.

Per source, with the source's lock held on both roots: every file the manifest lists is copied
(orphans are not data and stay behind), each one read back from the target and checked against
its manifest row (size, sha256, rows); then the manifest is written on the target (its commit
point: one compacted segment), then cursors, runs and the drift ledgers. A target that already
holds a manifest for a source is refused, so a migration never mixes two histories.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path

from pipelines.bronze.ledger import (
    bronze_sources,
    export_ledger,
    ledger_name,
    manifest_segments,
    read_ledger,
    write_ledger,
)
from pipelines.bronze.lock import SourceLock
from pipelines.bronze.storage import BronzeRoot, as_root
from pipelines.bronze.verify import read_part
from pipelines.errors import ConfigError, DplError, ErrorClass

COPIED_LEDGERS = ("cursors", "runs", "drift", "paths", "pending")


@dataclasses.dataclass
class MigrateReport:
    sources: list[str] = dataclasses.field(default_factory=list)
    files: int = 0
    bytes: int = 0


def migrate(source_root, target_root) -> MigrateReport:
    """Copy every source's listed files and ledgers from one root to another, verifying each file."""
    src, dst = as_root(source_root), as_root(target_root)
    if src == dst:
        raise ConfigError(f"migrate-bronze: the target {dst} is the bronze root itself")
    report = MigrateReport()
    for source in bronze_sources(src):
        if not manifest_segments(src, source):
            continue
        if manifest_segments(dst, source):
            raise ConfigError(f"{dst}: already holds bronze of {source}; migrate into an empty bucket or prefix")
        with SourceLock(src, source), SourceLock(dst, source):
            _copy_source(src, dst, source, report)
        report.sources.append(source)
    return report


def _copy_source(src: BronzeRoot, dst: BronzeRoot, source: str, report: MigrateReport) -> None:
    rows = read_ledger(src, source, "manifest")
    for row in rows:
        _copy_file(src, dst, row)
        report.files += 1
        report.bytes += int(row["bytes"] or 0)
    write_ledger(dst, source, "manifest", rows)  # the commit point: only now are the files data on the target
    for name in COPIED_LEDGERS:
        data = export_ledger(src, source, name)
        if data is not None:
            dst.write(ledger_name(source, name), data)


def _copy_file(src: BronzeRoot, dst: BronzeRoot, row: dict) -> None:
    rel = row["path"]
    staging = dst.staging_dir(row["source"])
    staging.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=staging, suffix=".tmp")
    try:
        with src.open(rel) as reader, os.fdopen(fd, "wb") as writer:
            shutil.copyfileobj(reader, writer, 8 << 20)
            writer.flush()
            os.fsync(writer.fileno())
        dst.publish(Path(name), rel)
    finally:
        if os.path.exists(name):
            os.unlink(name)
    with dst.open(rel) as handle:
        digest, lines, error = read_part(handle)
    if digest != row["sha256"] or lines != row["rows"] or error:
        raise DplError(
            ErrorClass.STORAGE,
            f"{dst.uri(rel)}: the copy does not match the manifest (sha256 or rows differ)",
            advice="run migrate-bronze again into an empty prefix; the source root is unchanged",
        )
