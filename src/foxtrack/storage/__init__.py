"""File storage behind a small interface: ``save / stat / fetch / url / delete``.

Keys are Zou's: a bucket (``pictures``, ``movies``, ``files``), a prefix (``thumbnails``,
``previews``, ``original``, ``attachments``...) and an id. The local backend shards paths as Zou's
does: ``<root>/<bucket>/<prefix>/<id[0:3]>/<id[3:6]>/<id>``; the S3 backend (``storage.s3``) keeps
the same layout as object keys and serves downloads through presigned URLs.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from foxtrack.core.context import AppState

__all__ = ["LocalStorage", "Storage", "Stored", "storage_of"]


@dataclass(frozen=True)
class Stored:
    """What a download needs to know about a stored file; ``path`` is set when it is on local disk."""

    size: int
    modified: float
    path: Path | None = None


class Storage(Protocol):
    def save(self, bucket: str, prefix: str, key: str, source: Path | bytes) -> int:
        """Store ``source`` (bytes or a file); returns the stored size."""

    def stat(self, bucket: str, prefix: str, key: str) -> Stored | None:
        """Size and modification time of a stored file, or None when absent."""

    def fetch(self, bucket: str, prefix: str, key: str, target: Path) -> Path:
        """A local copy of a stored file (the file itself when already local)."""

    def url(self, bucket: str, prefix: str, key: str, content_type: str, filename: str | None,
            attachment: bool) -> str | None:
        """A URL the client can fetch the file from directly, or None to serve it ourselves."""

    def delete(self, bucket: str, prefix: str, key: str) -> None:
        """Remove a stored file (absent is fine)."""


class LocalStorage:
    """Files on the local disk under ``root``."""

    def __init__(self, root: Path):
        self.root = root

    def path(self, bucket: str, prefix: str, key: str) -> Path:
        return self.root / bucket / prefix / key[0:3] / key[3:6] / key

    def save(self, bucket: str, prefix: str, key: str, source: Path | bytes) -> int:
        target = self.path(bucket, prefix, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        if isinstance(source, bytes):
            partial.write_bytes(source)
        else:
            shutil.copyfile(source, partial)
        os.replace(partial, target)
        return target.stat().st_size

    def stat(self, bucket: str, prefix: str, key: str) -> Stored | None:
        path = self.path(bucket, prefix, key)
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return Stored(st.st_size, st.st_mtime, path)

    def fetch(self, bucket: str, prefix: str, key: str, target: Path) -> Path:
        path = self.path(bucket, prefix, key)
        if not path.is_file():
            raise FileNotFoundError(str(path))
        return path

    def url(self, bucket: str, prefix: str, key: str, content_type: str, filename: str | None,
            attachment: bool) -> str | None:
        return None

    def delete(self, bucket: str, prefix: str, key: str) -> None:
        self.path(bucket, prefix, key).unlink(missing_ok=True)

    def exists(self, bucket: str, prefix: str, key: str) -> bool:
        return self.path(bucket, prefix, key).is_file()


def make_storage(state: AppState) -> Storage:
    settings = state.settings
    if getattr(settings, "s3_bucket", None):
        from foxtrack.storage.s3 import S3Storage

        return S3Storage.from_settings(settings)
    return LocalStorage(settings.files_dir)


def storage_of(state: AppState) -> Storage:
    """The app's storage: S3 when ``FOXTRACK_S3_BUCKET`` is set, else local under ``files_dir``."""
    store = state.extras.get("storage")
    if store is None:
        store = make_storage(state)
        state.extras["storage"] = store
    return store
