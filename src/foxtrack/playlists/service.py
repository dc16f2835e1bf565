"""Playlists: CRUD hooks, adding and removing entities, per-project lists."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext, Tx
from foxtrack.core.errors import BadRequest, Forbidden, NotFound, validation_error
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import ENTITY, MODELS
from foxtrack.crud import service as crud
from foxtrack.crud.policy import Policies
from foxtrack.db import schema as s
from foxtrack.storage import storage_of
from foxtrack.tasks import queries as tq

Row = dict[str, Any]
PLAYLIST = MODELS["playlists"]
BUILD_JOB = MODELS["build-jobs"]
PAGE_SIZE = 20
LIST_KEYS = ("type", "id", "name", "project_id", "episode_id", "task_type_id", "for_client", "for_entity",
             "is_for_all", "created_at", "updated_at", "created_by")


def build_jobs(conn: Connection, playlist_id: str) -> list[Row]:
    bj = s.build_job
    return BUILD_JOB.to_dicts(conn.execute(BUILD_JOB.select().where(bj.c.playlist_id == playlist_id)
                                           .order_by(bj.c.created_at.desc())))


def clean_shots(shots: Any) -> Any:
    """The Kitsu UI sends ``preview_file_id: ""`` for an entity without preview: it is stored, and
    answered, as null."""
    if not isinstance(shots, list):
        return shots
    return [{**shot, "preview_file_id": None} if isinstance(shot, dict) and shot.get("preview_file_id") == ""
            else shot for shot in shots]


def _checked_shots(values: Row) -> Row:
    if values.get("shots") is not None:
        if not isinstance(values["shots"], list):
            raise validation_error({"shots": "Input should be a valid list"}, "Validation error.")
        values["shots"] = clean_shots(values["shots"])
    return values


def _before_create(ctx: RequestContext, tx: Tx, values: Row) -> Row:
    values["created_by"] = values.get("created_by") or ctx.person_id
    values.setdefault("for_entity", "shot")
    return _checked_shots(values)


def _before_update(ctx: RequestContext, tx: Tx, _current: Row, values: Row) -> Row:
    return _checked_shots(values)


def _with_jobs(ctx: RequestContext, tx: Tx, row: Row, _other: Row) -> Row:
    row["shots"] = clean_shots(row.get("shots"))
    row["build_jobs"] = build_jobs(tx.conn, row["id"])
    return row


def _shape_one(ctx: RequestContext, conn: Connection, row: Row) -> Row:
    row["shots"] = clean_shots(row.get("shots"))
    row["build_jobs"] = build_jobs(conn, row["id"])
    return row


def _delete_hook(ctx: RequestContext, tx: Tx, playlist: Row, force: bool) -> None:
    job_ids = [r[0] for r in tx.execute(sa.select(s.build_job.c.id)
                                        .where(s.build_job.c.playlist_id == playlist["id"]))]
    tx.delete(s.build_job, s.build_job.c.playlist_id == playlist["id"])
    tx.delete(s.playlist_share_link, s.playlist_share_link.c.playlist_id == playlist["id"])
    store = storage_of(ctx.state)
    for job_id in job_ids:
        store.delete("movies", "playlists", job_id)
    tx.delete(s.notification, s.notification.c.playlist_id == playlist["id"])
    tx.delete(s.playlist, s.playlist.c.id == playlist["id"])
    tx.emit("playlist:delete", {"playlist_id": playlist["id"]}, project_id=playlist.get("project_id"))


def register_crud(policies: Policies) -> None:
    """This feature's rules for the generic ``/data/<model>`` routes (called by the app factory)."""
    policies.register("playlists", before_create=_before_create, before_update=_before_update, after_create=_with_jobs,
             shape_one=_shape_one, delete_hook=_delete_hook, protected=frozenset({"created_by"}))


def _load_for_change(ctx: RequestContext, tx: Tx, playlist_id: str) -> Row:
    playlist = tq.load(tx.conn, PLAYLIST, playlist_id)
    perm.check_supervisor_project_access(ctx, tx.conn, playlist.get("project_id"))
    return playlist


def add_entity(ctx: RequestContext, playlist_id: str, body: Row) -> Row:
    """Append an entity (with the preview to show) to a playlist; answers the playlist."""
    entity_id, preview_id = body.get("entity_id"), body.get("preview_file_id")
    if not entity_id:
        raise validation_error({"entity_id": "Field required"}, "Validation error.")
    with ctx.write() as tx:
        playlist = _load_for_change(ctx, tx, playlist_id)
        tq.load(tx.conn, ENTITY, str(entity_id))
        if preview_id:
            tq.load(tx.conn, MODELS["preview-files"], str(preview_id))
        else:
            preview_id = _last_preview(tx.conn, entity_id, playlist.get("task_type_id"))
        shots = [sh for sh in (playlist.get("shots") or []) if sh.get("entity_id") != entity_id]
        shots.append({"entity_id": entity_id, "preview_file_id": preview_id})
        crud.update_row(tx, PLAYLIST, playlist_id, {"shots": shots})
        tx.emit("playlist:add_entity", {"playlist_id": playlist_id, "entity_id": entity_id,
                                        "preview_file_id": preview_id}, project_id=playlist.get("project_id"))
        return tq.load(tx.conn, PLAYLIST, playlist_id)


def remove_entity(ctx: RequestContext, playlist_id: str, body: Row) -> Row:
    entity_id = body.get("entity_id")
    if not entity_id:
        raise validation_error({"entity_id": "Field required"}, "Validation error.")
    with ctx.write() as tx:
        playlist = _load_for_change(ctx, tx, playlist_id)
        shots = [sh for sh in (playlist.get("shots") or []) if sh.get("entity_id") != entity_id]
        crud.update_row(tx, PLAYLIST, playlist_id, {"shots": shots})
        tx.emit("playlist:update", {"playlist_id": playlist_id}, project_id=playlist.get("project_id"))
        return tq.load(tx.conn, PLAYLIST, playlist_id)


def _last_preview(conn: Connection, entity_id: str, task_type_id: str | None) -> str | None:
    pf, t = s.preview_file, s.task
    clauses = [t.c.entity_id == entity_id]
    if task_type_id:
        clauses.append(t.c.task_type_id == task_type_id)
    return conn.execute(sa.select(pf.c.id).join(t, t.c.id == pf.c.task_id).where(*clauses)
                        .order_by(pf.c.created_at.desc()).limit(1)).scalar()


def project_playlists(ctx: RequestContext, project_id: str, episode_id: str | None, page: int,
                      for_client: bool = False) -> list[Row]:
    """Playlists of a project, most recently updated first, 20 per page (a plain array)."""
    p = s.playlist
    with ctx.read() as conn:
        tq.load(conn, tq.PROJECT, project_id)
        role = perm.check_project_access(ctx, conn, project_id)
        clauses = [p.c.project_id == project_id]
        if episode_id:
            if not is_uuid(episode_id) and episode_id not in ("main", "all"):
                raise BadRequest("Malformed ID.")
            if episode_id == "main":
                clauses.append(p.c.episode_id.is_(None))
            elif episode_id != "all":
                clauses.append(p.c.episode_id == episode_id)
        if role == perm.CLIENT or for_client:
            clauses.append(p.c.for_client.is_(True))
        stmt = PLAYLIST.select().where(*clauses).order_by(p.c.updated_at.desc(), p.c.id)
        if page > 0:
            stmt = stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
        rows = PLAYLIST.to_dicts(conn.execute(stmt))
    out = []
    for row in rows:
        item = {k: row[k] for k in LIST_KEYS}
        shots = row.get("shots") or []
        item["first_preview_file_id"] = next((sh.get("preview_file_id") for sh in shots
                                              if sh.get("preview_file_id")), None)
        out.append(item)
    return out


def playlist_in_project(ctx: RequestContext, project_id: str, playlist_id: str) -> Row:
    with ctx.read() as conn:
        playlist = tq.load(conn, PLAYLIST, playlist_id)
        if playlist.get("project_id") != project_id:
            raise NotFound()
        perm.check_project_access(ctx, conn, project_id)
        if ctx.role == perm.VENDOR:
            raise Forbidden()
        playlist["shots"] = clean_shots(playlist.get("shots")) or []
        playlist["build_jobs"] = build_jobs(conn, playlist_id)
        with_preview_files(conn, playlist["shots"])
        return playlist


PREVIEW_KEYS = ("id", "revision", "extension", "width", "height", "duration", "status", "created_at", "task_id")


def with_preview_files(conn: Connection, shots: list[Row], annotations: bool = False) -> None:
    """Zou's playlist entries: each gets ``id`` (its entity) and ``preview_files`` (per task type, the
    entity's previews newest revision first, the other files of a revision under ``previews``); the
    entry's chosen preview is described by ``preview_file_*`` keys, or dropped when it is gone."""
    pf, t, tt = s.preview_file, s.task, s.task_type
    entity_ids = []
    for shot in shots:
        entity_id = shot.get("id") or shot.get("shot_id") or shot.get("entity_id")
        if entity_id:
            entity_ids.append(entity_id)
            shot.setdefault("id", entity_id)
    columns = [pf.c[k] for k in PREVIEW_KEYS] + ([pf.c.annotations] if annotations else [])
    by_entity: dict[str, dict[str, list[Row]]] = {}
    by_id: dict[str, Row] = {}
    heads: dict[tuple[str, str, int], Row] = {}
    if entity_ids:
        rows = conn.execute(
            sa.select(*columns, t.c.task_type_id, t.c.entity_id).join(t, t.c.id == pf.c.task_id)
            .join(tt, tt.c.id == t.c.task_type_id).where(t.c.entity_id.in_(entity_ids))
            .order_by(tt.c.priority.desc(), tt.c.name, pf.c.revision.desc(), pf.c.position, pf.c.created_at))
        for row in rows:
            *values, task_type_id, entity_id = row
            item = dict(zip(PREVIEW_KEYS + (("annotations",) if annotations else ()), values))
            item["duration"] = float(item["duration"] or 0)
            item["status"] = str(item["status"])
            item["created_at"] = (item["created_at"] or "")[:19] or None
            by_id[item["id"]] = item
            head = heads.get((entity_id, task_type_id, item["revision"]))
            if head is None:  # Zou's mix_preview_file_revisions: one entry per revision
                item["previews"] = []
                heads[(entity_id, task_type_id, item["revision"])] = item
                by_entity.setdefault(entity_id, {}).setdefault(task_type_id, []).append(item)
            else:
                head["previews"].append(item)
    for shot in shots:
        entity_id = shot.get("id")
        shot["preview_files"] = by_entity.get(entity_id, []) if entity_id else []
        preview = by_id.get(shot.get("preview_file_id") or "")
        if preview is None:
            shot.pop("preview_file_id", None)
            continue
        for key in ("extension", "revision", "width", "height", "duration", "status", "task_id"):
            shot[f"preview_file_{key}"] = preview[key]
        shot["preview_file_previews"] = preview.get("previews", [])
        if annotations:
            shot["preview_file_annotations"] = preview.get("annotations")


def build_job(ctx: RequestContext, playlist_id: str, job_id: str) -> Row:
    with ctx.read() as conn:
        playlist = tq.load(conn, PLAYLIST, playlist_id)
        perm.check_project_access(ctx, conn, playlist.get("project_id"))
        job = tq.load(conn, BUILD_JOB, job_id)
        if job.get("playlist_id") != playlist_id:
            raise NotFound()
        return job


def delete_build_job(ctx: RequestContext, playlist_id: str, job_id: str) -> None:
    with ctx.write() as tx:
        playlist = _load_for_change(ctx, tx, playlist_id)
        job = tq.load(tx.conn, BUILD_JOB, job_id)
        if job.get("playlist_id") != playlist_id:
            raise NotFound()
        tx.delete(s.build_job, s.build_job.c.id == job_id)
        storage_of(ctx.state).delete("movies", "playlists", job_id)
        tx.emit("build-job:delete", {"build_job_id": job_id, "playlist_id": playlist_id},
                project_id=playlist.get("project_id"))


def project_build_jobs(ctx: RequestContext, project_id: str) -> list[Row]:
    bj, p = s.build_job, s.playlist
    with ctx.read() as conn:
        tq.load(conn, tq.PROJECT, project_id)
        perm.check_project_access(ctx, conn, project_id)
        return BUILD_JOB.to_dicts(conn.execute(
            BUILD_JOB.select().join(p, p.c.id == bj.c.playlist_id).where(p.c.project_id == project_id)
            .order_by(bj.c.created_at.desc())))
