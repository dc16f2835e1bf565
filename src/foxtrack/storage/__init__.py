"""File storage behind a tiny interface: ``save / open / path / delete / exists``.

Keys are Zou's: a bucket (``pictures``, ``movies``, ``files``), a prefix (``thumbnails``,
``previews``, ``original``, ``attachments``...) and an id. The local backend shards paths as Zou's
does: ``<root>/<bucket>/<prefix>/<id[0:3]>/<id[3:6]>/<id>``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import BinaryIO, Protocol

from foxtrack.core.context import AppState

__all__ = ["LocalStorage", "Storage", "storage_of"]


class Storage(Protocol):
    def save(self, bucket: str, prefix: str, key: str, source: Path | bytes) -> int: ...

    def open(self, bucket: str, prefix: str, key: str) -> BinaryIO: ...

    def path(self, bucket: str, prefix: str, key: str) -> Path: ...

    def delete(self, bucket: str, prefix: str, key: str) -> None: ...

    def exists(self, bucket: str, prefix: str, key: str) -> bool: ...


class LocalStorage:
    """Files on the local disk under ``root``."""

    def __init__(self, root: Path):
        self.root = root

    def path(self, bucket: str, prefix: str, key: str) -> Path:
        return self.root / bucket / prefix / key[0:3] / key[3:6] / key

    def save(self, bucket: str, prefix: str, key: str, source: Path | bytes) -> int:
        """Store ``source`` (bytes, or a file moved into place); returns the stored size."""
        target = self.path(bucket, prefix, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        if isinstance(source, bytes):
            partial.write_bytes(source)
        else:
            shutil.copyfile(source, partial)
        os.replace(partial, target)
        return target.stat().st_size

    def open(self, bucket: str, prefix: str, key: str) -> BinaryIO:
        return self.path(bucket, prefix, key).open("rb")

    def delete(self, bucket: str, prefix: str, key: str) -> None:
        self.path(bucket, prefix, key).unlink(missing_ok=True)

    def exists(self, bucket: str, prefix: str, key: str) -> bool:
        return self.path(bucket, prefix, key).is_file()


def storage_of(state: AppState) -> Storage:
    """The app's storage (local under ``settings.files_dir`` unless one was installed)."""
    store = state.extras.get("storage")
    if store is None:
        store = LocalStorage(state.settings.files_dir)
        state.extras["storage"] = store
    return store
