"""Pending work: what a stream owes for records that earlier resources of a run read.

Some streams take their input from what the run read, not from a window of their own: Jira's
`users` fetches the accounts that issues, comments, worklogs and histories reference, and a Jira
catalog (sprints, versions, projects) is re-read early when the issues show it changed. Once the
cursors of those issues are committed, no later run reads them again; if the run dies before the
owing stream has published its work, that work would be lost for good.

So a resource notes what it owes (`add`), a later resource takes what is owed (`keys`) and marks
what it published (`resolve`), and the runner writes the changes to the source's `pending` ledger
at the end of every resource — after the resource's parts are published and **before** its cursors
are committed (`commit`). A run reads the ledger when it starts: whatever a killed or failed run
noted and did not publish is owed again. Work noted for a stream disabled in sources.yaml is not
kept (nothing would ever resolve it); for a stream enabled but not selected by this run, it is.
"""

from __future__ import annotations

import dataclasses

from pipelines.bronze.ledger import read_pending, update_pending
from pipelines.sources import SourceSettings


@dataclasses.dataclass
class PendingWork:
    """Owed work per stream: loaded from the ledger, plus what this run noted, minus what it resolved."""

    owed: dict[str, dict[str, None]] = dataclasses.field(default_factory=dict)  # stream -> ordered keys
    added: dict[str, dict[str, None]] = dataclasses.field(default_factory=dict)  # not written yet
    resolved: dict[str, set[str]] = dataclasses.field(default_factory=dict)  # not written yet

    @classmethod
    def of(cls, stored: dict[str, list[str]]) -> PendingWork:
        """The work a source's ledger says is owed (`ledger.read_pending`)."""
        return cls({stream: dict.fromkeys(keys) for stream, keys in stored.items()})

    def add(self, stream: str, key: str) -> None:
        """Note that `stream` owes `key` (kept by the next `commit`)."""
        owed = self.owed.setdefault(stream, {})
        if key not in owed:
            owed[key] = None
            self.added.setdefault(stream, {})[key] = None
            self.resolved.get(stream, set()).discard(key)

    def keys(self, stream: str) -> list[str]:
        """What `stream` owes, oldest first."""
        return list(self.owed.get(stream, ()))

    def __contains__(self, item: tuple[str, str]) -> bool:
        stream, key = item
        return key in self.owed.get(stream, ())

    def resolve(self, stream: str, keys) -> None:
        """`stream` has written `keys` (dropped from the ledger by the next `commit`, once published)."""
        owed = self.owed.get(stream, {})
        for key in keys:
            if key in owed:
                del owed[key]
                self.added.get(stream, {}).pop(key, None)
                self.resolved.setdefault(stream, set()).add(key)

    def commit(self, bronze_dir, source: str, run_id: str) -> None:
        """Write what changed since the last commit (call after publishing, before upserting cursors)."""
        added = {stream: list(keys) for stream, keys in self.added.items() if keys}
        resolved = {stream: keys for stream, keys in self.resolved.items() if keys}
        update_pending(bronze_dir, source, run_id, added, resolved)
        self.added, self.resolved = {}, {}


def load_pending(bronze_dir, source: str, settings: SourceSettings) -> PendingWork:
    """The work a source owes from earlier runs; work of streams disabled since is dropped at the next commit."""
    pending = PendingWork.of(read_pending(bronze_dir, source))
    for stream in list(pending.owed):
        if stream not in settings.streams or not settings.stream(stream).enabled:
            pending.resolve(stream, pending.keys(stream))
    return pending
