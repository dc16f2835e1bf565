"""``actions/user/tasks/(un)subscribe`` in bulk and the caller's sequence subscriptions."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.http import JsonBody
from foxtrack.core.jsonutil import created, no_content, ok
from foxtrack.user import subscriptions

router = APIRouter(tags=["user"])


@router.post("/actions/user/tasks/subscribe")
def subscribe_tasks(payload: JsonBody, ctx: Ctx) -> Response:
    """Follow several tasks (``task_ids``)."""
    return created(subscriptions.subscribe_tasks(ctx, payload))


@router.post("/actions/user/tasks/unsubscribe")
def unsubscribe_tasks(payload: JsonBody, ctx: Ctx) -> Response:
    """Stop following several tasks (``task_ids``); answers the ids."""
    return ok(subscriptions.unsubscribe_tasks(ctx, payload))


@router.get("/data/user/sequences/{sequence_id}/task-types/{task_type_id}/subscribed")
def sequence_subscribed(sequence_id: str, task_type_id: str, ctx: Ctx) -> Response:
    """Whether the caller follows the sequence's tasks of this type."""
    return ok(subscriptions.has_sequence_subscription(ctx, sequence_id, task_type_id))


@router.get("/data/user/entities/{entity_id}/task-types/{task_type_id}/subscribed")
def entity_subscribed(entity_id: str, task_type_id: str, ctx: Ctx) -> Response:
    """Whether the caller follows the entity's tasks of this type (same as for a sequence)."""
    return ok(subscriptions.has_sequence_subscription(ctx, entity_id, task_type_id))


@router.post("/actions/user/sequences/{sequence_id}/task-types/{task_type_id}/subscribe")
def subscribe_sequence(sequence_id: str, task_type_id: str, ctx: Ctx) -> Response:
    """Follow the sequence's tasks of this type."""
    return created(subscriptions.subscribe_sequence(ctx, sequence_id, task_type_id))


@router.delete("/actions/user/sequences/{sequence_id}/task-types/{task_type_id}/unsubscribe")
def unsubscribe_sequence(sequence_id: str, task_type_id: str, ctx: Ctx) -> Response:
    """Stop following the sequence's tasks of this type."""
    subscriptions.unsubscribe_sequence(ctx, sequence_id, task_type_id)
    return no_content()
