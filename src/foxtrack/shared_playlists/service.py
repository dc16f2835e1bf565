"""Guest access to a shared playlist. The share token (plus its password when it has one) is the only
credential: a missing, inactive or expired link and a wrong password all answer 404, as Zou does.
Guests are ``person`` rows (``is_guest``, role client) tied to their link by ``data.share_link_id``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.comments import service as comments
from foxtrack.core.context import ADMIN, AppState, RequestContext
from foxtrack.core.errors import NOT_FOUND_TEXT, NotFound, validation_error
from foxtrack.core.jsonutil import is_uuid, now
from foxtrack.core.models import COMMENT, ENTITY, MODELS, PERSON, PROJECT
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.db.seed import check_password
from foxtrack.playlists.service import build_jobs
from foxtrack.previews import actions as preview_actions

Row = dict[str, Any]
PLAYLIST = MODELS["playlists"]
PREVIEW = MODELS["preview-files"]
COMMENTS_DISABLED = "Comments are disabled for this link"
NOT_A_GUEST = "Guest not part of this shared playlist"
COMMENT_NOT_FOUND = "Comment not found"
ZOU_NOT_FOUND = "404 Not Found: " + NOT_FOUND_TEXT


class Refused(Exception):
    """A guest action the link does not allow: answered as Zou does, ``{"error": message}``."""

    def __init__(self, message: str, status: int = 403):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Share:
    """An open share link and its playlist."""
    link: Row
    playlist: Row


def open_link(state: AppState, token: str, password: str | None) -> Share:
    """The active, unexpired link of ``token`` whose password matches (bcrypt: call in a thread)."""
    t = s.playlist_share_link
    with state.read() as conn:
        row = conn.execute(sa.select(t).where(t.c.token == token)).mappings().first()
        if row is None or not row["is_active"]:
            raise NotFound(ZOU_NOT_FOUND)
        if row["expiration_date"] and row["expiration_date"] < now():
            raise NotFound(ZOU_NOT_FOUND)
        if row["password"] and not (password and check_password(password, row["password"])):
            raise NotFound(ZOU_NOT_FOUND)
        playlist = PLAYLIST.get(conn, row["playlist_id"]) if row["playlist_id"] else None
        if playlist is None:
            raise NotFound(ZOU_NOT_FOUND)
    link = {k: row[k] for k in ("id", "token", "playlist_id", "can_comment", "created_by")}
    return Share(link, playlist)


def acting_as(state: AppState, person_id: str) -> RequestContext:
    """A context for work the share link already authorised, written in the name of ``person_id``
    (the guest, or the link's creator for reads)."""
    return RequestContext(state=state, person_id=person_id, role=ADMIN, is_bot=False, claims={})


def _preview_ids(share: Share) -> list[str]:
    return [sh["preview_file_id"] for sh in share.playlist.get("shots") or []
            if isinstance(sh, dict) and is_uuid(sh.get("preview_file_id"))]


def _task_ids(conn: Connection, share: Share) -> list[str]:
    pf = s.preview_file
    ids = _preview_ids(share)
    if not ids:
        return []
    return [r[0] for r in conn.execute(sa.select(pf.c.task_id).where(pf.c.id.in_(ids)).distinct())]


# ----------------------------------------------------------------------------- reading

def playlist(state: AppState, share: Share) -> Row:
    """The playlist with each shot's preview, entity and task type, as the review room needs them."""
    pl = dict(share.playlist)
    shots = [sh for sh in pl.get("shots") or [] if isinstance(sh, dict)]
    pf, t, tt, ts = s.preview_file, s.task, s.task_type, s.task_status
    with state.read() as conn:
        ids = _preview_ids(share)
        previews = {r["id"]: r for r in PREVIEW.to_dicts(conn.execute(PREVIEW.select().where(pf.c.id.in_(ids))))}
        task_ids = list({p["task_id"] for p in previews.values() if p.get("task_id")})
        tasks = {r.id: r for r in conn.execute(
            sa.select(t.c.id, t.c.task_type_id, tt.c.name, tt.c.color, tt.c.for_entity, ts.c.color.label("status_color"))
            .join(tt, tt.c.id == t.c.task_type_id).join(ts, ts.c.id == t.c.task_status_id)
            .where(t.c.id.in_(task_ids)))}
        entity_ids = [sh["entity_id"] for sh in shots if is_uuid(sh.get("entity_id"))]
        entities = {r["id"]: r for r in ENTITY.to_dicts(conn.execute(ENTITY.select()
                                                                       .where(s.entity.c.id.in_(entity_ids))))}
        parent_ids = [e["parent_id"] for e in entities.values() if e.get("parent_id")]
        parents = dict(conn.execute(sa.select(s.entity.c.id, s.entity.c.name)
                                    .where(s.entity.c.id.in_(parent_ids))).all())
        project = PROJECT.get(conn, pl["project_id"]) if pl.get("project_id") else None
        pl["build_jobs"] = build_jobs(conn, pl["id"])
    out = []
    for sh in shots:
        item = dict(sh)
        item["id"] = sh.get("entity_id")
        item["preview_files"] = {}
        preview = previews.get(sh.get("preview_file_id"))
        if preview is not None:
            item.update({
                "preview_file_extension": preview["extension"], "preview_file_revision": preview["revision"],
                "preview_file_width": preview["width"], "preview_file_height": preview["height"],
                "preview_file_duration": preview["duration"],
                "preview_file_status": (preview["status"] or "").capitalize(),
                "preview_file_task_id": preview["task_id"], "preview_file_previews": [],
                "preview_file_annotations": preview.get("annotations") or [],
            })
        entity = entities.get(sh.get("entity_id"))
        if entity is not None:
            item["name"] = entity["name"]
            item["parent_name"] = parents.get(entity.get("parent_id"), "")
        task = tasks.get(preview["task_id"]) if preview is not None else None
        if task is not None:
            item["preview_file_task_type"] = {"id": task.task_type_id, "name": task.name, "color": task.color,
                                              "for_entity": task.for_entity}
            item["preview_file_task_type_name"] = task.name
            item["task_status_color"] = task.status_color
        out.append(item)
    pl["shots"] = out
    pl["project_fps"] = project.get("fps") if project else None
    pl["project_name"] = project.get("name") if project else None
    return pl


def context(state: AppState, share: Share) -> Row:
    """The project, its team (minimal) and its task types and statuses."""
    with state.read() as conn:
        project = PROJECT.get(conn, share.playlist["project_id"]) if share.playlist.get("project_id") else None
        if project is None:
            raise NotFound()
        team_ids = [r[0] for r in conn.execute(sa.select(s.project_person_link.c.person_id)
                                               .where(s.project_person_link.c.project_id == project["id"]))]
        team = list(comments.minimal_persons(conn, set(team_ids)).values())
        tt_link, ts_link = s.project_task_type_link, s.project_task_status_link
        task_types = MODELS["task-types"].to_dicts(conn.execute(
            MODELS["task-types"].select().join(tt_link, tt_link.c.task_type_id == s.task_type.c.id)
            .where(tt_link.c.project_id == project["id"])))
        statuses = MODELS["task-status"].to_dicts(conn.execute(
            MODELS["task-status"].select().join(ts_link, ts_link.c.task_status_id == s.task_status.c.id)
            .where(ts_link.c.project_id == project["id"])))
    return {"project": {k: project.get(k) for k in ("id", "name", "fps", "ratio", "resolution")} | {"team": team},
            "task_types": task_types, "task_statuses": statuses}


def preview_file(state: AppState, share: Share, preview_id: str) -> Row:
    """A preview file of the playlist (404 for any other)."""
    if preview_id not in _preview_ids(share):
        raise NotFound(ZOU_NOT_FOUND)
    with state.read() as conn:
        preview = PREVIEW.get(conn, preview_id)
    if preview is None:
        raise NotFound(ZOU_NOT_FOUND)
    return preview


def playlist_comments(state: AppState, share: Share) -> list[Row]:
    """The comments the link's guests wrote on the playlist's tasks, oldest first."""
    c, p = s.comment, s.person
    with state.read() as conn:
        task_ids = _task_ids(conn, share)
        if not task_ids:
            return []
        guests = [r.id for r in conn.execute(
            sa.select(p.c.id, p.c.data).join(c, c.c.person_id == p.c.id)
            .where(c.c.object_id.in_(task_ids), p.c.is_guest.is_(True)).distinct())
            if isinstance(r.data, dict) and r.data.get("share_link_id") == share.link["id"]]
        rows = COMMENT.to_dicts(conn.execute(COMMENT.select().where(c.c.object_id.in_(task_ids),
                                                                    c.c.person_id.in_(guests))
                                             .order_by(c.c.created_at, c.c.id))) if guests else []
        decorated = comments.decorate(conn, rows)
    for row in decorated:
        if "person" in row:
            row["person"]["is_guest"] = True
        for key in ("previews", "mentions", "department_mentions", "acknowledgements"):
            row.pop(key, None)
    return decorated


# ----------------------------------------------------------------------------- guests

def new_guest(state: AppState, share: Share, body: Row) -> Row:
    """A guest person (role client) tied to the link."""
    first = body.get("first_name") if isinstance(body.get("first_name"), str) and body.get("first_name") else "Guest"
    last = body.get("last_name") if isinstance(body.get("last_name"), str) else ""
    ctx = acting_as(state, share.link["created_by"] or "")
    with ctx.write() as tx:
        row = crud.insert(tx, PERSON, {"first_name": first, "last_name": last,
                                       "email": f"guest-{uuid.uuid4().hex[:8]}@guest.kitsu", "role": "client",
                                       "is_guest": True, "active": True, "data": {"share_link_id": share.link["id"]}})
        tx.emit("person:new", {"person_id": row["id"]})
        return row


def _guest(state: AppState, share: Share, body: Row, *fields: str) -> RequestContext:
    """The context of the body's ``guest_id`` once ``fields`` are present; refused for a guest of
    another link."""
    missing = {name: "Field required" for name in ("guest_id", *fields) if not body.get(name)}
    if missing:
        raise validation_error(missing, "Validation error.")
    guest_id = body["guest_id"]
    with state.read() as conn:
        guest = PERSON.get(conn, guest_id) if is_uuid(guest_id) else None
    data = guest.get("data") if guest else None
    if not guest or not guest.get("is_guest") or not isinstance(data, dict) \
            or data.get("share_link_id") != share.link["id"]:
        raise Refused(NOT_A_GUEST)
    return acting_as(state, guest_id)


def post_comment(state: AppState, share: Share, body: Row) -> Row:
    """A guest's comment on a task of the playlist, through the one comment write path."""
    if not share.link["can_comment"]:
        raise Refused(COMMENTS_DISABLED)
    ctx = _guest(state, share, body, "task_status_id")
    task_id = body.get("task_id")
    with state.read() as conn:
        if task_id not in _task_ids(conn, share):
            raise NotFound()
        # the guest acts with the write path's rights, but only with the statuses clients may use
        status_id = body.get("task_status_id")
        allowed = conn.execute(sa.select(s.task_status.c.is_client_allowed).where(
            s.task_status.c.id == status_id)).scalar() if is_uuid(status_id) else None
        if allowed is None:
            raise NotFound()
        if not allowed:
            raise Refused("This status is not allowed for clients.", 403)
    data = comments.CommentInput(task_status_id=body["task_status_id"], text=str(body.get("text") or ""),
                                 checklist=body.get("checklist"), links=body.get("links"))
    with ctx.write() as tx:
        return comments.post_comment(ctx, tx, str(task_id), data)


def _own_comment(state: AppState, share: Share, comment_id: str, guest_id: str) -> Row:
    with state.read() as conn:
        comment = COMMENT.get(conn, comment_id) if is_uuid(comment_id) else None
        if comment is None or comment.get("person_id") != guest_id \
                or comment.get("object_id") not in _task_ids(conn, share):
            raise Refused(COMMENT_NOT_FOUND, 404)
    return comment


def edit_comment(state: AppState, share: Share, comment_id: str, body: Row) -> Row:
    """A guest edits the text of their own comment."""
    if not share.link["can_comment"]:
        raise Refused(COMMENTS_DISABLED)
    ctx = _guest(state, share, body)
    _own_comment(state, share, comment_id, ctx.person_id)
    values: Row = {"editor_id": ctx.person_id}
    if isinstance(body.get("text"), str):
        values["text"] = body["text"]
    with ctx.write() as tx:
        crud.update_row(tx, COMMENT, comment_id, values)
        row = COMMENT.get(tx.conn, comment_id) or {}
        tx.emit("comment:update", {"comment_id": comment_id}, project_id=share.playlist.get("project_id"))
        return comments.decorate(tx.conn, [row], status=False)[0] | {"mentions": row.get("mentions", []),
                                                                     "department_mentions":
                                                                         row.get("department_mentions", [])}


def delete_comment(state: AppState, share: Share, comment_id: str, guest_id: str | None) -> None:
    """A guest deletes their own comment (the task status is reset as for any comment removal)."""
    if not share.link["can_comment"]:
        raise Refused(COMMENTS_DISABLED)
    ctx = _guest(state, share, {"guest_id": guest_id})
    comment = _own_comment(state, share, comment_id, ctx.person_id)
    with ctx.write() as tx:
        task = MODELS["tasks"].get(tx.conn, comment["object_id"])
        if task is None:
            raise Refused(COMMENT_NOT_FOUND, 404)
        comments.remove_comment(ctx, tx, comment, task)


def update_annotations(state: AppState, share: Share, body: Row) -> Row:
    """A guest's annotation changes on a preview of the playlist."""
    ctx = _guest(state, share, body, "preview_file_id")
    if body["preview_file_id"] not in _preview_ids(share):
        raise NotFound()
    return preview_actions.update_annotations(ctx, body["preview_file_id"], body)
