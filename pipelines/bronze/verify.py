"""Check bronze against the manifests: every listed file intact, every file listed."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import IO

import zstandard

from pipelines.bronze.ledger import bronze_sources, read_ledger
from pipelines.bronze.lock import SourceLock
from pipelines.bronze.storage import BronzeRoot, as_root
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


def verify(bronze_dir, sources: list[str] | None = None, quarantine: bool = False, deep: bool = True) -> VerifyReport:
    """Verify size, sha256 and row count of every manifest row; find (and optionally move) orphans."""
    root = as_root(bronze_dir)
    report = VerifyReport()
    if not root.is_usable():
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


def _verify_source(root: BronzeRoot, source: str, report: VerifyReport, quarantine: bool, deep: bool) -> None:
    """Check one source's manifest rows and files (its lock held)."""
    listed = set()
    for row in read_ledger(root, source, "manifest"):
        listed.add(row["path"])
        report.checked += 1
        problem = _check_file(root, row, deep)
        if problem == "missing":
            report.missing.append(row["path"])
        elif problem:
            report.mismatched.append(f"{row['path']}: {problem}")
    for rel, _ in root.list_files(source):
        if f"/{QUARANTINE}/" in f"/{rel}":
            continue
        if (rel.endswith(SUFFIX) or rel.endswith(SUFFIX + ".tmp")) and rel not in listed:
            report.orphans.append(rel)
            if quarantine:
                root.move(rel, f"{source}/{QUARANTINE}/{rel.removeprefix(source + '/')}")
                report.quarantined.append(rel)


def _check_file(root: BronzeRoot, row: dict, deep: bool) -> str | None:
    size = root.size(row["path"])
    if size is None:
        return "missing"
    if size != row["bytes"]:
        return f"size {size} != manifest {row['bytes']}"
    if not deep:
        return None
    with root.open(row["path"]) as handle:
        digest, rows, error = read_part(handle)
    if digest != row["sha256"]:
        return "sha256 differs from the manifest"
    if error:
        return f"cannot be decompressed ({error})"
    if rows != row["rows"]:
        return f"{rows} rows != manifest {row['rows']}"
    return None


class _HashingReader:
    """A binary reader that hashes the compressed bytes as zstd reads them."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        block = self.handle.read(size)
        self.sha256.update(block)
        return block


def read_part(handle: IO[bytes]) -> tuple[str, int, str | None]:
    """(sha256, lines, decompression error) of a zstd JSONL part, in one streamed pass."""
    source = _HashingReader(handle)
    lines, error = 0, None
    try:
        with zstandard.ZstdDecompressor().stream_reader(source, read_across_frames=True, closefd=False) as reader:
            for block in iter(lambda: reader.read(1 << 20), b""):
                lines += block.count(b"\n")
    except zstandard.ZstdError as exc:
        error = str(exc)
    while source.read(1 << 20):  # hash what zstd did not read
        continue
    return source.sha256.hexdigest(), lines, error


def count_lines(path) -> int:
    """Lines in a local zstd JSONL file, streamed."""
    with open(path, "rb") as handle:
        return read_part(handle)[1]
