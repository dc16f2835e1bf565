"""SQL of the projects feature: the per-project extras Kitsu reads, fetched in batches."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core.models import METADATA_DESCRIPTOR, PROJECT
from foxtrack.core.rawsql import ForIds
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


def member_clause(person_id: str | sa.BindParameter[str]) -> sa.ColumnElement[bool]:
    link = s.project_person_link
    return s.project.c.id.in_(sa.select(link.c.project_id).where(link.c.person_id == person_id))


_OPEN = PROJECT.select().where(open_clause()).order_by(s.project.c.name)
_OPEN_OF_MEMBER = (PROJECT.select().where(open_clause(), member_clause(sa.bindparam("person_id")))
                   .order_by(s.project.c.name))


def open_projects(conn: Connection, member_id: str | None) -> list[Row]:
    """The open projects (those ``member_id`` is on the team of, when given), by name; built once."""
    if member_id is None:
        return PROJECT.to_dicts(conn.execute(_OPEN))
    return PROJECT.to_dicts(conn.execute(_OPEN_OF_MEMBER, {"person_id": member_id}))


_DESCRIPTORS = ForIds(lambda pick: METADATA_DESCRIPTOR.select().where(pick(s.metadata_descriptor.c.project_id))
                      .order_by(s.metadata_descriptor.c.position, s.metadata_descriptor.c.name))


def descriptors(conn: Connection, project_ids: list[str], full: bool = False) -> dict[str, list[Row]]:
    """Metadata descriptors per project (compact form as in the project dict, or full rows)."""
    out: dict[str, list[Row]] = {pid: [] for pid in project_ids}
    if not project_ids:
        return out
    rows = METADATA_DESCRIPTOR.to_dicts(_DESCRIPTORS.execute(conn, project_ids))
    METADATA_DESCRIPTOR.add_relations(conn, rows)
    for row in rows:
        item = row if full else {k: row[k] for k in DESCRIPTOR_KEYS} | {"departments": row["departments"]}
        out[row["project_id"]].append(item)
    return out


# the per-project extras of a project list, built once (the ids bound at execution)
_TT, _TS, _E, _ET = s.project_task_type_link, s.project_task_status_link, s.entity, s.entity_type
_TASK_TYPE_LINKS = ForIds(lambda pick: sa.select(_TT.c.project_id, _TT.c.task_type_id, _TT.c.priority)
                          .where(pick(_TT.c.project_id)))
_TASK_STATUS_LINKS = ForIds(lambda pick: sa.select(_TS.c.project_id, _TS.c.task_status_id, _TS.c.priority,
                                                   _TS.c.roles_for_board, _TS.c.is_client_allowed)
                            .where(pick(_TS.c.project_id)))
_EPISODES = ForIds(lambda pick: sa.select(_E.c.project_id, _E.c.id).join(_ET, _ET.c.id == _E.c.entity_type_id)
                   .where(_ET.c.name == "Episode", pick(_E.c.project_id))
                   .order_by(_E.c.project_id, _E.c.name, _E.c.created_at))


def task_type_links(conn: Connection, project_ids: list[str]) -> dict[str, dict[str, Row]]:
    out: dict[str, dict[str, Row]] = {pid: {} for pid in project_ids}
    if not project_ids:
        return out
    for pid, tt_id, priority in _TASK_TYPE_LINKS.execute(conn, project_ids):
        out[pid][tt_id] = {"priority": priority, "hd_bitrate_compression": None, "ld_bitrate_compression": None,
                           "is_client_visible": True}
    return out


def task_status_links(conn: Connection, project_ids: list[str]) -> dict[str, dict[str, Row]]:
    out: dict[str, dict[str, Row]] = {pid: {} for pid in project_ids}
    if not project_ids:
        return out
    for pid, ts_id, priority, roles, client_allowed in _TASK_STATUS_LINKS.execute(conn, project_ids):
        out[pid][ts_id] = {"priority": priority,
                           "roles_for_board": roles if roles is not None else list(DEFAULT_ROLES_FOR_BOARD),
                           "is_client_allowed": client_allowed}
    return out


def first_episodes(conn: Connection, project_ids: list[str]) -> dict[str, str]:
    """The first episode (by name) of each project that has one."""
    if not project_ids:
        return {}
    out: dict[str, str] = {}
    for pid, eid in _EPISODES.execute(conn, project_ids):
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
