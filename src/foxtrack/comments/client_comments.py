"""Passing the clients' word on to the artists: a production manager copies the last comment a client
wrote on each chosen task into a comment of their own (artists do not see client comments), with an
optional prefix. The task keeps its status; a task with no client comment is skipped."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from foxtrack.comments import service as comments
from foxtrack.comments.service import CommentInput
from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext, Tx
from foxtrack.core.errors import validation_error
from foxtrack.core.jsonutil import is_uuid
from foxtrack.db import schema as s
from foxtrack.projects.service import check_id, load_project

Row = dict[str, Any]


def _body(body: Any) -> tuple[list[str], str]:
    if not isinstance(body, dict):
        raise validation_error({"task_ids": "Field required"}, "Validation error.")
    task_ids, prefix = body.get("task_ids"), body.get("prefix", "")
    if not isinstance(task_ids, list) or not task_ids:
        raise validation_error({"task_ids": "List should have at least 1 item"}, "Validation error.")
    if not all(isinstance(task_id, str) and is_uuid(task_id.lower()) for task_id in task_ids):
        raise validation_error({"task_ids": "Input should be a valid UUID"}, "Validation error.")
    if prefix is None:
        prefix = ""
    if not isinstance(prefix, str):
        raise validation_error({"prefix": "Input should be a valid string"}, "Validation error.")
    return sorted({task_id.lower() for task_id in task_ids}), prefix


def last_client_comments(tx: Tx, project_id: str, task_ids: list[str]) -> list[Row]:
    """The newest comment of a client of the production (its team role, else the studio role) on
    each task of the production among ``task_ids``, by task id."""
    c, t, p, link = s.comment, s.task, s.person, s.project_person_link
    rows = tx.execute(
        sa.select(c.c.object_id, c.c.text, t.c.task_status_id)
        .join(t, t.c.id == c.c.object_id)
        .join(p, p.c.id == c.c.person_id)
        .outerjoin(link, sa.and_(link.c.person_id == p.c.id, link.c.project_id == t.c.project_id))
        .where(t.c.project_id == project_id, c.c.object_id.in_(task_ids),
               sa.func.coalesce(link.c.role, p.c.role) == "client")
        .order_by(c.c.object_id, c.c.created_at.desc())
    )
    newest: dict[str, Row] = {}
    for task_id, text, task_status_id in rows:
        newest.setdefault(task_id, {"task_id": task_id, "text": text or "", "task_status_id": task_status_id})
    return list(newest.values())


def copy_last_client_comments(ctx: RequestContext, project_id: str, body: Any) -> list[Row]:
    """``{"task_ids": [...], "prefix": ""}``: the new comments, one per task with a client comment."""
    task_ids, prefix = _body(body)
    check_id(project_id)
    with ctx.write() as tx:
        load_project(tx.conn, project_id)
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        out = []
        for found in last_client_comments(tx, project_id, task_ids):
            text = f"{prefix}\n\n{found['text']}" if prefix else found["text"]
            out.append(comments.post_comment(ctx, tx, found["task_id"],
                                             CommentInput(task_status_id=found["task_status_id"], text=text)))
        return out
