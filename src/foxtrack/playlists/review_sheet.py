"""Playlist work for review sessions: adding many entities at once, the review sheet (CSV) and
mailing a share link to reviewers."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import ApiError, Forbidden, NotFound, validation_error
from foxtrack.core.jsonutil import is_uuid
from foxtrack.crud import service as crud
from foxtrack.csvio.service import slugify
from foxtrack.db import schema as s
from foxtrack.entities.names import full_entity_names
from foxtrack.playlists.service import PLAYLIST, clean_shots
from foxtrack.tasks import queries as tq

Row = dict[str, Any]
Table = tuple[list[str], list[list[Any]]]
log = logging.getLogger("foxtrack.playlists")


def _playlist(conn: Connection, playlist_id: str) -> Row:
    if not is_uuid(playlist_id):
        raise NotFound()
    return tq.load(conn, PLAYLIST, playlist_id)


def check_update_access(ctx: RequestContext, conn: Connection, playlist: Row) -> None:
    """Zou's playlist update rule: a manager of the production, or a supervisor on its team who
    created the playlist (or a playlist without creator)."""
    role = perm.check_project_access(ctx, conn, playlist.get("project_id"))
    if role in (perm.ADMIN, perm.MANAGER):
        return
    if role == perm.SUPERVISOR and playlist.get("created_by") in (None, ctx.person_id):
        return
    raise Forbidden()


# ----------------------------------------------------------------------------- add entities

def _couples(body: Row) -> list[tuple[str, str | None]]:
    entities = body.get("entities")
    if entities is None:
        raise validation_error({"entities": "Field required"}, "Validation error.")
    if not isinstance(entities, list):
        raise validation_error({"entities": "Input should be a valid list"}, "Validation error.")
    if not entities:
        raise validation_error({"entities": "List should have at least 1 item after validation, not 0"},
                               "Validation error.")
    out: list[tuple[str, str | None]] = []
    for index, item in enumerate(entities):
        if not isinstance(item, dict):
            raise validation_error({f"entities.{index}": "Input should be a valid dictionary"}, "Validation error.")
        entity_id, preview_id = item.get("entity_id"), item.get("preview_file_id")
        if entity_id is None:
            raise validation_error({f"entities.{index}.entity_id": "Field required"}, "Validation error.")
        if not is_uuid(entity_id):
            raise validation_error({f"entities.{index}.entity_id": "Input should be a valid UUID"},
                                   "Validation error.")
        if preview_id == "":
            preview_id = None
        if preview_id is not None and not is_uuid(preview_id):
            raise validation_error({f"entities.{index}.preview_file_id": "Input should be a valid UUID"},
                                   "Validation error.")
        out.append((entity_id, preview_id))
    return out


def _latest_previews(conn: Connection, entity_ids: list[str], task_type_id: str | None) -> dict[str, str]:
    """Each entity's newest preview (highest revision), of the task type when one is given."""
    pf, t = s.preview_file, s.task
    out: dict[str, str] = {}
    for start in range(0, len(entity_ids), 900):
        clauses: list[sa.ColumnElement[bool]] = [t.c.entity_id.in_(entity_ids[start:start + 900])]
        if task_type_id:
            clauses.append(t.c.task_type_id == task_type_id)
        for entity_id, preview_id in conn.execute(
                sa.select(t.c.entity_id, pf.c.id).join(t, t.c.id == pf.c.task_id).where(*clauses)
                .order_by(t.c.entity_id, pf.c.revision.desc(), pf.c.created_at.desc())):
            out.setdefault(entity_id, preview_id)
    return out


def add_entities(ctx: RequestContext, playlist_id: str, body: Row) -> Row:
    """Append (entity, preview) couples to a playlist in one write; a couple already there is
    skipped, and a couple without preview gets the entity's newest one. Answers the playlist."""
    with ctx.write() as tx:
        playlist = _playlist(tx.conn, playlist_id)
        check_update_access(ctx, tx.conn, playlist)
        couples = _couples(body)
        unresolved = sorted({entity_id for entity_id, preview_id in couples if preview_id is None})
        resolved = _latest_previews(tx.conn, unresolved, playlist.get("task_type_id")) if unresolved else {}
        shots = list(clean_shots(playlist.get("shots")) or [])
        present = {(shot.get("entity_id"), shot.get("preview_file_id")) for shot in shots if isinstance(shot, dict)}
        added: list[Row] = []
        for entity_id, preview_id in couples:
            couple = (entity_id, preview_id or resolved.get(entity_id))
            if couple in present:
                continue
            shot: Row = {"entity_id": entity_id}
            if couple[1] is not None:
                shot["preview_file_id"] = couple[1]
            shots.append(shot)
            present.add(couple)
            added.append(shot)
        if added:
            crud.update_row(tx, PLAYLIST, playlist_id, {"shots": shots})
        for shot in added:
            tx.emit("playlist:add_entity", {"playlist_id": playlist_id, "entity_id": shot["entity_id"],
                                            "preview_file_id": shot.get("preview_file_id")},
                    project_id=playlist.get("project_id"))
        out = tq.load(tx.conn, PLAYLIST, playlist_id)
    out["shots"] = clean_shots(out.get("shots")) or []
    return out


# ----------------------------------------------------------------------------- review sheet

def _local(stamp: str | None, timezone: str | None) -> str:
    """A stored UTC timestamp in the person's timezone, as ``YYYY-MM-DDTHH:MM:SS``."""
    if not stamp:
        return ""
    try:
        zone = ZoneInfo(timezone or "Europe/Paris")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    try:
        moment = datetime.fromisoformat(stamp[:19]).replace(tzinfo=UTC)
        return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S")
    except (ValueError, OverflowError):
        return stamp[:19]


def _last_comments(conn: Connection, task_ids: list[str]) -> dict[str, Row]:
    """The newest comment of each task not written by a client of the production."""
    c, p, t, link = s.comment, s.person, s.task, s.project_person_link
    role = sa.func.coalesce(link.c.role, p.c.role)
    out: dict[str, Row] = {}
    for start in range(0, len(task_ids), 900):
        rows = conn.execute(
            sa.select(c.c.object_id, c.c.text, c.c.created_at, c.c.person_id, p.c.first_name, p.c.last_name)
            .join(p, p.c.id == c.c.person_id).join(t, t.c.id == c.c.object_id)
            .outerjoin(link, sa.and_(link.c.person_id == p.c.id, link.c.project_id == t.c.project_id))
            .where(c.c.object_id.in_(task_ids[start:start + 900]), sa.or_(role.is_(None), role != "client"))
            .order_by(c.c.object_id, c.c.created_at))
        for task_id, text, created_at, _person_id, first, last in rows:
            out[task_id] = {"text": text or "", "date": created_at, "author": f"{first or ''} {last or ''}".strip()}
    return out


def review_sheet(ctx: RequestContext, playlist_id: str) -> tuple[Table, str]:
    """The playlist as a review sheet: a title line, then per entry the entity, frames, task type,
    retakes, revision, status and the last comment. ``(table, file name)``."""
    if ctx.role == perm.VENDOR:
        raise Forbidden()
    with ctx.read() as conn:
        playlist = _playlist(conn, playlist_id)
        role = perm.check_project_access(ctx, conn, playlist.get("project_id"))
        allowed = role in (perm.ADMIN, perm.MANAGER, perm.SUPERVISOR) or (
            role == perm.CLIENT and bool(playlist.get("for_client")))
        if not allowed:
            raise Forbidden()
        project_name = conn.execute(sa.select(s.project.c.name)
                                    .where(s.project.c.id == playlist["project_id"])).scalar() or ""
        timezone = conn.execute(sa.select(s.person.c.timezone).where(s.person.c.id == ctx.person_id)).scalar()
        shots = [sh for sh in (clean_shots(playlist.get("shots")) or []) if isinstance(sh, dict)]
        pf, t, e = s.preview_file, s.task, s.entity
        preview_ids = [str(sh["preview_file_id"]) for sh in shots if sh.get("preview_file_id")]
        previews: dict[str, Row] = {}
        for start in range(0, len(preview_ids), 900):
            for row in conn.execute(
                    sa.select(pf.c.id, pf.c.revision, t.c.id, t.c.retake_count, t.c.task_type_id, t.c.task_status_id)
                    .join(t, t.c.id == pf.c.task_id).where(pf.c.id.in_(preview_ids[start:start + 900]))):
                previews[row[0]] = {"revision": row[1], "task_id": row[2], "retake_count": row[3],
                                    "task_type_id": row[4], "task_status_id": row[5]}
        entity_ids = [str(sh.get("entity_id")) for sh in shots if sh.get("entity_id")]
        frames = {r[0]: r[1] for r in conn.execute(sa.select(e.c.id, e.c.nb_frames).where(e.c.id.in_(entity_ids)))}
        names = full_entity_names(conn, entity_ids)
        task_types = {r[0]: r[1] for r in conn.execute(sa.select(s.task_type.c.id, s.task_type.c.name))}
        statuses = {r[0]: r[1] for r in conn.execute(sa.select(s.task_status.c.id, s.task_status.c.name))}
        comments = _last_comments(conn, sorted({p["task_id"] for p in previews.values()}))
        episode_name = None
        if playlist.get("episode_id"):
            episode_name = conn.execute(sa.select(e.c.name).where(e.c.id == playlist["episode_id"])).scalar()
    context = project_name + (f" - {episode_name}" if episode_name else "")
    context += " | for shots" if playlist.get("for_entity") == "shot" else " | for assets"
    header = ["Playlist", context, playlist.get("name") or "", _local(playlist.get("created_at"), timezone),
              "", "", ""]
    rows: list[list[Any]] = [["", "", "", "", "", "", ""],
                             ["Entity name", "Nb Frames", "Task Type", "Retake count", "Revision", "Task Status",
                              "Last comment author", "Last comment date", "Last comment"]]
    for shot in shots:
        entity_id = str(shot.get("entity_id") or "")
        name = names[entity_id].name if entity_id in names else ""
        preview = previews.get(str(shot.get("preview_file_id") or ""))
        if preview is None:
            rows.append([name, frames.get(entity_id, ""), "", "", "", "", "", "", ""])
            continue
        comment = comments.get(preview["task_id"], {})
        rows.append([name, frames.get(entity_id, ""), task_types.get(preview["task_type_id"], ""),
                     preview["retake_count"], preview["revision"], statuses.get(preview["task_status_id"], ""),
                     comment.get("author", ""), _local(comment.get("date"), timezone), comment.get("text", "")])
    title = f"{project_name} playlist {playlist.get('name') or ''}"
    file_name = f"kitsu_{slugify(title)}.csv"
    return (header, rows), file_name


# ----------------------------------------------------------------------------- invitations

def _checked_email(raw: str) -> str:
    """Zou's check of an address (email-validator's messages, no deliverability test)."""
    text = raw.strip()
    if text.count("@") != 1:
        raise ApiError("", body={"error": "The email address is not valid. It must have exactly one @-sign."})
    local, domain = text.split("@")
    if not local:
        raise ApiError("", body={"error": "There must be something before the @-sign."})
    if not domain:
        raise ApiError("", body={"error": "There must be something after the @-sign."})
    if "." not in domain.strip(".") or " " in text:
        raise ApiError("", body={"error": "The part after the @-sign is not valid. It should have a period."})
    return f"{local}@{domain.lower()}"


def _string_list(body: Row, key: str, uuids: bool = False) -> list[str]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise validation_error({key: "Input should be a valid list"}, "Validation error.")
    for index, item in enumerate(value):
        if not isinstance(item, str) or (uuids and not is_uuid(item)):
            message = "Input should be a valid UUID" if uuids else "Input should be a valid string"
            raise validation_error({f"{key}.{index}": message}, "Validation error.")
    return list(value)


def invite(ctx: RequestContext, playlist_id: str, token: str, body: Row) -> Row:
    """Send the share link to reviewers (addresses and/or persons); ``{"sent": [addresses]}``.
    foxtrack has no mail server: as Zou when delivery fails, the answer is the same and the
    failure is logged."""
    perm.require_manager(ctx)
    with ctx.read() as conn:
        playlist = _playlist(conn, playlist_id)
        perm.check_manager_project_access(ctx, conn, playlist.get("project_id"))
        link = s.playlist_share_link
        found = conn.execute(sa.select(link.c.playlist_id, link.c.is_active).where(link.c.token == token)).first()
        if found is None or found[0] != playlist_id or not found[1]:
            raise NotFound("Playlist share link not found.")
        emails = _string_list(body, "emails")
        person_ids = _string_list(body, "person_ids", uuids=True)
        message = body.get("message")
        if message is not None and not isinstance(message, str):
            raise validation_error({"message": "Input should be a valid string"}, "Validation error.")
        recipients: dict[str, str] = {}
        for raw in emails:
            address = _checked_email(raw)
            recipients.setdefault(address.lower(), address)
        if person_ids:
            p = s.person
            for (email,) in conn.execute(sa.select(p.c.email).where(p.c.id.in_(person_ids))):
                if email:
                    address = _checked_email(email)
                    recipients[address.lower()] = address
    sent = list(recipients.values())
    for address in sent:
        log.warning("share invitation for %s not delivered: no mail server is configured", address)
    return {"sent": sent}
