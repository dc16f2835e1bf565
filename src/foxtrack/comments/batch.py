"""Several comments in one request (``batch-comment``, ``comment-many``) and moving a comment to
another task of the same entity.

A batch is all or nothing: the files are checked (pictures turned into their variants) before the
transaction opens, then every comment, attachment and preview is written in one transaction."""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from foxtrack import jobs
from foxtrack.comments import service as comments
from foxtrack.comments.service import ZOU_NOT_FOUND, CommentInput
from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import BadRequest, Forbidden, NotFound, validation_error
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import COMMENT, TASK
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.previews import service as preview_service
from foxtrack.storage.uploads import Upload
from foxtrack.tasks import queries as tq

Row = dict[str, Any]
FILE_PART = re.compile(r"^(attachment_file|preview_file)-(\d+)-(\d+)$")


@dataclass
class BatchItem:
    task_id: str
    data: CommentInput
    previews: list[Upload] = field(default_factory=list)
    prepared: list[preview_service.PreparedFile] = field(default_factory=list)


def parse_comments(raw: Any) -> list[Row]:
    """The ``comments`` array (a JSON text in a multipart part, or already decoded)."""
    if raw is None:
        raise BadRequest("Missing required parameter: comments")
    if isinstance(raw, (str, bytes)):
        try:
            raw = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise BadRequest("comments must be a JSON array.") from exc
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise BadRequest("comments must be a JSON array of objects.")
    return raw


def _items(raw: list[Row], files: dict[str, Upload], task_id: str | None) -> list[BatchItem]:
    items = []
    for index, entry in enumerate(raw):
        target = task_id or entry.get("object_id") or entry.get("task_id")
        if not target:
            raise validation_error({f"comments[{index}].task_id": "Field required"}, "Validation error.")
        text = entry.get("text") if entry.get("text") is not None else entry.get("comment")
        if text is not None and not isinstance(text, str):
            raise validation_error({f"comments[{index}].text": "Input should be a valid string"},
                                   "Validation error.")
        if not entry.get("task_status_id"):
            raise validation_error({f"comments[{index}].task_status_id": "Field required"}, "Validation error.")
        data = CommentInput(task_status_id=entry.get("task_status_id"), text=text or "",
                            checklist=entry.get("checklist"), links=entry.get("links"),
                            person_id=entry.get("person_id"), created_at=entry.get("created_at"),
                            for_client=bool(entry.get("for_client")))
        items.append(BatchItem(str(target), data))
    attached: dict[tuple[str, int], list[tuple[int, Upload]]] = {}
    for name, upload in files.items():
        match = FILE_PART.match(name)
        if match is None:
            raise BadRequest(f"Unexpected file part: {name}")
        kind, index, position = match.group(1), int(match.group(2)), int(match.group(3))
        if index >= len(items):
            raise BadRequest(f"{name} refers to no comment (there are {len(items)}).")
        attached.setdefault((kind, index), []).append((position, upload))
    for (kind, index), uploads in attached.items():
        ordered = [upload for _, upload in sorted(uploads, key=lambda pair: pair[0])]
        if kind == "attachment_file":
            items[index].data.files = ordered
        else:
            items[index].previews = ordered
    return items


async def batch_comments(ctx: RequestContext, raw: list[Row], files: dict[str, Upload], task_id: str | None = None,
                         project_id: str | None = None) -> list[Row]:
    """Post every comment of ``raw`` (with its attachments and previews) in one transaction."""
    if task_id is not None and not is_uuid(task_id):
        raise NotFound(ZOU_NOT_FOUND)
    items = _items(raw, files, task_id)
    tmp_root = ctx.state.settings.data_dir / "tmp"
    tmp_root.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="batch-", dir=tmp_root))
    try:
        for i, item in enumerate(items):
            for j, upload in enumerate(item.previews):
                item.prepared.append(await preview_service.prepare_file(ctx.state, upload,
                                                                          workdir / f"{i}-{j}"))
        out, queued = await asyncio.to_thread(_write, ctx, items, project_id)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if queued:
        jobs.notify(ctx.state)
    return out


def _write(ctx: RequestContext, items: list[BatchItem], project_id: str | None) -> tuple[list[Row], bool]:
    queued = False
    with ctx.write() as tx:
        if project_id is not None:
            tq.load(tx.conn, tq.PROJECT, project_id)
            perm.check_project_access(ctx, tx.conn, project_id)
        ids = []
        for item in items:
            if project_id is not None and is_uuid(item.task_id):
                task_project = tx.execute(sa.select(s.task.c.project_id).where(s.task.c.id == item.task_id)).scalar()
                if task_project is not None and task_project != project_id:
                    raise BadRequest(f"Task {item.task_id} is not a task of project {project_id}.")
            comment = comments.post_comment(ctx, tx, item.task_id, item.data)
            ids.append(comment["id"])
            if item.prepared:
                task = tq.load_task(tx.conn, item.task_id)
                for prepared in item.prepared:
                    preview = preview_service.add_prepared_preview(ctx, tx, task, comment["id"], prepared)
                    queued = queued or preview["status"] == "processing"
        rows = COMMENT.to_dicts(tx.execute(COMMENT.select().where(s.comment.c.id.in_(ids))))
        by_id = {row["id"]: row for row in comments.decorate(tx.conn, rows, full_person=True, full_status=True)}
        return [by_id[i] for i in ids], queued


# ----------------------------------------------------------------------------- moving a comment

def move_comment(ctx: RequestContext, task_id: str, comment_id: str, body: Row) -> Row:
    """Move a comment (without preview) to another task of the same entity; both tasks' statuses
    follow their remaining comments."""
    target_id = body.get("target_task_id")
    if not target_id:
        raise validation_error({"target_task_id": "Field required"}, "Validation error.")
    with ctx.write() as tx:
        conn = tx.conn
        for item_id in (task_id, comment_id, str(target_id)):
            if not is_uuid(item_id):
                raise NotFound(ZOU_NOT_FOUND)
        task, target, comment = TASK.get(conn, task_id), TASK.get(conn, str(target_id)), COMMENT.get(conn, comment_id)
        if task is None or target is None or comment is None:
            raise NotFound(ZOU_NOT_FOUND)
        if comment["object_id"] != task_id:
            raise BadRequest("Comment does not belong to the given task.")
        if target["entity_id"] != task["entity_id"]:
            raise BadRequest("A comment can only be moved between tasks of the same entity.")
        link = s.comment_preview_link
        if conn.execute(sa.select(link.c.preview_file_id).where(link.c.comment_id == comment_id)).first():
            raise BadRequest("A comment attached to a preview revision cannot be moved.")
        perm.check_task_action_access(ctx, conn, task)
        perm.check_task_action_access(ctx, conn, target)
        if not ctx.is_manager and comment.get("person_id") != ctx.person_id:
            raise Forbidden()
        if target["id"] == task_id:
            return _moved(conn, comment_id)
        crud.update_row(tx, COMMENT, comment_id, {"object_id": target["id"]})
        for table in (s.news, s.notification):
            tx.update(table, {"task_id": target["id"]}, table.c.comment_id == comment_id)
        comments.reset_task(tx, task)
        comments.reset_task(tx, target)
        for moved_task in (task, target):
            tx.emit("task:update", {"task_id": moved_task["id"]}, project_id=moved_task["project_id"])
        tx.emit("comment:update", {"comment_id": comment_id, "task_id": target["id"],
                                   "previous_task_id": task_id}, project_id=task["project_id"])
        return _moved(conn, comment_id)


def _moved(conn: sa.Connection, comment_id: str) -> Row:
    row = COMMENT.get(conn, comment_id)
    assert row is not None
    COMMENT.add_relations(conn, [row])
    row["replies"] = row.get("replies") or []
    row["checklist"] = row.get("checklist") or []
    row["links"] = row.get("links") or []
    a = s.attachment_file
    row["attachment_files"] = [r[0] for r in conn.execute(sa.select(a.c.id).where(a.c.comment_id == comment_id))]
    return row
