"""Answer a download from storage: a redirect to a presigned URL (S3), or the local file with HTTP
Range, ``ETag`` / ``Last-Modified`` and conditional GET (304), as Zou's ``send_file(conditional=True)``."""

from __future__ import annotations

import asyncio
import hashlib
import os
import stat as stat_module
from email.utils import formatdate, parsedate_to_datetime
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from foxtrack.core.errors import ApiError, NotFound
from foxtrack.storage import Storage, Stored

CACHE_CONTROL = "max-age=604800, private"
MIME = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "mp4": "video/mp4",
        "mov": "video/quicktime", "webm": "video/webm", "avi": "video/x-msvideo", "mkv": "video/x-matroska",
        "m4v": "video/x-m4v", "wmv": "video/x-ms-wmv", "pdf": "application/pdf", "wav": "audio/wav",
        "zip": "application/zip", "glb": "model/gltf-binary"}


def mime_of(extension: str) -> str:
    return MIME.get(extension.lower(), "application/octet-stream")


def _etag(stored: Stored) -> str:
    base = f"{stored.modified}-{stored.size}"
    return '"' + hashlib.md5(base.encode(), usedforsecurity=False).hexdigest() + '"'


def _not_modified(request: Request, etag: str, modified: float) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return etag in tags or "*" in tags
    since = request.headers.get("if-modified-since")
    if since:
        try:
            return int(modified) <= int(parsedate_to_datetime(since).timestamp())
        except (TypeError, ValueError):
            return False
    return False


def _range_ok(header: str | None, size: int) -> bool:
    """False when every range of a well-formed ``bytes=`` header starts past the end of the file."""
    if not header or not header.startswith("bytes="):
        return True
    for part in header[6:].split(","):
        start = part.strip().split("-", 1)[0]
        if not start or (start.isdigit() and int(start) < size):
            return True
    return False


async def serve(request: Request, store: Storage, bucket: str, prefix: str, key: str, media_type: str,
                filename: str | None = None, attachment: bool = False) -> Response:
    """The stored file ``bucket/prefix/key`` as a download (404 when absent)."""
    stored = await asyncio.to_thread(store.stat, bucket, prefix, key)
    if stored is None:
        raise NotFound()
    if stored.path is None:
        url = await asyncio.to_thread(store.url, bucket, prefix, key, media_type, filename, attachment)
        if url is None:
            raise NotFound()
        return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})
    etag = _etag(stored)
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag,
               "Last-Modified": formatdate(stored.modified, usegmt=True), "Accept-Ranges": "bytes"}
    if _not_modified(request, etag, stored.modified):
        return Response(status_code=304, headers=headers)
    if not _range_ok(request.headers.get("range"), stored.size):
        raise ApiError("The server cannot provide the requested range.", status=416)
    disposition = "attachment" if attachment else "inline"
    if filename:
        quoted = quote(filename)
        headers["Content-Disposition"] = (f"{disposition}; filename*=utf-8''{quoted}" if quoted != filename
                                          else f"{disposition}; filename={filename}")
    else:
        headers["Content-Disposition"] = f'{disposition}; filename=""'
    result = os.stat_result((stat_module.S_IFREG | 0o644, 0, 0, 1, 0, 0, stored.size, int(stored.modified),
                             int(stored.modified), int(stored.modified)))
    return FileResponse(stored.path, media_type=media_type, headers=headers, stat_result=result)
