"""SQL of the user area: the caller's task rows and notifications, each in one joined query."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core.models import TASK
from foxtrack.db import schema as s
from foxtrack.entities.names import FullName, full_entity_names

Row = dict[str, Any]


# entity aliases built once: an alias builds its column collection (every column) when first used
_EPISODE_ALIAS = s.entity.alias("episode")
_SEQUENCE_ALIAS = s.entity.alias("sequence")


def _open_projects() -> sa.Select[Any]:
    return sa.select(s.project.c.id).join(
        s.project_status, s.project_status.c.id == s.project.c.project_status_id
    ).where(s.project_status.c.name == "Open")


def _task_row_extras() -> list[Any]:
    e, p, tt, ts, et = s.entity, s.project, s.task_type, s.task_status, s.entity_type
    seq, ep = _SEQUENCE_ALIAS, _EPISODE_ALIAS
    return [
        p.c.name.label("project_name"),
        p.c.has_avatar.label("project_has_avatar"),
        e.c.name.label("entity_name"),
        e.c.description.label("entity_description"),
        e.c.data.label("entity_data"),
        e.c.preview_file_id.label("entity_preview_file_id"),
        e.c.source_id.label("entity_source_id"),
        et.c.name.label("entity_type_name"),
        e.c.canceled.label("entity_canceled"),
        seq.c.name.label("sequence_name"),
        sa.func.coalesce(ep.c.id, e.c.source_id).label("episode_id"),
        ep.c.name.label("episode_name"),
        tt.c.for_entity.label("task_type_for_entity"),
        tt.c.name.label("task_type_name"),
        ts.c.name.label("task_status_name"),
        tt.c.color.label("task_type_color"),
        ts.c.color.label("task_status_color"),
        ts.c.short_name.label("task_status_short_name"),
    ]


_EXTRAS = _task_row_extras()
_EXTRA_NAMES = [str(c.name) for c in _EXTRAS]


def task_rows_statement(where: Iterable[sa.ColumnElement[bool]]) -> sa.Select[Any]:
    """The to-do rows' statement for ``where``: a route whose filters only bind values builds it once."""
    t, e, p, tt, ts, et = s.task, s.entity, s.project, s.task_type, s.task_status, s.entity_type
    seq, ep = _SEQUENCE_ALIAS, _EPISODE_ALIAS
    return (
        TASK.select().add_columns(*_EXTRAS)
        .join(e, e.c.id == t.c.entity_id)
        .join(p, p.c.id == t.c.project_id)
        .join(tt, tt.c.id == t.c.task_type_id)
        .join(ts, ts.c.id == t.c.task_status_id)
        .join(et, et.c.id == e.c.entity_type_id)
        .outerjoin(seq, seq.c.id == e.c.parent_id)
        .outerjoin(ep, ep.c.id == seq.c.parent_id)
        .where(*where)
        .order_by(p.c.name, e.c.name, tt.c.priority, tt.c.name)
    )


def task_rows(conn: Connection, where: Iterable[sa.ColumnElement[bool]]) -> list[Row]:
    """Tasks joined with their entity, parents, project, type and status names (Kitsu's to-do rows)."""
    return read_task_rows(conn, task_rows_statement(where))


def read_task_rows(conn: Connection, stmt: sa.Select[Any], params: dict[str, Any] | None = None) -> list[Row]:
    """The to-do rows of a ``task_rows_statement`` (its bound values in ``params``), with assignees
    and last comments."""
    n = len(TASK.keys)
    out: list[Row] = []
    for row in conn.execute(stmt, params or {}):
        task = TASK.to_dict(row[:n])
        task.update(zip(_EXTRA_NAMES, row[n:]))
        task["entity_preview_file_id"] = task["entity_preview_file_id"] or ""
        task["entity_source_id"] = task["entity_source_id"] or ""
        task["entity_canceled"] = bool(task["entity_canceled"])
        task["task_estimation"] = task.get("estimation")
        task["task_duration"] = task.get("duration")
        task["task_start_date"] = task.get("start_date")
        task["task_due_date"] = task.get("due_date")
        out.append(task)
    if out:
        TASK.add_relations(conn, out)
        comments = last_comments(conn, [r["id"] for r in out])
        for task in out:
            task["last_comment"] = comments.get(task["id"], {})
    return out


def last_comments(conn: Connection, task_ids: list[str]) -> dict[str, Row]:
    c = s.comment
    ranked = (
        sa.select(c.c.object_id, c.c.text, c.c.created_at, c.c.person_id,
                  sa.func.row_number().over(partition_by=c.c.object_id, order_by=c.c.created_at.desc()).label("n"))
        .where(c.c.object_id.in_(task_ids))
        .subquery()
    )
    rows = conn.execute(sa.select(ranked.c.object_id, ranked.c.text, ranked.c.created_at, ranked.c.person_id)
                        .where(ranked.c.n == 1))
    return {tid: {"text": text, "date": (date or "")[:19], "person_id": pid} for tid, text, date, pid in rows}


def assigned_to(person_id: str | sa.BindParameter[str]) -> sa.ColumnElement[bool]:
    link = s.task_person_link
    return s.task.c.id.in_(sa.select(link.c.task_id).where(link.c.person_id == person_id))


def in_open_projects() -> sa.ColumnElement[bool]:
    return s.task.c.project_id.in_(_open_projects())


def in_projects_of(person_id: str) -> sa.ColumnElement[bool]:
    link = s.project_person_link
    return s.task.c.project_id.in_(sa.select(link.c.project_id).where(link.c.person_id == person_id))


def notifications(conn: Connection, person_id: str, where: Iterable[sa.ColumnElement[bool]] = ()) -> list[Row]:
    """The person's notifications with the comment, task, entity and project they are about."""
    n, c, t, e, p = s.notification, s.comment, s.task, s.entity, s.project
    pl = s.playlist
    stmt = (
        sa.select(
            n.c.id, n.c.type, n.c.author_id, n.c.comment_id, n.c.task_id, t.c.task_type_id,
            c.c.task_status_id, c.c.preview_file_id, t.c.project_id, p.c.name.label("project_name"),
            c.c.text, c.c.replies, n.c.reply_id, n.c.created_at, n.c.read, n.c.change,
            t.c.entity_id, e.c.preview_file_id.label("epf"),
            n.c.playlist_id, pl.c.name.label("playlist_name"), pl.c.for_entity, pl.c.is_for_all,
            pl.c.episode_id.label("playlist_episode_id"),
        )
        .select_from(n)
        .outerjoin(c, c.c.id == n.c.comment_id)
        .outerjoin(t, t.c.id == n.c.task_id)
        .outerjoin(e, e.c.id == t.c.entity_id)
        .outerjoin(p, p.c.id == t.c.project_id)
        .outerjoin(pl, pl.c.id == n.c.playlist_id)
        .where(n.c.person_id == person_id, *where)
        .order_by(n.c.created_at.desc())
    )
    rows = conn.execute(stmt).mappings().all()
    comment_ids = [r["comment_id"] for r in rows if r["comment_id"]]
    mentions = _links(conn, s.comment_mentions, "person_id", comment_ids)
    dept_mentions = _links(conn, s.comment_department_mentions, "department_id", comment_ids)
    names = full_entity_names(conn, (r["entity_id"] for r in rows if not r["playlist_id"]))
    out = []
    for r in rows:
        reply_text, reply_mentions = "", list[str]()
        if r["reply_id"]:
            for reply in r["replies"] or []:
                if isinstance(reply, dict) and reply.get("id") == r["reply_id"]:
                    reply_text = reply.get("text") or ""
                    reply_mentions = reply.get("mentions") or []
        # A playlist notification names no entity: its episode is the playlist's (as Zou).
        full = FullName("", r["playlist_episode_id"]) if r["playlist_id"] else names.get(r["entity_id"], FullName("", None))
        out.append({
            "id": r["id"], "type": "Notification", "notification_type": r["type"],
            "author_id": r["author_id"], "comment_id": r["comment_id"], "task_id": r["task_id"],
            "task_type_id": r["task_type_id"], "task_status_id": r["task_status_id"],
            "mentions": mentions.get(r["comment_id"], []),
            "department_mentions": dept_mentions.get(r["comment_id"], []),
            "reply_mentions": reply_mentions, "reply_department_mentions": [],
            "preview_file_id": r["preview_file_id"], "project_id": r["project_id"],
            "project_name": r["project_name"], "comment_text": r["text"] or "", "reply_text": reply_text,
            "created_at": (r["created_at"] or "")[:19], "read": bool(r["read"]), "change": bool(r["change"]),
            "full_entity_name": full.name, "episode_id": full.episode_id,
            "entity_preview_file_id": r["epf"], "subscription_id": None,
            "playlist_id": r["playlist_id"], "playlist_name": r["playlist_name"] or "",
            "playlist_for_entity": r["for_entity"] or "", "playlist_is_for_all": bool(r["is_for_all"]),
        })
    return out


def _links(conn: Connection, table: sa.Table, column: str, comment_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if not comment_ids:
        return out
    for cid, other in conn.execute(sa.select(table.c.comment_id, table.c[column])
                                   .where(table.c.comment_id.in_(comment_ids))):
        out.setdefault(cid, []).append(other)
    return out
