"""The bronze root: a local folder (the default) or an object-store URL (`s3://`, `gs://`, `az://`).

`BronzeRoot` is the one place that knows how bytes reach the root. Names are relative paths
(`jira/issues/2026/11/21/<run>-00001.jsonl.zst`); callers never do path arithmetic on the root.

| operation | local folder | S3 (and S3-compatible stores) |
|---|---|---|
| `publish(local, rel)` | `os.replace` + fsync of the folder | one PUT, multipart when large: visible whole or not at all |
| `write(rel, data)` | tmp file, fsync, `os.replace`, fsync | one PUT |
| `replace_if(rel, data, token)` | the same, after checking the token (callers hold the flock) | PUT `If-Match: <etag>` (`If-None-Match: *` for a new object) |
| `create(rel, data)` | `O_CREAT|O_EXCL` | PUT `If-None-Match: *` |
| `staging_dir(source)` | `<source>/_staging/` (a rename away from the final name) | a local temp folder |

A refused conditional write raises `Conflict`. Credentials come only from each SDK's standard
environment/profile chain; none is ever part of a root's text. gs:// and az:// roots (gcsfs,
adlfs: optional packages) are read and published through fsspec; their conditional writes are
not implemented, so a sync refuses to write them rather than risk a lost update.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import shutil
import tempfile
from pathlib import Path
from typing import IO

from pipelines.errors import ConfigError, DplError, ErrorClass

REMOTE_PACKAGES = {"s3": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs", "abfss": "adlfs"}
PRECONDITION_CODES = {"PreconditionFailed", "ConditionalRequestConflict", "412"}
STAGING = "_staging"  # <source>/_staging/ of a local root: parts being written, never read


class Conflict(Exception):
    """A conditional write was refused: the object changed (or exists) since it was read."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BronzeRoot:
    """Where bronze lives; every read and write of bronze files and ledgers goes through one of these."""

    def __init__(self, location: str | os.PathLike) -> None:
        text = os.fspath(location)
        scheme, sep, rest = text.partition("://")
        if not sep or scheme == "file":
            self.scheme = "file"
            self.local: Path | None = Path(rest if sep else text)
            self.url = str(self.local)
            self.base = ""
        else:
            self.scheme = scheme.lower()
            if self.scheme not in REMOTE_PACKAGES:
                raise ConfigError(f"DPL_BRONZE_DIR={text}: unknown scheme {scheme}:// (expected a path, s3://, gs://, az://)")
            if "@" in rest.split("/", 1)[0] and self.scheme == "s3":
                raise ConfigError("DPL_BRONZE_DIR: put no credentials in the URL; use the SDK's environment or profile")
            self.local = None
            self.base = rest.strip("/")
            if not self.base:
                raise ConfigError(f"DPL_BRONZE_DIR={text}: expected {scheme}://bucket[/prefix]")
            self.url = f"{self.scheme}://{self.base}"
        self._fs = None

    # -- naming -----------------------------------------------------------------------------------

    @property
    def is_local(self) -> bool:
        return self.local is not None

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"BronzeRoot({self.url!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BronzeRoot) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)

    def __fspath__(self) -> str:
        if self.local is None:
            raise TypeError(f"{self.url} is not a local path")
        return str(self.local)

    def uri(self, rel: str) -> str:
        """The absolute name of `rel` for a reader: a resolved local path, or `<scheme>://bucket/prefix/rel`."""
        if self.local is not None:
            return str((self.local / rel).resolve())
        return f"{self.scheme}://{self._key(rel)}"

    def local_path(self, rel: str = "") -> Path:
        """The local path of `rel` (local roots only)."""
        if self.local is None:
            raise TypeError(f"{self.url} is not a local folder")
        return self.local / rel if rel else self.local

    def _key(self, rel: str) -> str:
        return posixpath.join(self.base, rel) if rel else self.base

    @property
    def fs(self):
        """The fsspec filesystem of a remote root (created on first use; listings never cached)."""
        if self._fs is None:
            self._fs = _filesystem(self.scheme)
        return self._fs

    # -- reads ------------------------------------------------------------------------------------

    def exists(self, rel: str) -> bool:
        return self.size(rel) is not None

    def is_usable(self) -> bool:
        """Does the root exist (a folder, or a reachable bucket/prefix)? Remote roots always count."""
        return self.local.is_dir() if self.local is not None else True

    def size(self, rel: str) -> int | None:
        """Size in bytes of a file, None when absent."""
        if self.local is not None:
            path = self.local / rel
            return path.stat().st_size if path.is_file() else None
        try:
            info = self.fs.info(self._key(rel))
        except FileNotFoundError:
            return None
        return int(info["size"]) if info.get("type") == "file" else None

    def read(self, rel: str) -> bytes | None:
        """A file's bytes, None when absent."""
        return self.read_versioned(rel)[0]

    def read_versioned(self, rel: str) -> tuple[bytes | None, str | None]:
        """(bytes, version token) of a file; (None, None) when absent. The token feeds `replace_if`."""
        if self.local is not None:
            path = self.local / rel
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
                    stat = os.fstat(handle.fileno())
            except FileNotFoundError:
                return None, None
            return data, f"{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_size}"
        return self._remote_call("get", rel)

    def missing(self, rels: list[str]) -> list[str]:
        """Those of `rels` that do not exist (one listing per top folder on object storage, not one request each)."""
        if self.local is not None:
            return [rel for rel in rels if not (self.local / rel).is_file()]
        present: set[str] = set()
        for top in sorted({rel.split("/", 1)[0] for rel in rels}):
            present.update(name for name, _ in self.list_files(top))
        return [rel for rel in rels if rel not in present]

    def open(self, rel: str) -> IO[bytes]:
        """A binary reader of a file."""
        if self.local is not None:
            return open(self.local / rel, "rb")  # noqa: SIM115 - the caller closes it
        return self.fs.open(self._key(rel), "rb", block_size=8 << 20)

    def list_files(self, prefix: str) -> list[tuple[str, int]]:
        """(relative path, size) of every file under `prefix`, recursively, sorted."""
        if self.local is not None:
            folder = self.local / prefix
            if not folder.is_dir():
                return []
            return sorted(
                (p.relative_to(self.local).as_posix(), p.stat().st_size) for p in folder.rglob("*") if p.is_file()
            )
        found = self.fs.find(self._key(prefix).rstrip("/") + "/", detail=True)
        cut = len(self.base) + 1
        return sorted((name[cut:], int(info.get("size") or 0)) for name, info in found.items())

    def children(self, prefix: str = "") -> list[str]:
        """Names of the folders directly under `prefix`, sorted."""
        if self.local is not None:
            folder = self.local / prefix
            return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
        try:
            entries = self.fs.ls(self._key(prefix).rstrip("/") + "/", detail=True)
        except FileNotFoundError:
            return []
        return sorted(posixpath.basename(e["name"].rstrip("/")) for e in entries if e.get("type") == "directory")

    # -- writes -----------------------------------------------------------------------------------

    def staging_dir(self, source: str) -> Path:
        """Where a source's parts are written before they are published: `<source>/_staging/` of a local
        root (the same file system, so publishing is a rename), a local temp folder for object storage."""
        if self.local is not None:
            return self.local / source / STAGING
        return Path(tempfile.gettempdir()) / "dpl-staging" / _safe(self.url) / source

    def clear_staging(self, source: str) -> list[str]:
        """Remove what runs of `source` staged and never published (call it holding the source's lock, so
        every such file is a dead run's): its staging folder, and locally the temp files of ledger writes.
        Returns the names removed."""
        staging = self.staging_dir(source)
        leftovers = sorted(p for p in staging.rglob("*") if p.is_file()) if staging.is_dir() else []
        if self.local is not None:
            for folder in (self.local / source, self.local / source / "_manifest"):
                leftovers += sorted(folder.glob("*.tmp")) if folder.is_dir() else []
        removed = []
        for path in leftovers:
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path.name)
        shutil.rmtree(staging, ignore_errors=True)
        if self.scheme == "s3":
            removed += self._abort_uploads(source)
        return removed

    def _abort_uploads(self, source: str) -> list[str]:
        """Abort the multipart uploads of `source` a dead run started and never completed (invisible to
        readers, but stored and billed); best effort. Returns their names."""
        bucket, _, prefix = self._key(source + "/").partition("/")
        aborted = []
        with contextlib.suppress(Exception):
            answer = self.fs.call_s3("list_multipart_uploads", Bucket=bucket, Prefix=prefix)
            for upload in answer.get("Uploads") or []:
                self.fs.call_s3("abort_multipart_upload", Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
                aborted.append(f"{posixpath.basename(upload['Key'])} (unfinished upload)")
        return aborted

    def publish(self, staged: Path, rel: str) -> None:
        """Make a finished, fsynced local file the file `rel`: visible whole or not at all."""
        if self.local is not None:
            final = self.local / rel
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, final)
            _fsync_dir(final.parent)
            return
        try:
            self.fs.put_file(str(staged), self._key(rel))
        except OSError as exc:
            raise _storage_error(f"cannot upload {self.uri(rel)}", exc) from None
        with contextlib.suppress(OSError):
            staged.unlink()

    def write(self, rel: str, data: bytes) -> None:
        """Replace (or create) a small file whole and atomically."""
        if self.local is not None:
            self._write_local(rel, data)
            return
        self._remote_call("put", rel, data)

    def replace_if(self, rel: str, data: bytes, token: str | None) -> str | None:
        """Replace `rel` only if it is still the version `token` (None: only if it does not exist); else Conflict.

        Returns the new version token.
        """
        if self.local is not None:
            if self.read_versioned(rel)[1] != token:
                raise Conflict(rel)
            self._write_local(rel, data)
            return self.read_versioned(rel)[1]
        return self._remote_call("put", rel, data, token=token, conditional=True)

    def create(self, rel: str, data: bytes) -> str | None:
        """Create `rel` only if it does not exist (Conflict otherwise); its version token."""
        if self.local is not None:
            path = self.local / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                raise Conflict(rel) from None
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            return self.read_versioned(rel)[1]
        return self._remote_call("put", rel, data, token=None, conditional=True)

    def delete(self, rel: str) -> None:
        """Remove a file (absent is fine)."""
        if self.local is not None:
            with contextlib.suppress(FileNotFoundError):
                (self.local / rel).unlink()
            return
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(self._key(rel))

    def move(self, rel: str, new_rel: str) -> None:
        """Move a file to another name under the root (a copy then a delete on object storage)."""
        if self.local is not None:
            target = self.local / new_rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.local / rel, target)
            return
        self.fs.copy(self._key(rel), self._key(new_rel))
        self.fs.rm_file(self._key(rel))

    def _write_local(self, rel: str, data: bytes) -> None:
        path = self.local / rel  # type: ignore[operator]
        tmp = path.with_name(path.name + ".tmp")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(tmp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:  # a full disk, a signal: no temp file left behind
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        _fsync_dir(path.parent)

    def _remote_call(self, op: str, rel: str, data: bytes | None = None, token=None, conditional: bool = False):
        if self.scheme != "s3":
            if conditional:
                raise DplError(
                    ErrorClass.CONFIG,
                    f"{self.url}: conditional writes (lock, cursors) are implemented for s3:// only; "
                    "a sync cannot write this root safely yet",
                    advice="use an s3:// (or S3-compatible) bronze root, or a local folder",
                )
            if op == "get":
                try:
                    return self.fs.cat_file(self._key(rel)), None
                except FileNotFoundError:
                    return None, None
            self.fs.pipe_file(self._key(rel), data)
            return None
        return s3_call(self.fs, op, self._key(rel), data, token, conditional)


def s3_call(fs, op: str, key: str, data: bytes | None, token: str | None, conditional: bool):
    """GET (bytes, etag) or PUT (conditional on an ETag, or on absence) through the s3fs client."""
    from fsspec.asyn import sync

    bucket, _, name = key.partition("/")

    async def get():
        try:
            answer = await fs._call_s3("get_object", Bucket=bucket, Key=name)
        except FileNotFoundError:
            return None, None
        async with answer["Body"] as body:
            return await body.read(), answer["ETag"]

    async def put():
        extra = {}
        if conditional:
            extra = {"IfMatch": token} if token else {"IfNoneMatch": "*"}
        answer = await fs._call_s3("put_object", Bucket=bucket, Key=name, Body=data, **extra)
        return answer.get("ETag")

    if op == "get":
        return sync(fs.loop, get)
    try:
        return sync(fs.loop, put)
    except OSError as exc:
        if not conditional or not _precondition_failed(exc):
            raise
    # A retried PUT whose first attempt did land is refused too: it is ours if the object holds our bytes.
    current, etag = sync(fs.loop, get)
    if current == data:
        return etag
    raise Conflict(key)


def _precondition_failed(exc: BaseException) -> bool:
    cause = exc.__cause__
    response = getattr(cause, "response", None) or {}
    code = str((response.get("Error") or {}).get("Code", ""))
    status = str((response.get("ResponseMetadata") or {}).get("HTTPStatusCode", ""))
    return code in PRECONDITION_CODES or status in ("412", "409") or isinstance(exc, FileExistsError)


def _filesystem(scheme: str):
    """The fsspec filesystem for a scheme; a missing optional package is one CONFIG line naming it."""
    package = REMOTE_PACKAGES[scheme]
    try:
        __import__(package)
        import fsspec
    except ImportError:
        raise ConfigError(f"DPL_BRONZE_DIR uses {scheme}://, which needs the package {package}: pip install {package}")
    options: dict = {"skip_instance_cache": True, "use_listings_cache": False}
    if scheme == "s3":
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        client: dict = {}
        if region:
            client["region_name"] = region
        if endpoint:
            client["endpoint_url"] = endpoint
        options["client_kwargs"] = client
        # botocore retries 5xx, SlowDown and resets with backoff (AWS_MAX_ATTEMPTS / AWS_RETRY_MODE override);
        # s3fs's own retry loop is turned off so that the two do not multiply.
        attempts = int(os.environ.get("AWS_MAX_ATTEMPTS") or 6)
        options["config_kwargs"] = {"retries": {"max_attempts": attempts, "mode": os.environ.get("AWS_RETRY_MODE") or "standard"}}
    fs = fsspec.filesystem(scheme, **options)
    if scheme == "s3":
        fs.retries = 1
    return fs


def _storage_error(what: str, exc: BaseException) -> DplError:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return DplError(ErrorClass.STORAGE, f"{what}: {text}")


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def as_root(location) -> BronzeRoot:
    """A BronzeRoot from a root, a path or a URL."""
    return location if isinstance(location, BronzeRoot) else BronzeRoot(location)
