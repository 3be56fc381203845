"""Bronze maintenance commands: `compact` (merge manifest segments) and `migrate-bronze` (copy to another root).

Merged into the CLI by `pipelines/cli.py`: `cli_bronze.register(sub)` in `build_parser()` and
`COMMANDS.update(cli_bronze.COMMANDS)`.
"""

from __future__ import annotations

from pipelines.bronze.ledger import bronze_sources, compact_manifest
from pipelines.bronze.lock import SourceLock
from pipelines.bronze.migrate import migrate
from pipelines.bronze.storage import BronzeRoot
from pipelines.display import human_bytes


def register(sub) -> None:
    """Add the `compact` and `migrate-bronze` sub-commands to the CLI's subparsers."""
    compact = sub.add_parser("compact", help="merge each source's manifest segments into one, atomically")
    compact.add_argument("--source")
    move = sub.add_parser("migrate-bronze", help="copy bronze to another root (s3://...), verified by sha256")
    move.add_argument("--to", required=True, help="the target root: s3://bucket/prefix, a folder, ...")


def cmd_compact(settings, args) -> int:
    sources = [args.source] if args.source else bronze_sources(settings.bronze_dir)
    for source in sources:
        with SourceLock(settings.bronze_dir, source, settings.bronze.lock_lease_s):
            before, rows = compact_manifest(settings.bronze_dir, source)
        if rows < 0:
            print(f"{source}: manifest already compact ({before} segment{'s' * (before != 1)})")
        else:
            print(f"{source}: {before} manifest segments -> 1 ({rows:,} rows)")
    if not sources:
        print(f"no bronze yet in {settings.bronze_dir}")
    return 0


def cmd_migrate(settings, args) -> int:
    target = BronzeRoot(args.to)
    report = migrate(settings.bronze_dir, target)
    print(
        f"migrate-bronze: {report.files:,} files ({human_bytes(report.bytes)}) of "
        f"{', '.join(report.sources) or 'no source'} copied from {settings.bronze_dir} to {target}, "
        "each verified against its manifest sha256"
    )
    return 0


COMMANDS = {"compact": cmd_compact, "migrate-bronze": cmd_migrate}
