"""Selectors a user types (SOURCE, STREAM, PROJECT / REPO / JOB, SCOPE): checked before a command runs.

A wrong selector is one line listing the valid values and exit code 2 (`CONFIG`), never a silent
"nothing found". `validate_args` is called by `pipelines/cli.py` for every command, on the
arguments it has: `source` (`--source`, or the positional of `sync`/`record`), `stream`/`streams`.
Which sources a command accepts: the registry's for commands that call an API; for commands that
read bronze, also a source folder found in bronze without a module (listed by `make units`).
"""

from __future__ import annotations

from collections.abc import Iterable

from pipelines.bronze.ledger import bronze_sources, read_ledger
from pipelines.errors import ConfigError
from pipelines.sources import SCOPE_VARS, SOURCE_NAMES

# Commands whose source is run against its API (only registered sources make sense there).
RUNNING = frozenset({"sync", "backfill", "record", "sync-due"})
REJECTED_STREAM = "_rejected"  # records without a usable id (bronze/<source>/_rejected/...)


def split_list(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """`a, b,,c` -> ("a", "b", "c"); a list of such strings is flattened; None -> ()."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    return tuple(part.strip() for item in items for part in str(item).split(",") if part.strip())


def known_sources(settings, running: bool = False) -> list[str]:
    """The registry's sources, then (unless `running`) source folders found in bronze."""
    names = list(SOURCE_NAMES)
    if not running:
        names += [name for name in bronze_sources(settings.bronze_dir) if name not in names]
    return names


def check_source(settings, name: str, running: bool = False) -> str:
    """`name` if it is a known source, else ConfigError listing the valid ones."""
    valid = known_sources(settings, running)
    if name not in valid:
        raise ConfigError(f"SOURCE={name}: unknown source; expected one of: {', '.join(valid)}")
    return name


def known_streams(settings, source: str) -> list[str]:
    """A source's streams: as configured (every stream of its module), else as its manifest lists them."""
    if source in settings.sources:
        return [*settings.source(source).streams, REJECTED_STREAM]
    return sorted({str(row["stream"]) for row in read_ledger(settings.bronze_dir, source, "manifest")})


def check_streams(settings, sources: Iterable[str], streams: Iterable[str]) -> None:
    """ConfigError unless every stream belongs to at least one of `sources`, listing the valid ones."""
    sources = list(sources)
    valid: dict[str, None] = {}
    for source in sources:
        valid.update(dict.fromkeys(known_streams(settings, source)))
    unknown = [s for s in streams if s not in valid]
    if unknown:
        where = sources[0] if len(sources) == 1 else "any source"
        raise ConfigError(f"STREAM={','.join(unknown)}: not a stream of {where}; expected one of: {', '.join(valid)}")


def validate_args(settings, args) -> None:
    """Check the selectors a parsed command line holds (called before every command)."""
    running = args.command in RUNNING
    given = split_list(getattr(args, "source", None))
    for name in given:
        check_source(settings, name, running)
    streams = split_list(getattr(args, "streams", None)) + split_list(getattr(args, "stream", None))
    if streams:
        check_streams(settings, given or known_sources(settings, running), streams)


def scope_of(args, source: str | None) -> tuple[str | None, tuple[str, ...] | None]:
    """(source, unit scopes) from `--project` / `--repo` / `--job`: each names the units of one source.

    Without a source, the flag's own source is meant; with another source, ConfigError.
    """
    given = {var: split_list(getattr(args, var.lower(), None)) for var in SCOPE_VARS.values()}
    given = {var: values for var, values in given.items() if values}
    if not given:
        return source, None
    if len(given) > 1:
        raise ConfigError(f"{'= and '.join(given)}= scope different sources: give one of them")
    ((var, values),) = given.items()
    owner = next(name for name, scope_var in SCOPE_VARS.items() if scope_var == var)
    if source not in (None, owner):
        raise ConfigError(f"{var}= scopes {owner}, not {source}: for {source} use {SCOPE_VARS[source]}=")
    return owner, values


def scoped_streams(source: str, scoped: tuple[str, ...], streams: tuple[str, ...] | None, settings) -> tuple[str, ...]:
    """The streams of a scoped run: the enabled per-unit streams, or the named ones if all are per-unit."""
    var = SCOPE_VARS[source]
    if streams is None:
        return tuple(s for s in scoped if settings.stream(s).enabled)
    whole = [s for s in streams if s not in scoped]
    if whole:
        raise ConfigError(
            f"STREAM={','.join(whole)} covers all of {source}, not one unit: drop {var}= to sync it "
            f"({var}= scopes {', '.join(scoped)})"
        )
    return streams
