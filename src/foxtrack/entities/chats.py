"""Entity chats: one chat per entity, participants who join and leave, messages with attachments.

As in Zou, a chat is created the first time it is asked for, only participants post, and chat
events are pushed to clients but not stored in the event log.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.comments.service import store_attachment
from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext, Tx
from foxtrack.core.errors import BadRequest, Forbidden, NotFound, validation_error
from foxtrack.core.jsonutil import is_uuid, now
from foxtrack.core.models import ENTITY, Model
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.entities.names import full_entity_names
from foxtrack.storage.uploads import Upload

Row = dict[str, Any]

CHAT = Model("chats", s.chat, "Chat")
CHAT_MESSAGE = Model("chat-messages", s.chat_message, "ChatMessage")
ATTACHMENT = Model("attachment-files", s.attachment_file, "AttachmentFile")
NOT_PARTICIPANT = "You are not a participant of this chat"


def _entity(conn: Connection, entity_id: str) -> Row:
    entity = ENTITY.get(conn, entity_id) if is_uuid(entity_id) else None
    if entity is None:
        raise NotFound()
    return entity


def _chat_of(tx: Tx, entity_id: str) -> Row:
    """The entity's chat, created on first use."""
    row = tx.execute(CHAT.select().where(s.chat.c.object_id == entity_id)).first()
    if row is not None:
        return CHAT.to_dict(row)
    return crud.insert(tx, CHAT, {"object_id": entity_id, "object_type": "entity"})


def _participants(conn: Connection, chat_id: str) -> list[str]:
    link = s.chat_participant
    return list(conn.execute(sa.select(link.c.person_id).where(link.c.chat_id == chat_id)).scalars())


def _open(ctx: RequestContext, tx: Tx, entity_id: str) -> tuple[Row, Row]:
    entity = _entity(tx.conn, entity_id)
    perm.check_project_access(ctx, tx.conn, entity["project_id"])
    return entity, _chat_of(tx, entity_id)


def _existing(ctx: RequestContext, conn: Connection, entity_id: str) -> Row | None:
    entity = _entity(conn, entity_id)
    perm.check_project_access(ctx, conn, entity["project_id"])
    row = conn.execute(CHAT.select().where(s.chat.c.object_id == entity_id)).first()
    return CHAT.to_dict(row) if row is not None else None


def _for_reading(ctx: RequestContext, entity_id: str) -> Row:
    """The entity's chat; a write transaction only the first time, when it is created."""
    with ctx.read() as conn:
        found = _existing(ctx, conn, entity_id)
    if found is not None:
        return found
    with ctx.write() as tx:
        return _open(ctx, tx, entity_id)[1]


def chat(ctx: RequestContext, entity_id: str) -> Row:
    """The chat of an entity with its participants."""
    found = _for_reading(ctx, entity_id)
    with ctx.read() as conn:
        return {**found, "participants": _participants(conn, found["id"]), "messages": []}


def join(ctx: RequestContext, entity_id: str) -> Row:
    with ctx.write() as tx:
        entity, found = _open(ctx, tx, entity_id)
        if ctx.person_id not in _participants(tx.conn, found["id"]):
            tx.insert(s.chat_participant, {"chat_id": found["id"], "person_id": ctx.person_id})
            crud.update_row(tx, CHAT, found["id"], {})
        tx.emit("chat:joined", {"chat_id": found["id"], "person_id": ctx.person_id},
                project_id=entity["project_id"], persist=False)
        return found


def leave(ctx: RequestContext, entity_id: str) -> None:
    with ctx.write() as tx:
        entity, found = _open(ctx, tx, entity_id)
        link = s.chat_participant
        tx.delete(link, link.c.chat_id == found["id"], link.c.person_id == ctx.person_id)
        crud.update_row(tx, CHAT, found["id"], {})
        tx.emit("chat:left", {"chat_id": found["id"], "person_id": ctx.person_id},
                project_id=entity["project_id"], persist=False)


def _with_attachments(conn: Connection, messages: list[Row]) -> list[Row]:
    by_message: dict[str, list[Row]] = {m["id"]: [] for m in messages}
    if by_message:
        rows = conn.execute(ATTACHMENT.select().where(s.attachment_file.c.chat_message_id.in_(list(by_message))))
        for attachment in ATTACHMENT.to_dicts(rows):
            by_message[attachment["chat_message_id"]].append(attachment)
    for m in messages:
        m["attachment_files"] = by_message[m["id"]]
    return messages


def messages(ctx: RequestContext, entity_id: str) -> list[Row]:
    """Messages of the entity's chat, oldest first, with their attachment files."""
    found = _for_reading(ctx, entity_id)
    m = s.chat_message.c
    with ctx.read() as conn:
        rows = conn.execute(CHAT_MESSAGE.select().where(m.chat_id == found["id"]).order_by(m.created_at, m.id))
        return _with_attachments(conn, CHAT_MESSAGE.to_dicts(rows))


def _message(conn: Connection, chat_id: str, message_id: str) -> Row:
    found = CHAT_MESSAGE.get(conn, message_id) if is_uuid(message_id) else None
    if found is None or found["chat_id"] != chat_id:
        raise NotFound()
    return found


def message(ctx: RequestContext, entity_id: str, message_id: str) -> Row:
    with ctx.read() as conn:
        found = _existing(ctx, conn, entity_id)
        if found is None:
            raise NotFound()
        return _with_attachments(conn, [_message(conn, found["id"], message_id)])[0]




def post_message(ctx: RequestContext, entity_id: str, text: Any, files: list[Upload] | None = None) -> Row:
    """A participant posts a message (and optional attachment files) in the entity's chat."""
    if text is None:
        raise validation_error({"message": "Field required"}, "Validation error.")
    if not isinstance(text, str):
        raise validation_error({"message": "Input should be a valid string"}, "Validation error.")
    with ctx.write() as tx:
        entity, found = _open(ctx, tx, entity_id)
        if ctx.person_id not in _participants(tx.conn, found["id"]):
            raise BadRequest(NOT_PARTICIPANT, body={"error": True, "message": NOT_PARTICIPANT, "data": None})
        posted = crud.insert(tx, CHAT_MESSAGE, {"chat_id": found["id"], "person_id": ctx.person_id, "text": text})
        if files:
            posted["attachment_files"] = [store_attachment(ctx, tx, f, chat_message_id=posted["id"]) for f in files]
        stamp = now()
        tx.update(s.chat, {"last_message": stamp, "updated_at": stamp}, s.chat.c.id == found["id"])
        tx.emit("chat:new-message", {"chat_id": found["id"], "chat_message_id": posted["id"],
                                     "last_message": stamp[:19]},
                project_id=entity["project_id"], persist=False)
        return posted


def delete_message(ctx: RequestContext, entity_id: str, message_id: str) -> None:
    """The author (or an admin) removes a message and its attachments."""
    with ctx.write() as tx:
        entity, found = _open(ctx, tx, entity_id)
        target = _message(tx.conn, found["id"], message_id)
        if target["person_id"] != ctx.person_id and not ctx.is_admin:
            raise Forbidden()
        tx.delete(s.attachment_file, s.attachment_file.c.chat_message_id == message_id)
        tx.delete(s.chat_message, s.chat_message.c.id == message_id)
        tx.emit("chat:deleted-message", {"chat_id": found["id"], "chat_message_id": message_id},
                project_id=entity["project_id"], persist=False)


# ----------------------------------------------------------------------------- the caller's chats

def user_chats(ctx: RequestContext) -> list[Row]:
    """Chats the caller has joined, with the entity's full name, project and preview."""
    c, p, e = s.chat, s.chat_participant, s.entity
    with ctx.read() as conn:
        stmt = (sa.select(c.c.id, c.c.object_id, c.c.last_message, e.c.project_id, e.c.preview_file_id,
                          e.c.id.label("entity_id"))
                .join(p, p.c.chat_id == c.c.id).join(e, e.c.id == c.c.object_id)
                .where(p.c.person_id == ctx.person_id)
                .order_by(c.c.last_message.desc(), c.c.created_at.desc()))
        scope = perm.project_scope(ctx, e.c.project_id)
        if scope is not None:
            stmt = stmt.where(scope)
        rows = conn.execute(stmt).all()
        names = full_entity_names(conn, (r.entity_id for r in rows))
    return [{"id": r.id, "object_id": r.object_id, "last_message": r.last_message[:19] if r.last_message else None,
             "entity_name": names[r.entity_id].name, "project_id": r.project_id, "preview_file_id": r.preview_file_id}
            for r in rows]
