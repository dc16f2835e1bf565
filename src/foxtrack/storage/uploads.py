"""Multipart uploads: parse the form, spool each file part to a temporary file on disk."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.requests import Request

from foxtrack.core.context import AppState
from foxtrack.core.errors import ApiError, BadRequest


@dataclass
class Upload:
    """A file received with a request, already written to disk."""

    filename: str
    path: Path
    size: int
    content_type: str | None = None


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)


def _copy(source: UploadFile, target: Path) -> int:
    source.file.seek(0)
    with target.open("wb") as out:
        shutil.copyfileobj(source.file, out, 1024 * 1024)
    return target.stat().st_size


@asynccontextmanager
async def received_form(request: Request, state: AppState) -> AsyncIterator[Form]:
    """The request's multipart form with files spooled under the data dir; removed afterwards. The
    body's size is bounded while it streams in (``core.limits.BodyLimit``: 413)."""
    try:
        form = await request.form(max_files=1000, max_fields=1000)
    except ApiError:
        raise
    except Exception as exc:
        raise BadRequest("Malformed multipart body.") from exc
    tmp_root = state.settings.data_dir / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(dir=tmp_root))
    out = Form()
    try:
        for i, (key, value) in enumerate(form.multi_items()):
            if isinstance(value, UploadFile):
                target = workdir / f"{i}"
                size = await asyncio.to_thread(_copy, value, target)
                out.files[key] = Upload(value.filename or key, target, size, value.content_type)
            else:
                out.fields[key] = value
        yield out
    finally:
        await form.close()
        shutil.rmtree(workdir, ignore_errors=True)


def ordered_files(form: Form) -> list[Upload]:
    """Files in part order as Zou stores them: ``file`` first, then ``file-1..file-N``."""
    numbered = sorted((k for k in form.files if k.startswith("file-") and k[5:].isdigit()), key=lambda k: int(k[5:]))
    keys = (["file"] if "file" in form.files else []) + numbered
    keys += [k for k in form.files if k not in keys]
    return [form.files[k] for k in keys]
