"""One run per source at a time: an flock on bronze/<source>/.lock, released when the process ends."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from pipelines.errors import DplError, ErrorClass


class SourceLock:
    """Context manager holding the source's lock; a second holder gets a LOCKED error at once."""

    def __init__(self, bronze_dir: Path, source: str) -> None:
        self.source = source
        self.path = Path(bronze_dir) / source / ".lock"
        self._fd: int | None = None

    def __enter__(self) -> SourceLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise DplError(ErrorClass.STORAGE, f"cannot create {self.path}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown process"
            os.close(fd)
            raise DplError(ErrorClass.LOCKED, f"{self.source}: another sync is already running ({holder})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, since {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}".encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
