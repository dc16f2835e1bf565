"""``GET /data/entities/<id>/entities-linked/with-tasks``: the entities (concepts) linked to an
entity through ``entity_concept_link``, each with its tasks, in Zou's compact shape."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import NotFound
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import ENTITY, TASK
from foxtrack.db import schema as s
from foxtrack.entities import types

Row = dict[str, Any]

ENTITY_KEYS = ("canceled", "data", "description", "entity_type_id", "fps", "frame_in", "frame_out", "id", "name",
               "nb_frames", "parent_id", "preview_file_id", "project_id", "project_name", "source_id",
               "nb_entities_out", "is_casting_standby", "tasks", "entity_concept_links", "type", "updated_at",
               "created_at", "created_by")
TASK_KEYS = ("id", "duration", "due_date", "end_date", "entity_id", "estimation", "last_comment_date",
             "nb_assets_ready", "priority", "real_start_date", "retake_count", "start_date", "task_status_id",
             "task_type_id", "assigner_id", "assignees")


def _tasks_by_entity(conn: Any, entity_ids: list[str]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {i: [] for i in entity_ids}
    if not entity_ids:
        return out
    t = s.task.c
    tasks = TASK.to_dicts(conn.execute(TASK.select().where(t.entity_id.in_(entity_ids)).order_by(t.created_at)))
    TASK.add_relations(conn, tasks)
    for task in tasks:
        task["duration"] = float(task["duration"] or 0)
        task["estimation"] = float(task["estimation"] or 0)
        out[task["entity_id"]].append({k: task.get(k) for k in TASK_KEYS})
    return out


def linked_with_tasks(ctx: RequestContext, entity_id: str) -> list[Row]:
    link = s.entity_concept_link
    with ctx.read() as conn:
        entity = ENTITY.get(conn, entity_id) if is_uuid(entity_id) else None
        if entity is None:
            raise NotFound()
        perm.check_project_access(ctx, conn, entity["project_id"])
        linked_ids = sa.select(link.c.entity_in_id).where(link.c.entity_out_id == entity_id)
        e = s.entity.c
        rows = ENTITY.to_dicts(conn.execute(ENTITY.select().where(e.id.in_(linked_ids)).order_by(e.name, e.id)))
        ids = [r["id"] for r in rows]
        links: dict[str, list[str]] = {i: [] for i in ids}
        if ids:
            for left, right in conn.execute(sa.select(link.c.entity_in_id, link.c.entity_out_id)
                                            .where(link.c.entity_in_id.in_(ids))):
                links[left].append(right)
        tasks = _tasks_by_entity(conn, ids)
        project_name = conn.execute(sa.select(s.project.c.name).where(s.project.c.id == entity["project_id"])).scalar()
        out = []
        for r in rows:
            data = r.get("data") or {}
            r.update(fps=data.get("fps"), frame_in=data.get("frame_in"), frame_out=data.get("frame_out"),
                     project_name=project_name, tasks=tasks[r["id"]], entity_concept_links=links[r["id"]],
                     type=types.json_type(ctx.state, conn, r["entity_type_id"]))
            out.append({k: r.get(k) for k in ENTITY_KEYS})
        return out
