"""Annotated frames of a preview (managers of its production): ``extract-annotated-frame`` (one PNG),
``extract-annotated-frames`` (a zip of every annotated frame) and ``extract-annotated-frames-pdf``."""

from __future__ import annotations

import asyncio
import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from PIL import Image
from starlette.responses import Response

from foxtrack.core import permissions as perm
from foxtrack.core.context import Ctx, RequestContext
from foxtrack.core.errors import BadRequest, NotFound
from foxtrack.core.jsonutil import JSON
from foxtrack.core.models import MODELS, TASK
from foxtrack.previews import actions
from foxtrack.previews import annotations as drawing
from foxtrack.previews.service import download_name
from foxtrack.storage import storage_of
from foxtrack.tasks import queries as tq

router = APIRouter(tags=["previews"])
Row = dict[str, Any]
PICTURES = ("jpg", "jpeg", "jpe", "png")
NO_BINARY = {"error": "preview file binary is not available"}


class NoBinary(Exception):
    """The preview's file is not stored here."""


def _preview(ctx: RequestContext, preview_id: str) -> Row:
    with ctx.read() as conn:
        preview = tq.load(conn, MODELS["preview-files"], preview_id)
        task = TASK.get(conn, preview["task_id"]) if preview.get("task_id") else None
        if task is None:
            raise NotFound()
        perm.check_manager_project_access(ctx, conn, task["project_id"])
    return preview


def _annotations(preview: Row) -> list[Row]:
    found = preview.get("annotations")
    return [a for a in found if isinstance(a, dict)] if isinstance(found, list) else []


def _picture(ctx: RequestContext, preview: Row) -> bytes:
    store = storage_of(ctx.state)
    with tempfile.TemporaryDirectory(dir=actions._tmp(ctx)) as workdir:
        for prefix in ("original", "previews"):
            if store.stat("pictures", prefix, preview["id"]) is not None:
                return store.fetch("pictures", prefix, preview["id"], Path(workdir) / "picture").read_bytes()
    raise NoBinary()


def _movie_frame(ctx: RequestContext, preview: Row, frame: int, fps: float) -> bytes:
    try:
        return actions.extract_frame(ctx, preview, frame - 1, fps)
    except NotFound as exc:
        raise NoBinary() from exc


def _frames(ctx: RequestContext, preview: Row, frame: int | None = None) -> list[tuple[int, bytes]]:
    """(frame number, annotated PNG) of one frame (``frame``) or of every annotated frame."""
    notes = _annotations(preview)
    extension = (preview.get("extension") or "").lower()
    if extension == "mp4":
        fps = actions.project_fps(ctx, preview)
        timed = []
        for note in notes:
            moment = note.get("time")
            if not isinstance(moment, (int, float, str)) or isinstance(moment, bool):
                continue
            try:
                timed.append((max(1, round(float(moment) * fps) + 1), note))
            except ValueError:
                continue
        if frame is not None:
            timed = [(n, note) for n, note in timed if n == frame][:1]
            if not timed:
                raise BadRequest(f"No annotation found for frame {frame}")
        if not timed:
            raise BadRequest("Preview file has no annotations")
        return [(n, drawing.render(_movie_frame(ctx, preview, n, fps), note)) for n, note in timed]
    if extension in PICTURES:
        if not notes:
            raise BadRequest("No annotation found on picture preview")
        picture = _picture(ctx, preview)
        chosen = notes[:1] if frame is not None else notes
        return [(i, drawing.render(picture, note)) for i, note in enumerate(chosen, start=1)]
    raise BadRequest(f"Cannot extract annotated frames from preview with extension {extension!r}")


def _zip(frames: list[tuple[int, bytes]], base: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, png in frames:
            archive.writestr(f"{base}_frame_{number}.png", png)
    return out.getvalue()


def _pdf(frames: list[tuple[int, bytes]]) -> bytes:
    pages = [Image.open(io.BytesIO(png)).convert("RGB") for _, png in frames]
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=150.0)
    return out.getvalue()


def _frame_param(request: Request) -> int | None:
    raw = request.query_params.get("frame_number")
    if raw in (None, ""):
        return None
    number = actions.frame_number(raw)
    if number < 1:
        raise BadRequest("frame_number must be positive")
    return number


@router.get("/actions/preview-files/{preview_id}/extract-annotated-frame")
async def annotated_frame(preview_id: str, request: Request, ctx: Ctx) -> Response:
    """One frame with its annotation drawn over it, as PNG (``frame_number`` for movies)."""
    number = _frame_param(request)
    preview = await asyncio.to_thread(_preview, ctx, preview_id)
    if preview.get("extension") == "mp4" and number is None:
        raise BadRequest("frame_number is required for movie previews")
    try:
        [(found, png)] = await asyncio.to_thread(_frames, ctx, preview, number or 1)
    except NoBinary:
        return JSON(NO_BINARY, status_code=404)
    return Response(png, media_type="image/png",
                    headers={"Content-Disposition": f"inline; filename={preview_id}-{found}.png"})


async def _bundle(ctx: RequestContext, preview_id: str, kind: str) -> Response:
    preview = await asyncio.to_thread(_preview, ctx, preview_id)
    try:
        frames = await asyncio.to_thread(_frames, ctx, preview)
    except NoBinary:
        return JSON(NO_BINARY, status_code=404)
    base = (await asyncio.to_thread(download_name, ctx, preview, "x")).rsplit(".", 1)[0]
    body = await asyncio.to_thread(_zip, frames, base) if kind == "zip" else await asyncio.to_thread(_pdf, frames)
    media = "application/zip" if kind == "zip" else "application/pdf"
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f"attachment; filename={base}_annotated_frames.{kind}"})


@router.get("/actions/preview-files/{preview_id}/extract-annotated-frames")
async def annotated_frames(preview_id: str, ctx: Ctx) -> Response:
    """Every annotated frame of the preview, drawn over, in a zip."""
    return await _bundle(ctx, preview_id, "zip")


@router.get("/actions/preview-files/{preview_id}/extract-annotated-frames-pdf")
async def annotated_frames_pdf(preview_id: str, ctx: Ctx) -> Response:
    """Every annotated frame of the preview, drawn over, one page each of a PDF."""
    return await _bundle(ctx, preview_id, "pdf")
