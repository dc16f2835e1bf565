"""``/data/user/...`` and ``/actions/user/...``: the caller's own area (persons only, not bots)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.http import JsonBody
from foxtrack.core.jsonutil import created, no_content, ok
from foxtrack.entities import chats
from foxtrack.persons import account
from foxtrack.user import service

router = APIRouter(tags=["user"])


@router.get("/data/user/context")
def context(ctx: Ctx) -> Response:
    """Everything Kitsu loads at start: reference data, open projects, persons, filters."""
    return ok(service.context(ctx))


@router.get("/data/user/projects/open")
def open_projects(ctx: Ctx) -> Response:
    """Open projects whose team the caller belongs to."""
    return ok(service.open_projects(ctx))


@router.get("/data/user/tasks")
def tasks(ctx: Ctx) -> Response:
    """Tasks assigned to the caller that are not done, in open projects."""
    return ok(service.tasks_to_do(ctx))


@router.get("/data/user/done-tasks")
def done_tasks(ctx: Ctx) -> Response:
    """Done tasks assigned to the caller, in open projects."""
    return ok(service.done_tasks(ctx))


@router.get("/data/user/tasks-to-check")
def tasks_to_check(ctx: Ctx) -> Response:
    """Tasks waiting for feedback that the caller supervises."""
    return ok(service.tasks_to_check(ctx))


def _entity_routes(kind: str) -> None:
    def entity_tasks(entity_id: str, ctx: Ctx) -> Response:
        return ok(service.tasks_for_entity(ctx, entity_id))

    def entity_task_types(entity_id: str, ctx: Ctx) -> Response:
        return ok(service.task_types_for_entity(ctx, entity_id))

    entity_tasks.__doc__ = f"The caller's tasks on one of the {kind}."
    entity_task_types.__doc__ = f"Task types of the caller's tasks on one of the {kind}."
    router.add_api_route(f"/data/user/{kind}/{{entity_id}}/tasks", entity_tasks, methods=["GET"],
                         name=f"user_{kind}_tasks")
    router.add_api_route(f"/data/user/{kind}/{{entity_id}}/task-types", entity_task_types, methods=["GET"],
                         name=f"user_{kind}_task_types")


for _kind in ("assets", "shots", "scenes", "sequences"):
    _entity_routes(_kind)


@router.get("/data/user/projects/{project_id}/sequences")
def project_sequences(project_id: str, ctx: Ctx) -> Response:
    """Sequences of the project where the caller has tasks."""
    return ok(service.project_entities(ctx, project_id, "Sequence"))


@router.get("/data/user/projects/{project_id}/episodes")
def project_episodes(project_id: str, ctx: Ctx) -> Response:
    """Episodes of the project where the caller has tasks."""
    return ok(service.project_entities(ctx, project_id, "Episode"))


@router.get("/data/user/projects/{project_id}/asset-types")
def project_asset_types(project_id: str, ctx: Ctx) -> Response:
    """Asset types of the project's assets where the caller has tasks."""
    return ok(service.project_asset_types(ctx, project_id))


@router.get("/data/user/projects/{project_id}/asset-types/{asset_type_id}/assets")
def project_assets(project_id: str, asset_type_id: str, ctx: Ctx) -> Response:
    """Assets of one type where the caller has tasks."""
    return ok(service.project_assets(ctx, project_id, asset_type_id))


@router.get("/data/user/sequences/{sequence_id}/shots")
def sequence_shots(sequence_id: str, ctx: Ctx) -> Response:
    """Shots of the sequence where the caller has tasks."""
    return ok(service.sequence_children(ctx, sequence_id, "Shot"))


@router.get("/data/user/sequences/{sequence_id}/scenes")
def sequence_scenes(sequence_id: str, ctx: Ctx) -> Response:
    """Scenes of the sequence where the caller has tasks."""
    return ok(service.sequence_children(ctx, sequence_id, "Scene"))


@router.get("/data/user/notifications")
def notifications(request: Request, ctx: Ctx) -> Response:
    """The caller's notifications, newest first."""
    return ok(service.notifications(ctx, dict(request.query_params)))


@router.get("/data/user/notifications/{notification_id}")
def notification(notification_id: str, ctx: Ctx) -> Response:
    """One of the caller's notifications."""
    return ok(service.notification(ctx, notification_id))


@router.put("/data/user/notifications/{notification_id}")
def update_notification(payload: JsonBody, notification_id: str, request: Request, ctx: Ctx) -> Response:
    """Mark a notification read or unread."""
    return ok(service.update_notification(ctx, notification_id, payload))


@router.post("/actions/user/notifications/mark-all-as-read")
def mark_all_read(ctx: Ctx) -> Response:
    """Mark every notification of the caller as read."""
    return ok(service.mark_all_read(ctx))


def _filter_routes(kind: str) -> None:
    base = f"/data/user/{kind}"

    def list_(ctx: Ctx) -> Response:
        return ok(service.list_filters(ctx, kind))

    def create(payload: JsonBody, ctx: Ctx) -> Response:
        return created(service.create_filter(ctx, kind, payload))

    def update(item_id: str, payload: JsonBody, ctx: Ctx) -> Response:
        return ok(service.update_filter(ctx, kind, item_id, payload))

    def delete(item_id: str, ctx: Ctx) -> Response:
        service.delete_filter(ctx, kind, item_id)
        return no_content()

    list_.__doc__ = f"The caller's saved {kind}, by list type and project."
    create.__doc__ = f"Save one of the caller's {kind}."
    update.__doc__ = f"Update one of the caller's {kind}."
    delete.__doc__ = f"Remove one of the caller's {kind}."
    router.add_api_route(base, list_, methods=["GET"], name=f"user_{kind}")
    router.add_api_route(base, create, methods=["POST"], name=f"user_{kind}_create")
    router.add_api_route(base + "/{item_id}", update, methods=["PUT"], name=f"user_{kind}_update")
    router.add_api_route(base + "/{item_id}", delete, methods=["DELETE"], name=f"user_{kind}_delete")


for _kind in service.FILTER_TABLES:
    _filter_routes(_kind)


@router.get("/data/user/filter-groups/{item_id}")
def filter_group(item_id: str, ctx: Ctx) -> Response:
    """One of the caller's filter groups."""
    return ok(service.get_filter(ctx, "filter-groups", item_id))


@router.get("/data/user/time-spents")
def time_spents(request: Request, ctx: Ctx) -> Response:
    """The caller's time spents, optionally between start_date and end_date."""
    params = request.query_params
    return ok(service.time_spents(ctx, start=params.get("start_date"), end=params.get("end_date")))


@router.get("/data/user/time-spents/{date}")
def time_spents_by_date(date: str, ctx: Ctx) -> Response:
    """The caller's time spents of one day."""
    return ok(service.time_spents(ctx, date=date))


@router.get("/data/user/tasks/{task_id}/time-spents/{date}")
def task_time_spents(task_id: str, date: str, ctx: Ctx) -> Response:
    """The caller's time spents on one task for one day."""
    return ok(service.time_spents(ctx, date=date, task_id=task_id))


@router.get("/data/user/day-offs/{date}")
def day_off(date: str, ctx: Ctx) -> Response:
    """The caller's day off covering that date, or {}."""
    return ok(service.day_off(ctx, date))


@router.get("/data/user/tasks/{task_id}/subscribed")
def task_subscribed(task_id: str, ctx: Ctx) -> Response:
    """Whether the caller follows the task."""
    return ok(service.is_subscribed(ctx, task_id))


@router.post("/actions/user/tasks/{task_id}/subscribe")
def subscribe(task_id: str, ctx: Ctx) -> Response:
    """Follow a task (its comments notify the caller)."""
    return created(service.subscribe(ctx, task_id))


@router.delete("/actions/user/tasks/{task_id}/unsubscribe")
def unsubscribe(task_id: str, ctx: Ctx) -> Response:
    """Stop following a task."""
    service.unsubscribe(ctx, task_id)
    return no_content()


@router.get("/data/user/desktop-login-logs")
def desktop_login_logs(ctx: Ctx) -> Response:
    """The caller's desktop logins, newest first."""
    return ok(account.desktop_login_logs(ctx))


@router.post("/data/user/desktop-login-logs")
def log_desktop_login(payload: JsonBody, request: Request, ctx: Ctx) -> Response:
    """Record the start of a desktop session (body: ``date``, default now)."""
    return created(account.log_desktop_login(ctx, payload))


@router.delete("/actions/user/clear-avatar")
def clear_avatar(ctx: Ctx) -> Response:
    """Remove the caller's avatar."""
    account.clear_avatar(ctx, ctx.person_id)
    return no_content()


@router.get("/data/user/chats")
def user_chats(ctx: Ctx) -> Response:
    """Chats the caller has joined."""
    return ok(chats.user_chats(ctx))


@router.post("/actions/user/chats/{entity_id}/join")
def join_chat(entity_id: str, ctx: Ctx) -> Response:
    """Join the chat of an entity."""
    return ok(chats.join(ctx, entity_id))


@router.delete("/actions/user/chats/{entity_id}/join")
def leave_chat(entity_id: str, ctx: Ctx) -> Response:
    """Leave the chat of an entity."""
    chats.leave(ctx, entity_id)
    return no_content()
