"""Concept folder routes."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from foxtrack.concepts import folders
from foxtrack.core.context import Ctx
from foxtrack.core.http import JsonBody
from foxtrack.core.jsonutil import created, no_content, ok

router = APIRouter(tags=["concepts"])


@router.get("/data/projects/{project_id}/concept-folders")
def list_folders(project_id: str, ctx: Ctx) -> Response:
    """The production's concept folders, by name."""
    return ok(folders.list_folders(ctx, project_id))


@router.post("/data/projects/{project_id}/concept-folders")
def create_folder(project_id: str, payload: JsonBody, ctx: Ctx) -> Response:
    """Make a concept folder (``name``); a folder of that name is answered as it is."""
    return created(folders.create_folder(ctx, project_id, payload))


@router.put("/data/concept-folders/{concept_folder_id}")
def rename_folder(concept_folder_id: str, payload: JsonBody, ctx: Ctx) -> Response:
    """Rename a concept folder."""
    return ok(folders.rename_folder(ctx, concept_folder_id, payload))


@router.delete("/data/concept-folders/{concept_folder_id}")
def delete_folder(concept_folder_id: str, ctx: Ctx) -> Response:
    """Remove a concept folder; its concepts go back to the production's root."""
    folders.delete_folder(ctx, concept_folder_id)
    return no_content()


@router.post("/actions/projects/{project_id}/move-concepts")
def move_concepts(project_id: str, payload: JsonBody, ctx: Ctx) -> Response:
    """Move concepts into a folder (``concept_folder_id``) or back to the root (none)."""
    return ok(folders.move_concepts(ctx, project_id, payload))
