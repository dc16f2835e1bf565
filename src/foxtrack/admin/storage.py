"""``upload-files-to-cloud-storage`` (local files to the S3 bucket) and ``download-files-from-cloud-storage``
(back). Both keep Zou's layout (``<bucket>/<prefix>/<id>``), skip what the other side already holds at the
same size (so an interrupted copy resumes where it stopped) and never remove the source."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from foxtrack.admin._progress import Progress, Silent
from foxtrack.admin.errors import AdminError
from foxtrack.config import Settings
from foxtrack.storage import LocalStorage
from foxtrack.storage.s3 import S3Storage


def local_files(root: Path, since: float | None = None) -> Iterator[tuple[str, str, str, Path]]:
    """(bucket, prefix, id, path) of every stored file under ``root`` (``<bucket>/<prefix>/<id[:3]>/<id[3:6]>/<id>``)."""
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name.endswith(".part"):
            continue
        parts = path.relative_to(root).parts
        key = parts[-1]
        if len(parts) >= 5 and parts[-3] == key[0:3] and parts[-2] == key[3:6]:
            if since is None or path.stat().st_mtime >= since:
                yield parts[0], "/".join(parts[1:-3]), key, path


def cloud(settings: Settings) -> S3Storage:
    if not settings.s3_bucket:
        raise AdminError("No bucket: set FOXTRACK_S3_BUCKET (and FOXTRACK_S3_ENDPOINT_URL, keys) or pass --bucket.")
    return S3Storage.from_settings(settings)


@contextmanager
def s3_errors(settings: Settings) -> Iterator[None]:
    """An S3 that cannot be reached, refuses the keys or has none to offer ends the command with the reason
    (botocore's own message), not a traceback."""
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        where = settings.s3_endpoint_url or "AWS S3"
        raise AdminError(f"S3 ({where}, bucket {settings.s3_bucket}): {exc}") from None


def upload_to_cloud(settings: Settings, days: int | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """Copy the local files (changed in the last ``days`` days, or all) into the bucket."""
    with s3_errors(settings):
        return _upload(settings, days, progress or Silent())


def _upload(settings: Settings, days: int | None, progress: Progress) -> dict[str, Any]:
    target = cloud(settings)
    since = time.time() - days * 86400 if days else None
    files = list(local_files(settings.files_dir, since))
    progress.start("files uploaded", len(files))
    copied = skipped = size = 0
    for bucket, prefix, key, path in files:
        there = target.stat(bucket, prefix, key)
        if there is not None and there.size == path.stat().st_size:
            skipped += 1
        else:
            size += target.save(bucket, prefix, key, path)
            copied += 1
        progress.advance()
    return {"files": len(files), "copied": copied, "already_there": skipped, "bytes": size,
            "bucket": settings.s3_bucket}


def _cloud_keys(target: S3Storage) -> Iterator[tuple[str, str, str, int]]:
    pages = target.client.get_paginator("list_objects_v2").paginate(Bucket=target._bucket())
    for page in pages:
        for item in page.get("Contents", []):
            parts = str(item["Key"]).split("/")
            if len(parts) >= 3:
                yield parts[0], "/".join(parts[1:-1]), parts[-1], int(item["Size"])


def download_from_cloud(settings: Settings, progress: Progress | None = None) -> dict[str, Any]:
    """Copy the bucket's files into the local storage (``<data dir>/files``)."""
    with s3_errors(settings):
        return _download(settings, progress or Silent())


def _download(settings: Settings, progress: Progress) -> dict[str, Any]:
    source = cloud(settings)
    local = LocalStorage(settings.files_dir)
    keys = list(_cloud_keys(source))
    progress.start("files downloaded", len(keys))
    copied = skipped = size = 0
    tmp = settings.data_dir / "tmp"
    for bucket, prefix, key, length in keys:
        there = local.stat(bucket, prefix, key)
        if there is not None and there.size == length:
            skipped += 1
        else:
            partial = tmp / f"download-{key}"
            source.fetch(bucket, prefix, key, partial)
            size += local.save(bucket, prefix, key, partial)
            partial.unlink(missing_ok=True)
            copied += 1
        progress.advance()
    return {"files": len(keys), "copied": copied, "already_there": skipped, "bytes": size,
            "bucket": settings.s3_bucket}
