"""One run per source at a time.

A local root: an flock on `<source>/.lock`, released when the process ends (even by SIGKILL).
An object store: the object `<source>/.lock`, created with a conditional create (S3 `If-None-Match: *`)
and holding its owner (host, pid, run id) and a lease expiry that a background thread renews
(a conditional replace on the version it wrote). A second run exits LOCKED naming the holder; a
lock whose lease expired (its holder crashed) is taken over with a warning. A holder whose renewal
is refused has lost the lock: the conditional cursor write then refuses its cursors too.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import socket
import threading
import time

from pipelines.bronze.settings import BronzeSettings
from pipelines.bronze.storage import Conflict, as_root
from pipelines.errors import DplError, ErrorClass

log = logging.getLogger("pipelines.bronze")


class SourceLock:
    """Context manager holding the source's lock; a second holder gets a LOCKED error at once."""

    def __init__(self, bronze_dir, source: str, lease_s: int | None = None, run_id: str | None = None) -> None:
        self.root = as_root(bronze_dir)
        self.source = source
        self.rel = f"{source}/.lock"
        self.lease_s = lease_s or BronzeSettings.lock_lease_s
        self.run_id = run_id or "-"
        self.lost = False
        self._fd: int | None = None
        self._token: str | None = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def __enter__(self) -> SourceLock:
        if self.root.is_local:
            self._flock()
        else:
            self._acquire_object()
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        if self._renewer is not None:
            self._stop.set()
            self._renewer.join()
            self._renewer = None
            self._release_object()

    # -- a local folder: flock ----------------------------------------------------------------------

    def _flock(self) -> None:
        path = self.root.local_path(self.rel)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise DplError(ErrorClass.STORAGE, f"cannot create {path}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown process"
            os.close(fd)
            raise DplError(ErrorClass.LOCKED, f"{self.source}: another sync is already running ({holder})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, since {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}".encode(), 0)
        self._fd = fd

    # -- an object store: conditional create with a lease -------------------------------------------

    def _body(self, since: str) -> bytes:
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.lease_s)
        owner = {"host": socket.gethostname(), "pid": os.getpid(), "run_id": self.run_id, "since": since}
        return json.dumps({**owner, "expires": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}).encode()

    def _acquire_object(self) -> None:
        self._since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        try:
            self._token = self._storage(self.root.create, self.rel, self._body(self._since))
        except Conflict:
            self._take_over_if_expired()
        self._renewer = threading.Thread(target=self._renew, name=f"lock-{self.source}", daemon=True)
        self._renewer.start()

    def _take_over_if_expired(self) -> None:
        data, token = self._storage(self.root.read_versioned, self.rel)
        holder = _holder(data)
        if data is not None and holder.get("expires", "") > _now_text():
            raise DplError(ErrorClass.LOCKED, f"{self.source}: another sync is already running ({describe(holder)})")
        try:
            if data is None:
                self._token = self._storage(self.root.create, self.rel, self._body(self._since))
            else:
                self._token = self._storage(self.root.replace_if, self.rel, self._body(self._since), token)
        except Conflict:
            raise DplError(ErrorClass.LOCKED, f"{self.source}: another sync took the lock at the same moment") from None
        if data is not None:
            log.warning("%s: took over the lock of %s: its lease had expired", self.source, describe(holder))

    def _renew(self) -> None:
        while not self._stop.wait(self.lease_s / 3):
            try:
                self._token = self.root.replace_if(self.rel, self._body(self._since), self._token)
            except Conflict:
                self.lost = True
                log.error("%s: the lock was taken over by another run (lease not renewed in time)", self.source)
                return
            except (OSError, DplError) as exc:
                log.warning("%s: lock lease not renewed (will retry): %s", self.source, exc)

    def _release_object(self) -> None:
        if self.lost:
            return
        try:
            _, token = self.root.read_versioned(self.rel)
            if token == self._token:
                self.root.delete(self.rel)
        except OSError as exc:
            log.warning("%s: lock not released (it expires by itself): %s", self.source, exc)

    def _storage(self, operation, *args):
        try:
            return operation(*args)
        except OSError as exc:
            raise DplError(ErrorClass.STORAGE, f"cannot lock {self.root.uri(self.rel)}: {exc.strerror or exc}") from None


def _holder(data: bytes | None) -> dict:
    try:
        holder = json.loads(data or b"{}")
    except ValueError:
        return {}
    return holder if isinstance(holder, dict) else {}


def describe(holder: dict) -> str:
    """`host h, pid p, run r, since s, lease until e` of a lock object's owner."""
    parts = [f"{key} {holder[key]}" for key in ("host", "pid", "run_id", "since") if holder.get(key)]
    if holder.get("expires"):
        parts.append(f"lease until {holder['expires']}")
    return ", ".join(parts).replace("run_id", "run") or "unknown holder"


def _now_text() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
