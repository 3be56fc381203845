"""Check bronze against the manifests: every listed file intact, every file listed."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from pathlib import Path

import zstandard

from pipelines.bronze.ledger import bronze_sources, read_ledger
from pipelines.bronze.lock import SourceLock
from pipelines.bronze.writer import SUFFIX
from pipelines.errors import DplError, ErrorClass

QUARANTINE = "_quarantine"


@dataclasses.dataclass
class VerifyReport:
    checked: int = 0
    missing: list[str] = dataclasses.field(default_factory=list)
    mismatched: list[str] = dataclasses.field(default_factory=list)  # "path: what differs"
    orphans: list[str] = dataclasses.field(default_factory=list)
    quarantined: list[str] = dataclasses.field(default_factory=list)
    busy: list[str] = dataclasses.field(default_factory=list)  # sources skipped: a sync holds their lock

    @property
    def corrupt(self) -> bool:
        return bool(self.missing or self.mismatched)


def verify(
    bronze_dir: Path, sources: list[str] | None = None, quarantine: bool = False, deep: bool = True
) -> VerifyReport:
    """Verify size, sha256 and row count of every manifest row; find (and optionally move) orphans."""
    root = Path(bronze_dir)
    report = VerifyReport()
    if not root.is_dir():
        return report
    names = sources or bronze_sources(root)
    for source in names:
        try:
            with SourceLock(root, source):  # a running sync's open .tmp part is not an orphan
                _verify_source(root, source, report, quarantine, deep)
        except DplError as exc:
            if exc.error_class != ErrorClass.LOCKED:
                raise
            report.busy.append(source)
    return report


def _verify_source(root: Path, source: str, report: VerifyReport, quarantine: bool, deep: bool) -> None:
    """Check one source's manifest rows and files (its lock held)."""
    listed = set()
    for row in read_ledger(root, source, "manifest"):
        listed.add(row["path"])
        report.checked += 1
        problem = _check_file(root / row["path"], row, deep)
        if problem == "missing":
            report.missing.append(row["path"])
        elif problem:
            report.mismatched.append(f"{row['path']}: {problem}")
    for path in sorted((root / source).rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or f"/{QUARANTINE}/" in f"/{rel}":
            continue
        if (path.name.endswith(SUFFIX) or path.name.endswith(SUFFIX + ".tmp")) and rel not in listed:
            report.orphans.append(rel)
            if quarantine:
                target = root / source / QUARANTINE / path.relative_to(root / source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, target)
                report.quarantined.append(rel)


def _check_file(path: Path, row: dict, deep: bool) -> str | None:
    if not path.is_file():
        return "missing"
    size = path.stat().st_size
    if size != row["bytes"]:
        return f"size {size} != manifest {row['bytes']}"
    if not deep:
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != row["sha256"]:
        return "sha256 differs from the manifest"
    try:
        rows = count_lines(path)
    except zstandard.ZstdError as exc:
        return f"cannot be decompressed ({exc})"
    if rows != row["rows"]:
        return f"{rows} rows != manifest {row['rows']}"
    return None


def count_lines(path: Path) -> int:
    """Lines in a zstd JSONL file, streamed."""
    lines = 0
    with open(path, "rb") as handle, zstandard.ZstdDecompressor().stream_reader(handle) as reader:
        for block in iter(lambda: reader.read(1 << 20), b""):
            lines += block.count(b"\n")
    return lines
