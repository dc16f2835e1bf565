"""``GET data/user/tasks-to-check/filter-values``: the distinct values the caller's tasks to check
hold, to fill the filter boxes of that page without loading the task list."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from foxtrack.core.context import Ctx, RequestContext
from foxtrack.core.jsonutil import ok
from foxtrack.user.service import tasks_to_check

router = APIRouter(tags=["user"])


def filter_values(ctx: RequestContext) -> dict[str, list[str]]:
    tasks = tasks_to_check(ctx)

    def distinct(key: str) -> list[str]:
        return sorted({str(t[key]) for t in tasks if t.get(key)})

    persons: set[str] = set()
    for task in tasks:
        persons.update(task.get("assignees") or [])
    return {"project_ids": distinct("project_id"), "task_type_ids": distinct("task_type_id"),
            "task_status_ids": distinct("task_status_id"), "episode_ids": distinct("episode_id"),
            "person_ids": sorted(persons)}


@router.get("/data/user/tasks-to-check/filter-values")
def tasks_to_check_filter_values(ctx: Ctx) -> Response:
    """Projects, task types, statuses, episodes and assignees of the caller's tasks to check."""
    out: dict[str, Any] = filter_values(ctx)
    return ok(out)
