"""Comment rules: posting (status change, news, notifications), replies, acks, attachments, removal."""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext, Tx
from foxtrack.core.errors import (
    NOT_FOUND_TEXT,
    BadRequest,
    Forbidden,
    NotFound,
    validation_error,
)
from foxtrack.core.jsonutil import is_uuid, new_id, normalize_datetime, now
from foxtrack.core.models import COMMENT, MODELS, PERSON, TASK
from foxtrack.core.rawsql import ForIds, in_ids
from foxtrack.crud import service as crud
from foxtrack.crud.policy import Policies
from foxtrack.db import schema as s
from foxtrack.storage import storage_of
from foxtrack.storage.uploads import Upload
from foxtrack.tasks import queries as tq

Row = dict[str, Any]
ATTACHMENT = MODELS["attachment-files"]
NEWS = MODELS["news"]
NOTIFICATION = MODELS["notification" + "s"]
ZOU_NOT_FOUND = "404 Not Found: " + NOT_FOUND_TEXT
MINIMAL_PERSON = ("first_name", "last_name", "full_name", "has_avatar", "role", "id")


@dataclass
class CommentInput:
    task_status_id: Any
    text: str = ""
    checklist: Any = None
    links: Any = None
    person_id: Any = None
    created_at: Any = None
    for_client: bool = False
    files: list[Upload] = field(default_factory=list)


# ----------------------------------------------------------------------------- serialisation

# what ``decorate`` reads for a page of comments, built once (the ids bound at execution)
_P, _A, _CPL, _PF = s.person, s.attachment_file, s.comment_preview_link, s.preview_file
_MINIMAL_PERSONS = ForIds(lambda pick: sa.select(_P.c.id, _P.c.first_name, _P.c.last_name, _P.c.has_avatar,
                                                 _P.c.role).where(pick(_P.c.id)))
_ATTACHMENTS = ForIds(lambda pick: ATTACHMENT.select().where(pick(_A.c.comment_id))
                      .order_by(_A.c.created_at, _A.c.name))
_PREVIEWS = ForIds(lambda pick: sa.select(_CPL.c.comment_id, _PF.c.id, _PF.c.task_id, _PF.c.revision, _PF.c.extension,
                                          _PF.c.width, _PF.c.height, _PF.c.duration, _PF.c.status,
                                          _PF.c.validation_status, _PF.c.original_name, _PF.c.position,
                                          _PF.c.annotations)
                   .join(_PF, _PF.c.id == _CPL.c.preview_file_id).where(pick(_CPL.c.comment_id))
                   .order_by(_PF.c.revision.desc(), _PF.c.position))
_STATUSES = ForIds(lambda pick: sa.select(s.task_status.c.id, s.task_status.c.name, s.task_status.c.short_name,
                                          s.task_status.c.color).where(pick(s.task_status.c.id)))


def minimal_persons(conn: Connection, person_ids: set[str]) -> dict[str, Row]:
    if not person_ids:
        return {}
    rows = _MINIMAL_PERSONS.execute(conn, list(person_ids))
    return {r.id: {"first_name": r.first_name, "last_name": r.last_name,
                   "full_name": f"{r.first_name or ''} {r.last_name or ''}".strip(),
                   "has_avatar": bool(r.has_avatar), "role": r.role, "id": r.id} for r in rows}


def attachments_by_comment(conn: Connection, comment_ids: list[str]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {i: [] for i in comment_ids}
    if comment_ids:
        for row in ATTACHMENT.to_dicts(_ATTACHMENTS.execute(conn, comment_ids)):
            out.setdefault(row["comment_id"], []).append(row)
    return out


def previews_by_comment(conn: Connection, comment_ids: list[str]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {i: [] for i in comment_ids}
    if comment_ids:
        for r in _PREVIEWS.execute(conn, comment_ids):
            out[r.comment_id].append({
                "id": r.id, "task_id": r.task_id, "revision": r.revision, "extension": r.extension,
                "width": r.width, "height": r.height, "duration": r.duration, "status": r.status,
                "validation_status": r.validation_status, "original_name": r.original_name,
                "position": r.position, "annotations": r.annotations or [],
            })
    return out


def decorate(conn: Connection, comments: list[Row], full_person: bool = False, full_status: bool = False,
             status: bool = True, just_posted: Row | None = None) -> list[Row]:
    """Add person, task_status, relations and attachment files to comment rows (batched).
    ``just_posted``: the comments were inserted by this transaction with their relations (no
    preview linked yet), this is their full status row, and attachments are read only if some
    were stored (``just_posted["has_attachments"]``)."""
    if not comments:
        return comments
    ids = [c["id"] for c in comments]
    if just_posted is None:
        COMMENT.add_relations(conn, comments)
        previews = previews_by_comment(conn, ids)
        attachments = attachments_by_comment(conn, ids)
    else:
        previews = {i: [] for i in ids}
        attachments = (attachments_by_comment(conn, ids) if just_posted["has_attachments"]
                       else {i: [] for i in ids})
    person_ids = {c["person_id"] for c in comments if c.get("person_id")}
    if full_person:
        people = {p["id"]: p for p in tq.persons(conn, list(person_ids))}
        for p in people.values():
            p.pop("departments", None)
    else:
        people = minimal_persons(conn, person_ids)
    statuses: dict[str, Row] = {}
    status_ids = {c["task_status_id"] for c in comments if c.get("task_status_id")}
    if status_ids and status:
        ts = s.task_status
        if just_posted is not None and full_status and status_ids == {just_posted["status"]["id"]}:
            statuses = {just_posted["status"]["id"]: just_posted["status"]}
        elif full_status:
            statuses = {r["id"]: r for r in tq.TASK_STATUS.to_dicts(
                conn.execute(tq.TASK_STATUS.select().where(in_ids(ts.c.id, list(status_ids)))))}
        else:
            statuses = {r.id: {"name": r.name, "short_name": r.short_name, "color": r.color, "id": r.id}
                        for r in _STATUSES.execute(conn, list(status_ids))}
    for c in comments:
        c["replies"] = c.get("replies") or []
        c["checklist"] = c.get("checklist") or []
        c["links"] = c.get("links") or []
        c["for_client"] = bool(c.get("for_client"))
        c["previews"] = previews[c["id"]]
        c["attachment_files"] = attachments[c["id"]]
        if c.get("person_id") in people:
            c["person"] = people[c["person_id"]]
        if status and c.get("task_status_id") in statuses:
            c["task_status"] = statuses[c["task_status_id"]]
    return comments


def _shape_one(ctx: RequestContext, conn: Connection, row: Row) -> Row:
    project_id = _task_project(conn, row["object_id"])
    _check_read(ctx, conn, row, project_id, perm.check_project_access(ctx, conn, project_id))
    return decorate(conn, [row], status=False)[0]


def _check_read(ctx: RequestContext, conn: Connection, comment: Row, project_id: str | None, role: str) -> None:
    """Who reads one comment (Zou's ``check_comment_access``), ``role`` being the reader's on the
    comment's production: the team's managers and supervisors any; a client what ``_client_reads``
    allows; the others all but the clients'."""
    if role in (perm.ADMIN, perm.MANAGER, perm.SUPERVISOR):
        return
    author = comment.get("person_id") or ""
    by_client = _author_roles(conn, str(project_id), {author}).get(author) == perm.CLIENT
    if role != perm.CLIENT:
        allowed = not by_client
    else:
        allowed = bool(comment.get("for_client")) or _client_reads(ctx, comment, by_client,
                                                                   _clients_isolated(conn, project_id))
    if not allowed:
        raise Forbidden()


def _clients_isolated(conn: Connection, project_id: str | None) -> bool:
    return bool(conn.execute(sa.select(s.project.c.is_clients_isolated).where(s.project.c.id == project_id)).scalar())


def _client_reads(ctx: RequestContext, comment: Row, by_client: bool, isolated: bool) -> bool:
    """Whether a client reads a comment not flagged for clients (Zou): one written by the
    production's clients, only the reader's own when the production isolates its clients."""
    return by_client and (not isolated or comment.get("person_id") == ctx.person_id)


def check_text(ctx: RequestContext, text: object, field: str = "text") -> None:
    """400 (Zou's validation error) for a comment or reply text over ``max_comment_chars``."""
    limit = ctx.state.settings.max_comment_chars
    if isinstance(text, str) and len(text) > limit:
        raise validation_error({field: f"String should have at most {limit} characters"}, "Validation error.")


def _before_update(ctx: RequestContext, tx: Tx, current: Row, values: Row) -> Row:
    body = values.get("__body__") or {}
    if "comment" in body and "text" not in body and isinstance(body["comment"], str):
        values["text"] = body["comment"]
    check_text(ctx, values.get("text"))
    if not ctx.is_manager and current.get("person_id") != ctx.person_id:
        raise Forbidden()
    for key in ("object_id", "object_type", "person_id"):
        values.pop(key, None)
    values["editor_id"] = ctx.person_id
    return values


def _after_update(ctx: RequestContext, tx: Tx, row: Row, current: Row) -> Row:
    tx.emit("comment:update", {"comment_id": row["id"], "task_id": row["object_id"], "person_id": row["person_id"],
                               "for_client": bool(row.get("for_client"))},
            project_id=_task_project(tx.conn, row["object_id"]))
    return decorate(tx.conn, [row], status=False)[0]


def _delete_hook(ctx: RequestContext, tx: Tx, comment: Row, force: bool) -> None:
    task = tq.load_task(tx.conn, comment["object_id"])
    perm.check_project_access(ctx, tx.conn, task["project_id"])
    if not ctx.is_manager and comment.get("person_id") != ctx.person_id:
        raise Forbidden()
    remove_comment(ctx, tx, comment, task)


def register_crud(policies: Policies) -> None:
    """This feature's rules for the generic ``/data/<model>`` routes (called by the app factory)."""
    policies.register("comments", update="all", delete="all", shape_one=_shape_one, before_update=_before_update,
             after_update=_after_update, delete_hook=_delete_hook, event_prefix="")


def _task_project(conn: Connection, task_id: str) -> str | None:
    return conn.execute(sa.select(s.task.c.project_id).where(s.task.c.id == task_id)).scalar()


# ----------------------------------------------------------------------------- reads

_TASK_COMMENTS = (COMMENT.select().where(s.comment.c.object_id == sa.bindparam("task_id"))
                  .order_by(s.comment.c.created_at.desc(), s.comment.c.id))


def task_comments(ctx: RequestContext, task_id: str) -> list[Row]:
    """Comments of a task, newest first, with author, status, previews and attachments."""
    with ctx.read() as conn:
        task = tq.load_task(conn, task_id)
        role = perm.check_project_access(ctx, conn, task["project_id"])
        rows = COMMENT.to_dicts(conn.execute(_TASK_COMMENTS, {"task_id": task_id}))
        if not rows or role in (perm.ADMIN, perm.MANAGER, perm.SUPERVISOR):
            return decorate(conn, rows)
        authors = _author_roles(conn, task["project_id"], {r["person_id"] for r in rows if r.get("person_id")})
        if role != perm.CLIENT:  # artists and vendors do not read what the production's clients wrote
            return decorate(conn, [r for r in rows if authors.get(r.get("person_id") or "") != perm.CLIENT])
        return _client_view(ctx, conn, task["project_id"], decorate(conn, rows), authors)


def _author_roles(conn: Connection, project_id: str, person_ids: set[str]) -> dict[str, str]:
    """Each author's role on the project: the team role where one is set, else the person's role."""
    p, link = s.person, s.project_person_link
    stmt = (sa.select(p.c.id, sa.func.coalesce(link.c.role, p.c.role).label("role"))
            .outerjoin(link, sa.and_(link.c.person_id == p.c.id, link.c.project_id == project_id))
            .where(in_ids(p.c.id, list(person_ids))))
    return {r.id: r.role for r in conn.execute(stmt)}


def _client_view(ctx: RequestContext, conn: Connection, project_id: str, comments: list[Row],
                 authors: dict[str, str]) -> list[Row]:
    """What a client reads of a task's comments (as Zou): those flagged for clients, those of the
    clients (only their own when the project isolates its clients), and the studio's comments that
    carry a preview, with their text, attachments, checklist and replies blanked; never a rejected
    preview."""
    isolated = _clients_isolated(conn, project_id)
    shown = []
    for comment in comments:
        comment["previews"] = [pv for pv in comment["previews"] if pv.get("validation_status") != "rejected"]
        by_client = authors.get(comment.get("person_id") or "") == perm.CLIENT
        for_client = comment["for_client"]
        if comment["previews"] and not by_client and not for_client:
            comment.update(text="", attachment_files=[], checklist=[], replies=[])
            shown.append(comment)
        elif for_client or _client_reads(ctx, comment, by_client, isolated):
            shown.append(comment)
    return shown


def task_comment(ctx: RequestContext, task_id: str, comment_id: str) -> Row:
    with ctx.read() as conn:
        task = tq.load_task(conn, task_id)
        role = perm.check_project_access(ctx, conn, task["project_id"])
        comment = tq.load(conn, COMMENT, comment_id)
        if comment["object_id"] != task_id:
            raise NotFound()
        _check_read(ctx, conn, comment, task["project_id"], role)
        return decorate(conn, [comment])[0]


# ----------------------------------------------------------------------------- posting

MENTION = re.compile(r"@([^\s@#][^@#\n]*)")


def _mentions(conn: Connection, project_id: str, text: str) -> tuple[list[str], list[str]]:
    if "@" not in text:
        return [], []
    link, p = s.project_person_link, s.person
    team = conn.execute(sa.select(p.c.id, p.c.first_name, p.c.last_name).join(link, link.c.person_id == p.c.id)
                        .where(link.c.project_id == project_id))
    people = [pid for pid, first, last in team
              if f"@{(first or '')} {(last or '')}".strip() in text]
    departments = [r.id for r in conn.execute(sa.select(s.department.c.id, s.department.c.name))
                   if f"@{r.name}" in text]
    return people, departments


def add_comment(ctx: RequestContext, task_id: str, data: CommentInput) -> Row:
    """Post a comment: may change the task status; records news, notifications and events."""
    if not data.task_status_id:
        raise validation_error({"task_status_id": "Field required"}, "Validation error.")
    with ctx.write() as tx:
        return post_comment(ctx, tx, task_id, data)


def post_comment(ctx: RequestContext, tx: Tx, task_id: str, data: CommentInput) -> Row:
    """Post one comment within the caller's transaction (``add_comment`` and the batch routes)."""
    if not data.task_status_id:
        raise validation_error({"task_status_id": "Field required"}, "Validation error.")
    checklist = _json_list(data.checklist, "checklist")
    links = _json_list(data.links, "links")
    conn = tx.conn
    if not is_uuid(task_id):
        raise NotFound(ZOU_NOT_FOUND)
    task = TASK.get(conn, task_id)
    if task is None:
        raise NotFound(ZOU_NOT_FOUND)
    status = tq.TASK_STATUS.get(conn, data.task_status_id) if is_uuid(data.task_status_id) else None
    if status is None:
        raise NotFound(ZOU_NOT_FOUND)
    stored_status = dict(status)
    role = perm.check_task_action_access(ctx, conn, task)
    if role == perm.CLIENT:  # the production may override the status's studio-wide client right
        from foxtrack.projects.task_type_softwares import client_allowed

        status = {**status, "is_client_allowed": client_allowed(conn, task["project_id"], status)}
    perm.check_task_status_access(role, status)
    author_id = ctx.person_id
    created_at = now()
    for_client = bool(data.for_client)
    if ctx.is_manager or role in (perm.ADMIN, perm.MANAGER):
        if data.person_id:
            if not is_uuid(data.person_id) or PERSON.get(conn, data.person_id) is None:
                raise NotFound(ZOU_NOT_FOUND)
            author_id = data.person_id
        if data.created_at:
            try:
                created_at = normalize_datetime(data.created_at) or created_at
            except ValueError as exc:
                raise BadRequest("Wrong date format for created_at.") from exc
    elif role != perm.CLIENT:
        for_client = False
    check_text(ctx, data.text)
    mentions, department_mentions = _mentions(conn, task["project_id"], data.text or "")
    comment = crud.insert(tx, COMMENT, {
        "object_id": task_id, "object_type": "Task", "text": data.text or "", "task_status_id": status["id"],
        "person_id": author_id, "checklist": checklist, "links": links, "for_client": for_client,
        "replies": [], "created_at": created_at,
    }, {"mentions": mentions, "department_mentions": department_mentions})
    for upload in data.files:
        store_attachment(ctx, tx, upload, comment_id=comment["id"])
    previous_status_id = task["task_status_id"]
    _apply_status(tx, task, status, created_at)
    tx.emit("comment:new", {"comment_id": comment["id"], "task_id": task_id, "task_status_id": status["id"],
                            "person_id": author_id, "for_client": for_client}, project_id=task["project_id"])
    if previous_status_id != status["id"]:
        tx.emit("task:status-changed", {"task_id": task_id, "new_task_status_id": status["id"],
                                        "previous_task_status_id": previous_status_id, "person_id": author_id},
                project_id=task["project_id"])
        if status.get("is_feedback_request"):
            tx.emit("task:to-review", {"task_id": task_id, "comment_id": comment["id"],
                                       "new_task_status_id": status["id"],
                                       "previous_task_status_id": previous_status_id,
                                       "person_id": author_id}, project_id=task["project_id"])
    _news(tx, task, comment, status, change=previous_status_id != status["id"], author_id=author_id)
    _notify(tx, task, comment, author_id, mentions)
    return decorate(conn, [comment], full_person=True, full_status=True,
                    just_posted={"status": stored_status, "has_attachments": bool(data.files)})[0]


def _json_list(value: Any, name: str) -> list[Any]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        import orjson

        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise validation_error({name: "Invalid JSON"}, "Validation error.") from exc
    if not isinstance(value, list):
        raise validation_error({name: "Input should be a valid list"}, "Validation error.")
    return value


def _apply_status(tx: Tx, task: Row, status: Row, stamp: str) -> None:
    values: Row = {"task_status_id": status["id"], "last_comment_date": stamp}
    changed = task["task_status_id"] != status["id"]
    if changed:
        if status.get("is_retake"):
            values["retake_count"] = (task.get("retake_count") or 0) + 1
        if status.get("is_wip") and not task.get("real_start_date"):
            values["real_start_date"] = stamp
        if status.get("is_feedback_request"):
            values["end_date"] = stamp
        if status.get("is_done"):
            values["done_date"] = stamp
    crud.update_row(tx, TASK, task["id"], values)
    tx.emit("task:update", {"task_id": task["id"]}, project_id=task["project_id"])


def _news(tx: Tx, task: Row, comment: Row, status: Row, change: bool, author_id: str,
          preview_file_id: str | None = None) -> None:
    news = crud.insert(tx, NEWS, {"change": change, "author_id": author_id, "comment_id": comment["id"],
                                  "task_id": task["id"], "project_id": task["project_id"],
                                  "preview_file_id": preview_file_id})
    tx.emit("news:new", {"news_id": news["id"], "task_type_id": task["task_type_id"],
                         "task_status_id": status["id"]}, project_id=task["project_id"])


# who hears of a comment: the task's assignees, then its followers (one statement)
_RECIPIENTS: sa.Select[tuple[Any]] = sa.select(sa.literal_column("person_id")).select_from(
    sa.union_all(
        sa.select(s.task_person_link.c.person_id, sa.literal(0).label("rank"))
        .where(s.task_person_link.c.task_id == sa.bindparam("task_id")),
        sa.select(s.subscription.c.person_id, sa.literal(1).label("rank"))
        .where(s.subscription.c.task_id == sa.bindparam("task_id")),
    ).subquery("recipients")
).order_by(sa.literal_column("rank"))


def _notify(tx: Tx, task: Row, comment: Row, author_id: str, mentions: list[str]) -> None:
    recipients = dict.fromkeys(person_id for person_id, in tx.execute(_RECIPIENTS, {"task_id": task["id"]}))
    notes = crud.insert_many(tx, NOTIFICATION, [
        {"person_id": person_id, "author_id": author_id, "type": kind, "comment_id": comment["id"],
         "task_id": task["id"], "read": False, "change": False}
        for person_id, kind in [*((p, "comment") for p in recipients), *((p, "mention") for p in mentions)]
        if person_id != author_id])
    for note in notes:
        tx.emit("notification:new", {"notification_id": note["id"], "person_id": note["person_id"]},
                project_id=task["project_id"])


# ----------------------------------------------------------------------------- attachments

def store_attachment(ctx: RequestContext, tx: Tx, upload: Upload, **owner: str) -> Row:
    """Store an uploaded file as an attachment of ``owner`` (``comment_id=`` or ``chat_message_id=``) in the
    caller's unit of work; the stored file is removed again if that unit rolls back."""
    name = Path(upload.filename or "file").name
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    attachment_id = new_id()
    store = storage_of(ctx.state)
    size = store.save("files", "attachments", attachment_id, upload.path)
    tx.on_rollback(lambda: store.delete("files", "attachments", attachment_id))
    mimetype = upload.content_type if upload.content_type not in (None, "application/octet-stream") else None
    mimetype = mimetype or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return crud.insert(tx, ATTACHMENT, {"id": attachment_id, "name": name, "size": size, "extension": extension,
                                        "mimetype": mimetype, **owner})


def add_attachments(ctx: RequestContext, task_id: str, comment_id: str, files: list[Upload]) -> list[Row]:
    if not files:
        raise BadRequest("No file given.")
    with ctx.write() as tx:
        task = tq.load_task(tx.conn, task_id)
        perm.check_task_action_access(ctx, tx.conn, task)
        comment = tq.load(tx.conn, COMMENT, comment_id)
        if comment["object_id"] != task_id:
            raise NotFound()
        out = [store_attachment(ctx, tx, f, comment_id=comment_id) for f in files]
        tx.emit("comment:update", {"comment_id": comment_id, "task_id": task_id,
                                   "person_id": comment["person_id"], "for_client": bool(comment["for_client"])},
                project_id=task["project_id"])
        return out


def attachment_for_download(ctx: RequestContext, attachment_id: str) -> Row:
    """The attachment record, once the caller's access to its project is checked."""
    with ctx.read() as conn:
        attachment = tq.load(conn, ATTACHMENT, attachment_id)
        comment = COMMENT.get(conn, attachment["comment_id"]) if attachment.get("comment_id") else None
        if comment is not None:
            project_id = _task_project(conn, comment["object_id"])
            if project_id:
                perm.check_project_access(ctx, conn, project_id)
    return attachment


def delete_attachment(ctx: RequestContext, task_id: str, comment_id: str, attachment_id: str) -> None:
    with ctx.write() as tx:
        task = tq.load_task(tx.conn, task_id)
        comment = tq.load(tx.conn, COMMENT, comment_id)
        attachment = tq.load(tx.conn, ATTACHMENT, attachment_id)
        if comment["object_id"] != task_id or attachment["comment_id"] != comment_id:
            raise NotFound()
        perm.check_project_access(ctx, tx.conn, task["project_id"])
        if not ctx.is_manager and comment["person_id"] != ctx.person_id:
            raise Forbidden()
        tx.delete(s.attachment_file, s.attachment_file.c.id == attachment_id)
    storage_of(ctx.state).delete("files", "attachments", attachment_id)


# ----------------------------------------------------------------------------- replies and acks

def _comment_on_task(ctx: RequestContext, conn: Connection, task_id: str, comment_id: str) -> tuple[Row, Row]:
    task = tq.load_task(conn, task_id)
    perm.check_project_access(ctx, conn, task["project_id"])
    comment = tq.load(conn, COMMENT, comment_id)
    if comment["object_id"] != task_id:
        raise NotFound()
    return task, comment


def reply(ctx: RequestContext, task_id: str, comment_id: str, body: Row) -> Row:
    text = body.get("text")
    if not isinstance(text, str):
        raise validation_error({"text": "Field required"}, "Validation error.")
    check_text(ctx, text)
    with ctx.write() as tx:
        task, comment = _comment_on_task(ctx, tx.conn, task_id, comment_id)
        mentions, department_mentions = _mentions(tx.conn, task["project_id"], text)
        entry = {"id": new_id(), "date": now()[:19], "person_id": ctx.person_id, "text": text,
                 "mentions": mentions, "department_mentions": department_mentions}
        replies = list(comment.get("replies") or []) + [entry]
        crud.update_row(tx, COMMENT, comment_id, {"replies": replies})
        tx.emit("comment:reply", {"task_id": task_id, "comment_id": comment_id, "reply_id": entry["id"]},
                project_id=task["project_id"])
        if comment.get("person_id") and comment["person_id"] != ctx.person_id:
            note = crud.insert(tx, NOTIFICATION, {"person_id": comment["person_id"], "author_id": ctx.person_id,
                                                  "type": "reply", "comment_id": comment_id, "task_id": task_id,
                                                  "reply_id": entry["id"], "read": False, "change": False})
            tx.emit("notification:new", {"notification_id": note["id"], "person_id": comment["person_id"]},
                    project_id=task["project_id"])
        return entry


def delete_reply(ctx: RequestContext, task_id: str, comment_id: str, reply_id: str) -> Row:
    with ctx.write() as tx:
        task, comment = _comment_on_task(ctx, tx.conn, task_id, comment_id)
        replies = list(comment.get("replies") or [])
        target = next((r for r in replies if r.get("id") == reply_id), None)
        if target is None:
            raise NotFound()
        if not ctx.is_manager and target.get("person_id") != ctx.person_id:
            raise Forbidden()
        replies = [r for r in replies if r.get("id") != reply_id]
        crud.update_row(tx, COMMENT, comment_id, {"replies": replies})
        tx.delete(s.notification, s.notification.c.reply_id == reply_id)
        tx.emit("comment:delete-reply", {"task_id": task_id, "comment_id": comment_id, "reply_id": reply_id},
                project_id=task["project_id"])
        row = tq.load(tx.conn, COMMENT, comment_id)
        return decorate(tx.conn, [row], status=False)[0]


def acknowledge(ctx: RequestContext, task_id: str, comment_id: str) -> Row:
    """Toggle the caller's acknowledgement of a comment."""
    link = s.comment_acknoledgments
    with ctx.write() as tx:
        task, _comment = _comment_on_task(ctx, tx.conn, task_id, comment_id)
        present = tx.execute(sa.select(link.c.person_id).where(link.c.comment_id == comment_id,
                                                               link.c.person_id == ctx.person_id)).first()
        if present is None:
            tx.insert(link, {"comment_id": comment_id, "person_id": ctx.person_id})
            name = "comment:acknowledge"
        else:
            tx.delete(link, link.c.comment_id == comment_id, link.c.person_id == ctx.person_id)
            name = "comment:unacknowledge"
        tx.emit(name, {"comment_id": comment_id, "person_id": ctx.person_id}, project_id=task["project_id"],
                persist=False)
        row = tq.load(tx.conn, COMMENT, comment_id)
        return decorate(tx.conn, [row], status=False)[0]


# ----------------------------------------------------------------------------- removal

def delete_task_comment(ctx: RequestContext, task_id: str, comment_id: str) -> None:
    with ctx.write() as tx:
        task, comment = _comment_on_task(ctx, tx.conn, task_id, comment_id)
        if not ctx.is_manager and comment.get("person_id") != ctx.person_id:
            raise Forbidden()
        remove_comment(ctx, tx, comment, task)


def remove_comment(ctx: RequestContext, tx: Tx, comment: Row, task: Row) -> None:
    """Delete a comment with its links, attachments, news and notifications; reset the task."""
    comment_id = comment["id"]
    attachment_ids = [r[0] for r in tx.execute(sa.select(s.attachment_file.c.id)
                                               .where(s.attachment_file.c.comment_id == comment_id))]
    for link in (s.comment_preview_link, s.comment_mentions, s.comment_department_mentions,
                 s.comment_acknoledgments):
        tx.delete(link, link.c.comment_id == comment_id)
    for table in (s.attachment_file, s.news, s.notification):
        tx.delete(table, table.c.comment_id == comment_id)
    tx.delete(s.comment, s.comment.c.id == comment_id)
    reset_task(tx, task)
    tx.emit("comment:delete", {"comment_id": comment_id, "task_id": task["id"]}, project_id=task["project_id"])
    store = storage_of(ctx.state)
    for attachment_id in attachment_ids:
        store.delete("files", "attachments", attachment_id)


def reset_task(tx: Tx, task: Row) -> None:
    c = s.comment
    last = tx.execute(sa.select(c.c.task_status_id, c.c.created_at).where(c.c.object_id == task["id"])
                      .order_by(c.c.created_at.desc()).limit(1)).first()
    values: Row = {"last_comment_date": last.created_at if last else None}
    if last is not None and last.task_status_id:
        values["task_status_id"] = last.task_status_id
    crud.update_row(tx, TASK, task["id"], values)


def attachment_files(ctx: RequestContext, task_id: str | None = None, project_id: str | None = None) -> list[Row]:
    """Attachment files of a task's comments, or of every task of a project."""
    a, c = s.attachment_file, s.comment
    with ctx.read() as conn:
        if task_id is not None:
            task = tq.load_task(conn, task_id)
            perm.check_project_access(ctx, conn, task["project_id"])
            comments = sa.select(c.c.id).where(c.c.object_id == task_id)
        else:
            tq.load(conn, tq.PROJECT, str(project_id))
            perm.check_project_access(ctx, conn, project_id)
            tasks = sa.select(s.task.c.id).where(s.task.c.project_id == project_id)
            comments = sa.select(c.c.id).where(c.c.object_id.in_(tasks))
        return ATTACHMENT.to_dicts(conn.execute(ATTACHMENT.select().where(a.c.comment_id.in_(comments))
                                                .order_by(a.c.created_at)))
