"""Casting routes: the assets of a shot / episode / asset, where an asset is cast, castings by group."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from foxtrack.casting import service
from foxtrack.core.context import Ctx
from foxtrack.core.http import JsonAny, pagination
from foxtrack.core.jsonutil import no_content, ok

router = APIRouter(tags=["casting"])


@router.put("/data/projects/{project_id}/entities/casting/assets/{asset_id}")
def cast_asset(payload: JsonAny, project_id: str, asset_id: str, request: Request, ctx: Ctx) -> Response:
    """Cast one asset in several entities (body: ``{entity_ids, nb_occurences, label}``)."""
    return ok(service.cast_asset(ctx, project_id, asset_id, payload))


@router.get("/data/projects/{project_id}/entities/{entity_id}/casting")
def get_casting(project_id: str, entity_id: str, ctx: Ctx) -> Response:
    """Assets cast in a shot, episode or asset, with their names and types."""
    return ok(service.get_casting(ctx, project_id, entity_id))


@router.put("/data/projects/{project_id}/entities/{entity_id}/casting")
def update_casting(payload: JsonAny, project_id: str, entity_id: str, request: Request, ctx: Ctx) -> Response:
    """Replace the casting (body: ``[{asset_id, nb_occurences, label?}]``)."""
    return ok(service.update_casting(ctx, project_id, entity_id, payload))


@router.get("/data/assets/{asset_id}/casting")
def get_asset_casting(asset_id: str, ctx: Ctx) -> Response:
    """Assets cast in an asset."""
    return ok(service.get_casting(ctx, None, asset_id))


@router.put("/data/assets/{asset_id}/casting")
def update_asset_casting(payload: JsonAny, asset_id: str, request: Request, ctx: Ctx) -> Response:
    """Replace the casting of an asset."""
    return ok(service.update_casting(ctx, None, asset_id, payload))


@router.get("/data/assets/{asset_id}/cast-in")
def cast_in(asset_id: str, ctx: Ctx) -> Response:
    """Shots and assets an asset is cast in."""
    return ok(service.cast_in(ctx, asset_id))


@router.get("/data/projects/{project_id}/sequences/all/casting")
def project_shots_casting(project_id: str, ctx: Ctx) -> Response:
    """{shot_id: casting} for every shot of the project."""
    return ok(service.shots_casting(ctx, project_id))


@router.get("/data/projects/{project_id}/sequences/{sequence_id}/casting")
def sequence_casting(project_id: str, sequence_id: str, ctx: Ctx) -> Response:
    """{shot_id: casting} for the shots of a sequence."""
    return ok(service.shots_casting(ctx, project_id, sequence_id=sequence_id))


@router.get("/data/projects/{project_id}/episodes/casting")
def episodes_casting(project_id: str, ctx: Ctx) -> Response:
    """{entity_id: casting} for the casting links of the project."""
    return ok(service.episodes_casting(ctx, project_id))


@router.get("/data/projects/{project_id}/episodes/{episode_id}/sequences/all/casting")
def episode_shots_casting(project_id: str, episode_id: str, ctx: Ctx) -> Response:
    """{shot_id: casting} for the shots of an episode."""
    return ok(service.shots_casting(ctx, project_id, episode_id=episode_id))


@router.get("/data/projects/{project_id}/asset-types/{asset_type_id}/casting")
def asset_type_casting(project_id: str, asset_type_id: str, ctx: Ctx) -> Response:
    """{asset_id: casting} for the assets of a type."""
    return ok(service.asset_type_casting(ctx, project_id, asset_type_id))


@router.get("/data/projects/{project_id}/entity-links")
def entity_links(project_id: str, request: Request, ctx: Ctx) -> Response:
    """Casting links of a project (paginated with ``page``/``limit``)."""
    page = pagination(request.query_params, ctx.state.settings.records_per_page)
    limit = page.limit if page else ctx.state.settings.records_per_page
    return ok(service.entity_links(ctx, project_id, page.page if page else None, limit))


@router.delete("/data/projects/{project_id}/entity-links/{entity_link_id}")
def delete_entity_link(project_id: str, entity_link_id: str, ctx: Ctx) -> Response:
    """Remove one casting link."""
    service.delete_entity_link(ctx, project_id, entity_link_id)
    return no_content()
