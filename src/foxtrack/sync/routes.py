"""Import routes: ``/import/kitsu/<model>`` (instance sync) and ``/import/otio/...`` (edits)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.errors import BadRequest
from foxtrack.core.filters import parse_bool
from foxtrack.core.http import JsonAny
from foxtrack.core.jsonutil import created, ok
from foxtrack.storage.uploads import received_form
from foxtrack.sync import importers, otio

router = APIRouter(tags=["import"])


def _kitsu_route(kind: str) -> None:
    def handler(payload: JsonAny, ctx: Ctx) -> Response:
        return ok(importers.import_rows(ctx, kind, payload))

    handler.__doc__ = f"Create or update {kind} serialised by another Kitsu instance (a JSON array)."
    router.add_api_route(f"/import/kitsu/{kind}", handler, methods=["POST"], name=f"import_kitsu_{kind}")


for _kind in importers.IMPORTABLE:
    _kitsu_route(_kind)


async def _import_otio(request: Request, ctx: Ctx, project_id: str, episode_id: str | None) -> Response:
    project_name = await run_in_threadpool(otio.check_target, ctx, project_id, episode_id)
    async with received_form(request, ctx.state) as form:
        upload = form.files.get("file")
        if upload is None:
            raise BadRequest("No file given.")
        convention = form.fields.get("naming_convention") or otio.DEFAULT_CONVENTION
        match_case = parse_bool(form.fields.get("match_case") or "true")
        pattern = otio.name_pattern(convention, project_name, match_case)
        # adapters are chosen by the file's extension
        edit = upload.path.with_name("edit" + Path(upload.filename or "").suffix.lower())
        upload.path.rename(edit)
        raw = await asyncio.to_thread(otio.read_cuts, edit)
    cuts = otio.parse_cuts(raw, pattern)
    return created(await run_in_threadpool(otio.import_cuts, ctx, project_id, episode_id, cuts, match_case))


@router.post("/import/otio/projects/{project_id}")
async def import_otio(project_id: str, request: Request, ctx: Ctx) -> Response:
    """Create or update the sequences and shots of an edit (multipart ``file``, ``naming_convention``,
    ``match_case``)."""
    return await _import_otio(request, ctx, project_id, None)


@router.post("/import/otio/projects/{project_id}/episodes/{episode_id}")
async def import_otio_episode(project_id: str, episode_id: str, request: Request, ctx: Ctx) -> Response:
    """Same as the project import, the sequences being those of one episode."""
    return await _import_otio(request, ctx, project_id, episode_id)
