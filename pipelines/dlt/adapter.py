"""Our sources in a plain `dlt.pipeline(...).run(...)`: pages become envelope records, incremental by our cursors.

    import dlt
    from pipelines.dlt.resources.jira import records

    dlt.pipeline("my_jira", destination="duckdb", dataset_name="jira_raw").run(records())

The same resources as `make sync-jira` run, with the same settings (config/*.yaml) and secrets (the
environment or `.env`); each record is enveloped as in bronze (`__source`, `__stream`,
`__ingested_at_utc`, `__run_id`, `__id`, `__cursor`, `__parent`, `payload`) and lands in
`<source>__<stream>` with the layout of `make load` (pipelines/dlt/load/tables.py). Records without a
usable id go to `<source>___rejected` (id: a digest of the record; `__parent` says why), as bronze
keeps them in `_rejected`.

Incremental state: the cursors of `cursors.parquet`, per (stream, scope), kept in the dlt source state
instead (`cursors: {stream: {scope: value}}`), so they are committed with the rows, in the destination.
The runner's rule applies: a page's checkpoint, else the max cursor of its records, committed when the
resource that yielded it finished, never moving backwards. `full=True` ignores them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping

import dlt

from pipelines.bronze.ledger import cursor_after
from pipelines.dlt.load import tables
from pipelines.dlt.pipelines import REJECTED_STREAM, new_run_id
from pipelines.dlt.resources import get
from pipelines.dlt.streams import FULL, INCREMENTAL, Page, StreamSpec, SyncContext
from pipelines.settings import Settings, load_settings
from pipelines.timeutil import utc_now

STATE_KEY = "cursors"


def records_of(
    name: str,
    env: Mapping[str, str] | None = None,
    streams: Iterable[str] | None = None,
    full: bool = False,
    settings: Settings | None = None,
):
    """Source `name` as a dlt source of envelope records (one resource, one table per stream)."""
    module = get(name)
    settings = settings or load_settings()
    secrets = module.read_env(os.environ if env is None else env)
    selected = tuple(streams) if streams else None

    def envelopes() -> Iterator[list[dict]]:
        state = dlt.current.source_state().setdefault(STATE_KEY, {})
        ctx = SyncContext(
            source=name,
            settings=settings.source(name),
            time=settings.time,
            secrets=secrets,
            mode=FULL if full else INCREMENTAL,
            cursors={} if full else {(s, scope): v for s, scopes in state.items() for scope, v in scopes.items()},
            streams=selected,
            http_policy=settings.http,
        )
        run_id = new_run_id(ctx.started_at)
        for resource in module.source(ctx).resources.values():
            pending: dict[tuple[str, str], object] = {}
            for page in resource:
                spec = module.STREAMS[page.stream]
                good, rejected, cursor = envelope_page(name, run_id, page, spec)
                for batch in (good, rejected):
                    if batch:
                        yield batch
                note_cursor(pending, page, cursor)
            for (stream, scope), value in pending.items():
                if cursor_after(value, state.get(stream, {}).get(scope)):
                    state.setdefault(stream, {})[scope] = str(value)

    @dlt.source(schema=tables.schema(name), max_table_nesting=0)
    def source():
        return tables.envelope_resource(envelopes(), name)

    return source()


def envelope_page(source: str, run_id: str, page: Page, spec: StreamSpec) -> tuple[list[dict], list[dict], object]:
    """(enveloped records, enveloped rejects, the max cursor of the page's records)."""
    now = utc_now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    good, rejected, cursors = [], [], []
    for index, record in enumerate(page.records):
        parent = page.parents[index] if page.parents is not None else page.parent
        record_id = spec.id_of(record, parent) if isinstance(record, dict) else None
        cursor = spec.cursor_of(record) if spec.cursor_of and isinstance(record, dict) else None
        envelope = {"__source": source, "__stream": page.stream, "__ingested_at_utc": now, "__run_id": run_id}
        if isinstance(record_id, bool) or not isinstance(record_id, str | int) or record_id == "":
            digest = hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()[:32]
            why = {
                "stream": page.stream,
                "reason": f"record without a usable id ({spec.primary_key})",
                "parent": parent,
            }
            rejected.append(
                {**envelope, "__stream": REJECTED_STREAM, "__id": digest, "__parent": why, "payload": record}
            )
            continue
        good.append({**envelope, "__id": record_id, "__cursor": cursor, "__parent": parent, "payload": record})
        if cursor is not None:
            cursors.append(cursor)
    return good, rejected, max(cursors) if cursors else None


def note_cursor(pending: dict, page: Page, cursor) -> None:
    """The runner's rule: a page's checkpoint wins, else the max cursor seen for (stream, scope)."""
    key = (page.stream, page.scope)
    if page.checkpoint is not None:
        pending[key] = page.checkpoint
    elif cursor is not None and (key not in pending or cursor > pending[key]):
        pending[key] = cursor
