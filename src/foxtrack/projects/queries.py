"""SQL of the projects feature: the per-project extras Kitsu reads, fetched in batches."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core.models import METADATA_DESCRIPTOR, PROJECT
from foxtrack.core.rawsql import in_ids
from foxtrack.db import schema as s

Row = dict[str, Any]

# Zou's default board roles of a task status link
DEFAULT_ROLES_FOR_BOARD = ["user", "admin", "supervisor", "manager", "vendor"]

DESCRIPTOR_KEYS = ("id", "name", "field_name", "data_type", "choices", "for_client", "entity_type",
                   "task_type_id", "position")


def status_ids(conn: Connection) -> dict[str, str]:
    """Project status name -> id."""
    return {name: id_ for id_, name in conn.execute(sa.select(s.project_status.c.id, s.project_status.c.name))}


def open_status_id(conn: Connection) -> str | None:
    return conn.execute(
        sa.select(s.project_status.c.id).where(s.project_status.c.name == "Open")
    ).scalar()


def is_open(conn: Connection, project_status_id: str | None) -> bool:
    name = conn.execute(
        sa.select(s.project_status.c.name).where(s.project_status.c.id == project_status_id)
    ).scalar()
    return name == "Open"


def projects(conn: Connection, where: list[sa.ColumnElement[bool]]) -> list[Row]:
    return PROJECT.to_dicts(conn.execute(PROJECT.select().where(*where).order_by(s.project.c.name)))


def open_clause() -> sa.ColumnElement[bool]:
    return s.project.c.project_status_id.in_(
        sa.select(s.project_status.c.id).where(s.project_status.c.name == "Open")
    )


def member_clause(person_id: str) -> sa.ColumnElement[bool]:
    link = s.project_person_link
    return s.project.c.id.in_(sa.select(link.c.project_id).where(link.c.person_id == person_id))


def descriptors(conn: Connection, project_ids: list[str], full: bool = False) -> dict[str, list[Row]]:
    """Metadata descriptors per project (compact form as in the project dict, or full rows)."""
    out: dict[str, list[Row]] = {pid: [] for pid in project_ids}
    if not project_ids:
        return out
    md = s.metadata_descriptor
    rows = METADATA_DESCRIPTOR.to_dicts(
        conn.execute(METADATA_DESCRIPTOR.select().where(in_ids(md.c.project_id, project_ids))
                     .order_by(md.c.position, md.c.name))
    )
    METADATA_DESCRIPTOR.add_relations(conn, rows)
    for row in rows:
        item = row if full else {k: row[k] for k in DESCRIPTOR_KEYS} | {"departments": row["departments"]}
        out[row["project_id"]].append(item)
    return out


def task_type_links(conn: Connection, project_ids: list[str]) -> dict[str, dict[str, Row]]:
    out: dict[str, dict[str, Row]] = {pid: {} for pid in project_ids}
    link = s.project_task_type_link
    for pid, tt_id, priority in conn.execute(
        sa.select(link.c.project_id, link.c.task_type_id, link.c.priority).where(in_ids(link.c.project_id, project_ids))
    ):
        out[pid][tt_id] = {"priority": priority, "hd_bitrate_compression": None, "ld_bitrate_compression": None,
                           "is_client_visible": True}
    return out


def task_status_links(conn: Connection, project_ids: list[str]) -> dict[str, dict[str, Row]]:
    out: dict[str, dict[str, Row]] = {pid: {} for pid in project_ids}
    link = s.project_task_status_link
    for pid, ts_id, priority, roles, client_allowed in conn.execute(
        sa.select(link.c.project_id, link.c.task_status_id, link.c.priority, link.c.roles_for_board,
                  link.c.is_client_allowed)
        .where(in_ids(link.c.project_id, project_ids))
    ):
        out[pid][ts_id] = {"priority": priority,
                           "roles_for_board": roles if roles is not None else list(DEFAULT_ROLES_FOR_BOARD),
                           "is_client_allowed": client_allowed}
    return out


def first_episodes(conn: Connection, project_ids: list[str]) -> dict[str, str]:
    """The first episode (by name) of each project that has one."""
    if not project_ids:
        return {}
    e, et = s.entity, s.entity_type
    rows = conn.execute(
        sa.select(e.c.project_id, e.c.id)
        .join(et, et.c.id == e.c.entity_type_id)
        .where(et.c.name == "Episode", in_ids(e.c.project_id, project_ids))
        .order_by(e.c.project_id, e.c.name, e.c.created_at)
    )
    out: dict[str, str] = {}
    for pid, eid in rows:
        out.setdefault(pid, eid)
    return out


def status_names(conn: Connection) -> dict[str, str]:
    return {i: n for i, n in conn.execute(sa.select(s.project_status.c.id, s.project_status.c.name))}


def add_extras(conn: Connection, items: list[Row], status_name: bool = False, links: bool = True) -> None:
    """Decorate project dicts as Zou's project reads do: descriptors, link maps, first episode."""
    if not items:
        return
    ids = [p["id"] for p in items]
    descs = descriptors(conn, ids)
    tt_links = task_type_links(conn, ids) if links else {}
    ts_links = task_status_links(conn, ids) if links else {}
    tvshows = [p["id"] for p in items if p.get("production_type") == "tvshow"]
    episodes = first_episodes(conn, tvshows) if links else {}
    names = status_names(conn) if status_name else {}
    for p in items:
        pid = p["id"]
        p["descriptors"] = descs[pid]
        if links:
            p["task_type_links"] = tt_links[pid]
            p["task_types_priority"] = {k: v["priority"] for k, v in tt_links[pid].items()}
            p["task_statuses_link"] = ts_links[pid]
            if p.get("production_type") == "tvshow":
                p["first_episode_id"] = episodes.get(pid)
        if status_name:
            p["project_status_name"] = names.get(p.get("project_status_id") or "")
