"""Breakdown routes: episodes, sequences, shots, scenes, edits, concepts, assets and asset types."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.errors import NotFound
from foxtrack.core.etag import json_with_etag
from foxtrack.core.filters import group_params, parse_bool
from foxtrack.core.http import JsonAny, JsonBody, json_body
from foxtrack.core.jsonutil import created, is_uuid, no_content, ok
from foxtrack.db import schema as s
from foxtrack.entities import chats, guess, linked, listing, reads, screens, service, stats, types
from foxtrack.entities import policies as _policies  # noqa: F401  (registers the CRUD hooks)
from foxtrack.storage.uploads import ordered_files, received_form

router = APIRouter(tags=["entities"])

E = s.entity
KINDS = {"episodes": types.EPISODE, "sequences": types.SEQUENCE, "shots": types.SHOT, "scenes": types.SCENE,
         "edits": types.EDIT, "concepts": types.CONCEPT}


def params_of(request: Request) -> dict[str, list[str]]:
    return group_params(request.query_params.multi_items())


def force_of(request: Request) -> bool:
    return parse_bool(request.query_params.get("force", "false"))


# ----------------------------------------------------------------------------- screens (before /{id})

@router.get("/data/shots/with-tasks")
def shots_with_tasks(request: Request, ctx: Ctx) -> Response:
    """Shots of a project with their tasks (Kitsu's shot list), with an ETag."""
    return json_with_etag(request, screens.shots_with_tasks(ctx, params_of(request)))


@router.get("/data/assets/with-tasks")
def assets_with_tasks(request: Request, ctx: Ctx) -> Response:
    """Assets of a project with their tasks (Kitsu's asset list), with an ETag."""
    return json_with_etag(request, screens.assets_with_tasks(ctx, params_of(request)))


@router.get("/data/sequences/with-tasks")
def sequences_with_tasks(request: Request, ctx: Ctx) -> Response:
    """Sequences of a project (or of an episode) with their tasks, with an ETag."""
    return json_with_etag(request, screens.entities_with_tasks(ctx, types.SEQUENCE, params_of(request)))


@router.get("/data/episodes/with-tasks")
def episodes_with_tasks(request: Request, ctx: Ctx) -> Response:
    """Episodes of a project with their tasks, with an ETag."""
    return json_with_etag(request, screens.entities_with_tasks(ctx, types.EPISODE, params_of(request)))


@router.get("/data/edits/with-tasks")
def edits_with_tasks(request: Request, ctx: Ctx) -> Response:
    """Edits of a project (or of an episode) with their tasks, with an ETag."""
    return json_with_etag(request, screens.edits_with_tasks(ctx, params_of(request)))


@router.get("/data/concepts/with-tasks")
def concepts_with_tasks(request: Request, ctx: Ctx) -> Response:
    """Concepts of a project with their tasks and links, with an ETag."""
    return json_with_etag(request, screens.concepts_with_tasks(ctx, params_of(request)))


@router.get("/data/projects/{project_id}/assets/shared-used")
def project_shared_assets_used(project_id: str, ctx: Ctx) -> Response:
    """Shared assets of other productions cast in this production's shots."""
    return ok(screens.shared_assets_used(ctx, project_id))


@router.get("/data/projects/{project_id}/episodes/{episode_id}/assets/shared-used")
def episode_shared_assets_used(project_id: str, episode_id: str, ctx: Ctx) -> Response:
    """Shared assets of other productions cast in the shots of an episode (``all``, ``main``: every shot)."""
    return ok(screens.shared_assets_used(ctx, project_id, episode_id))


@router.get("/data/projects/{project_id}/episodes/stats")
def episode_stats(project_id: str, ctx: Ctx) -> Response:
    """Task counts by episode, task type and status, with frames and drawings."""
    return ok(stats.episode_stats(ctx, project_id))


@router.get("/data/projects/{project_id}/episodes/retake-stats")
def episode_retake_stats(project_id: str, ctx: Ctx) -> Response:
    """Done / retake / other task counts by episode and task type, and their evolution take by take."""
    return ok(stats.episode_retake_stats(ctx, project_id))


# ----------------------------------------------------------------------------- filtered lists

@router.get("/data/shots")
@router.get("/data/shots/all")
def all_shots(request: Request, ctx: Ctx) -> Response:
    """Shots matching the filters, with project and sequence names."""
    return ok(listing.list_entities(ctx, types.SHOT, params_of(request),
                                    enrich=listing.with_project_and_sequence_names))


@router.get("/data/assets")
@router.get("/data/assets/all")
def all_assets(request: Request, ctx: Ctx) -> Response:
    """Assets matching the filters."""
    return ok(listing.list_entities(ctx, types.ASSET, params_of(request)))


@router.get("/data/scenes")
@router.get("/data/scenes/all")
def all_scenes(request: Request, ctx: Ctx) -> Response:
    """Scenes matching the filters."""
    return ok(listing.list_entities(ctx, types.SCENE, params_of(request)))


@router.get("/data/edits")
@router.get("/data/edits/all")
def all_edits(request: Request, ctx: Ctx) -> Response:
    """Edits matching the filters."""
    return ok(listing.list_entities(ctx, types.EDIT, params_of(request)))


@router.get("/data/episodes")
@router.get("/data/sequences")
@router.get("/data/concepts")
def all_of_kind(request: Request, ctx: Ctx) -> Response:
    """Episodes, sequences or concepts matching the filters."""
    kind = KINDS[request.url.path.rstrip("/").rsplit("/", 1)[-1]]
    return ok(listing.list_entities(ctx, kind, params_of(request)))


# ----------------------------------------------------------------------------- asset types

@router.get("/data/asset-types")
def asset_types(request: Request, ctx: Ctx) -> Response:
    """Every asset type (entity types that are not temporal)."""
    return ok(reads.asset_types(ctx, params_of(request)))


@router.get("/data/asset-types/{asset_type_id}")
def asset_type(asset_type_id: str, ctx: Ctx) -> Response:
    """One asset type with its task types."""
    return ok(reads.asset_type(ctx, asset_type_id))


@router.get("/data/projects/{project_id}/asset-types")
def project_asset_types(project_id: str, ctx: Ctx) -> Response:
    """Asset types that have assets in the project."""
    return ok(reads.project_asset_types(ctx, project_id))


@router.get("/data/projects/{project_id}/asset-types/{asset_type_id}/assets")
def project_assets_of_type(project_id: str, asset_type_id: str, request: Request, ctx: Ctx) -> Response:
    """Assets of one type in a project."""
    reads.check_project(ctx, project_id)
    if not is_uuid(asset_type_id):
        raise NotFound()
    return ok(listing.list_entities(ctx, types.ASSET, {}, [E.c.project_id == project_id,
                                                         E.c.entity_type_id == asset_type_id]))


@router.post("/data/projects/{project_id}/asset-types/{asset_type_id}/assets/new")
def new_asset(payload: JsonBody, project_id: str, asset_type_id: str, request: Request, ctx: Ctx) -> Response:
    """Create an asset of a type in a project."""
    return created(service.create_asset(ctx, project_id, asset_type_id, payload))


@router.get("/data/projects/{project_id}/assets")
def project_assets(project_id: str, request: Request, ctx: Ctx) -> Response:
    """Assets of a project."""
    reads.check_project(ctx, project_id)
    return ok(listing.list_entities(ctx, types.ASSET, params_of(request), [E.c.project_id == project_id]))


# ----------------------------------------------------------------------------- per project

def _project_list(kind: str) -> Any:
    def handler(project_id: str, request: Request, ctx: Ctx) -> Response:
        reads.check_project(ctx, project_id)
        return ok(listing.list_entities(ctx, kind, params_of(request), [E.c.project_id == project_id]))

    handler.__doc__ = f"{kind} entities of a project."
    return handler


def _project_create(kind: str) -> Any:
    def handler(project_id: str, payload: JsonBody, ctx: Ctx) -> Response:
        return created(service.create(ctx, project_id, kind, payload))

    handler.__doc__ = f"Create a {kind.lower()} (one of the same name under the same parent is answered instead)."
    return handler


for _path, _kind in KINDS.items():
    router.add_api_route(f"/data/projects/{{project_id}}/{_path}", _project_list(_kind), methods=["GET"],
                         name=f"project_{_path}")
    router.add_api_route(f"/data/projects/{{project_id}}/{_path}", _project_create(_kind), methods=["POST"],
                         name=f"new_project_{_path[:-1]}")


# ----------------------------------------------------------------------------- children

@router.get("/data/sequences/{sequence_id}/shots")
def sequence_shots(sequence_id: str, ctx: Ctx) -> Response:
    """Shots of a sequence, with project and sequence names."""
    reads.check_parent(ctx, sequence_id, types.SEQUENCE)
    return ok(listing.list_entities(ctx, types.SHOT, {}, [E.c.parent_id == sequence_id],
                                    enrich=listing.with_project_and_sequence_names))


@router.get("/data/sequences/{sequence_id}/scenes")
def sequence_scenes(sequence_id: str, ctx: Ctx) -> Response:
    """Scenes of a sequence."""
    reads.check_parent(ctx, sequence_id, types.SEQUENCE)
    return ok(listing.list_entities(ctx, types.SCENE, {}, [E.c.parent_id == sequence_id]))


@router.get("/data/episodes/{episode_id}/sequences")
def episode_sequences(episode_id: str, request: Request, ctx: Ctx) -> Response:
    """Sequences of an episode."""
    reads.check_parent(ctx, episode_id, types.EPISODE)
    return ok(listing.list_entities(ctx, types.SEQUENCE, params_of(request), [E.c.parent_id == episode_id]))


@router.get("/data/episodes/{episode_id}/shots")
def episode_shots(episode_id: str, request: Request, ctx: Ctx) -> Response:
    """Shots of the sequences of an episode."""
    reads.check_parent(ctx, episode_id, types.EPISODE)
    sequences = sa.select(E.c.id).where(E.c.parent_id == episode_id)
    return ok(listing.list_entities(ctx, types.SHOT, params_of(request), [E.c.parent_id.in_(sequences)]))


@router.get("/data/episodes/{episode_id}/edits")
def episode_edits(episode_id: str, ctx: Ctx) -> Response:
    """Edits of an episode."""
    reads.check_parent(ctx, episode_id, types.EPISODE)
    return ok(listing.list_entities(ctx, types.EDIT, {}, [E.c.parent_id == episode_id]))


@router.get("/data/shots/{shot_id}/assets")
@router.get("/data/assets/{shot_id}/assets")
def cast_assets(shot_id: str, ctx: Ctx) -> Response:
    """Assets cast in a shot (or in an asset)."""
    return ok(reads.cast_assets(ctx, shot_id))


@router.get("/data/shots/{shot_id}/asset-types")
def shot_asset_types(shot_id: str, ctx: Ctx) -> Response:
    """Asset types of the assets cast in a shot."""
    return ok(reads.shot_asset_types(ctx, shot_id))


def _task_types(kind: str) -> Any:
    def handler(entity_id: str, ctx: Ctx) -> Response:
        return ok(reads.task_types_of(ctx, entity_id, kind))

    handler.__doc__ = f"Task types of the tasks of a {kind.lower()}."
    return handler


def _previews(kind: str | None) -> Any:
    def handler(entity_id: str, ctx: Ctx) -> Response:
        return ok(reads.preview_files_by_task_type(ctx, entity_id, kind))

    handler.__doc__ = "Preview files of an entity, grouped by task type (newest first)."
    return handler


def _child_tasks(kind: str, child: str) -> Any:
    def handler(entity_id: str, ctx: Ctx) -> Response:
        return ok(reads.child_tasks(ctx, kind, entity_id, child))

    handler.__doc__ = f"Tasks of the {child.lower()}s of a {kind.lower()}."
    return handler


def _tasks(kind: str) -> Any:
    def handler(entity_id: str, ctx: Ctx) -> Response:
        return ok(reads.tasks_of_entity(ctx, entity_id, kind))

    handler.__doc__ = f"Tasks of a {kind.lower()}."
    return handler


def _get_one(kind: str) -> Any:
    def handler(entity_id: str, ctx: Ctx) -> Response:
        return ok(service.full_entity(ctx, entity_id, kind))

    handler.__doc__ = f"One {kind.lower()} with its project (and episode) names."
    return handler


def _remove(kind: str) -> Any:
    def handler(entity_id: str, request: Request, ctx: Ctx) -> Response:
        service.remove(ctx, entity_id, force_of(request), kind)
        return no_content()

    handler.__doc__ = f"Remove a {kind.lower()}: canceled only when it has tasks, unless force=true."
    return handler


ALL_KINDS = {**KINDS, "assets": types.ASSET}
for _path, _kind in ALL_KINDS.items():
    router.add_api_route(f"/data/{_path}/{{entity_id}}/task-types", _task_types(_kind), methods=["GET"],
                         name=f"{_path}_task_types")
    router.add_api_route(f"/data/{_path}/{{entity_id}}/preview-files", _previews(_kind), methods=["GET"],
                         name=f"{_path}_preview_files")
    if _kind not in (types.SHOT, types.ASSET):
        router.add_api_route(f"/data/{_path}/{{entity_id}}/tasks", _tasks(_kind), methods=["GET"],
                             name=f"{_path}_tasks")
router.add_api_route("/data/entities/{entity_id}/preview-files", _previews(None), methods=["GET"],
                     name="entity_preview_files")
for _path, _kind, _child in [("episodes", types.EPISODE, types.SHOT), ("episodes", types.EPISODE, types.ASSET),
                             ("episodes", types.EPISODE, types.EDIT), ("sequences", types.SEQUENCE, types.SHOT)]:
    router.add_api_route(f"/data/{_path}/{{entity_id}}/{_child.lower()}-tasks", _child_tasks(_kind, _child),
                         methods=["GET"], name=f"{_path}_{_child.lower()}_tasks")


def _versions(kind: str) -> Any:
    def handler(entity_id: str, ctx: Ctx) -> Response:
        return ok(reads.entity_versions(ctx, entity_id, kind))

    handler.__doc__ = f"Earlier versions of a {kind.lower()}'s metadata, newest first."
    return handler


for _path, _kind in (("shots", types.SHOT), ("edits", types.EDIT)):
    router.add_api_route(f"/data/{_path}/{{entity_id}}/versions", _versions(_kind), methods=["GET"],
                         name=f"{_path}_versions")


@router.get("/data/entities/{entity_id}/time-spents")
def entity_time_spents(entity_id: str, ctx: Ctx) -> Response:
    """Time spent on the tasks of an entity, newest day first."""
    return ok(reads.entity_time_spents(ctx, entity_id))


@router.get("/data/entities/{entity_id}/news")
def entity_news(entity_id: str, ctx: Ctx) -> Response:
    """News of the tasks of an entity, newest first."""
    return ok(reads.entity_news(ctx, entity_id))


# ----------------------------------------------------------------------------- one entity

@router.get("/data/shots/{shot_id}")
def get_shot(shot_id: str, ctx: Ctx) -> Response:
    """A shot with its sequence, episode, project names and tasks."""
    return ok(service.full_shot(ctx, shot_id))


@router.put("/data/shots/{shot_id}")
def update_shot(payload: JsonBody, shot_id: str, request: Request, ctx: Ctx) -> Response:
    """Update a shot (``restore_shot`` sends ``canceled: false``)."""
    return ok(service.update(ctx, shot_id, payload, types.SHOT))


@router.get("/data/assets/{asset_id}")
def get_asset(asset_id: str, ctx: Ctx) -> Response:
    """An asset with its type, project, casting episodes and tasks."""
    return ok(service.full_asset(ctx, asset_id))


for _path, _kind in ALL_KINDS.items():
    if _kind not in (types.SHOT, types.ASSET):
        router.add_api_route(f"/data/{_path}/{{entity_id}}", _get_one(_kind), methods=["GET"], name=f"get_{_path}")
    router.add_api_route(f"/data/{_path}/{{entity_id}}", _remove(_kind), methods=["DELETE"], name=f"remove_{_path}")


@router.post("/actions/projects/{project_id}/delete-entities")
def delete_entities(payload: JsonAny, project_id: str, request: Request, ctx: Ctx) -> Response:
    """Remove several entities of a project (body: a JSON array of ids)."""
    body: Any = payload
    return ok(reads.delete_many(ctx, project_id, body, force_of(request)))



# ----------------------------------------------------------------------------- links, paths, chats

@router.get("/data/entities/{entity_id}/entities-linked/with-tasks")
def entities_linked_with_tasks(entity_id: str, ctx: Ctx) -> Response:
    """Entities (concepts) linked to an entity, each with its tasks."""
    return ok(linked.linked_with_tasks(ctx, entity_id))


@router.post("/data/entities/guess-from-path")
@router.post("/data/entities/guess_from_path")
def guess_from_path(payload: JsonBody, request: Request, ctx: Ctx) -> Response:
    """The file-tree templates a path fits (body: project_id, file_path, sep)."""
    return ok(guess.guess_from_path(ctx, payload))


@router.get("/data/entities/{entity_id}/chat")
def entity_chat(entity_id: str, ctx: Ctx) -> Response:
    """The chat of an entity (created on first use) with its participants."""
    return ok(chats.chat(ctx, entity_id))


@router.get("/data/entities/{entity_id}/chat/messages")
def entity_chat_messages(entity_id: str, ctx: Ctx) -> Response:
    """Messages of an entity's chat, oldest first."""
    return ok(chats.messages(ctx, entity_id))


@router.post("/data/entities/{entity_id}/chat/messages")
async def post_chat_message(entity_id: str, request: Request, ctx: Ctx) -> Response:
    """Post a message in an entity's chat (JSON ``message``, or multipart with attachment files)."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async with received_form(request, ctx.state) as form:
            return created(await run_in_threadpool(chats.post_message, ctx, entity_id, form.fields.get("message"),
                                                   ordered_files(form)))
    message = (await json_body(request)).get("message")
    return created(await run_in_threadpool(chats.post_message, ctx, entity_id, message))


@router.get("/data/entities/{entity_id}/chat/messages/{message_id}")
def chat_message(entity_id: str, message_id: str, ctx: Ctx) -> Response:
    """One message of an entity's chat."""
    return ok(chats.message(ctx, entity_id, message_id))


@router.delete("/data/entities/{entity_id}/chat/messages/{message_id}")
def delete_chat_message(entity_id: str, message_id: str, ctx: Ctx) -> Response:
    """Remove a message of an entity's chat (its author or an admin)."""
    chats.delete_message(ctx, entity_id, message_id)
    return no_content()
