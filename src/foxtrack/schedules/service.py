"""Schedule rules: a version's task links (copied from the production or from another version,
applied back to the production) and the schedule items of a task type per episode, sequence, asset
type or edit."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext, Tx
from foxtrack.core.errors import Forbidden, MalformedId, validation_error, wrong_parameter
from foxtrack.core.jsonutil import is_uuid, new_id, now
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.entities import types
from foxtrack.schedules.models import TASK_LINK, VERSION, block_vendor_and_client
from foxtrack.tasks import queries as tq

Row = dict[str, Any]
links, people = s.production_schedule_version_task_link, s.production_schedule_version_task_link_person_link
SELF_COPY = "A production schedule version cannot be copied onto itself."
OTHER_PROJECT = "Production schedule versions must belong to the same project."


def _check_id(value: str) -> str:
    if not is_uuid(value):
        raise MalformedId()
    return value


def _version(conn: Connection, version_id: str) -> Row:
    return tq.load(conn, VERSION, version_id)


# ----------------------------------------------------------------------------- task links

def task_links(ctx: RequestContext, version_id: str, task_type_id: str | None, relations: bool) -> list[Row]:
    """The task links of a version (optionally of one task type), with assignees on request."""
    with ctx.read() as conn:
        version = _version(conn, version_id)
        perm.check_project_access(ctx, conn, version["project_id"])
        block_vendor_and_client(ctx)
        stmt = TASK_LINK.select().where(links.c.production_schedule_version_id == version_id)
        if task_type_id is not None:
            stmt = stmt.join(s.task, s.task.c.id == links.c.task_id).where(
                s.task.c.task_type_id == _check_id(task_type_id))
        rows = TASK_LINK.to_dicts(conn.execute(stmt.order_by(links.c.created_at, links.c.id)))
        if relations:
            TASK_LINK.add_relations(conn, rows)
        return rows


def _upsert_links(tx: Tx, version_id: str, sources: list[Row]) -> list[str]:
    """Create or refresh the version's link of each source task (dates and estimation); the ids of
    the links written."""
    existing = {task_id: link_id for link_id, task_id in tx.execute(
        sa.select(links.c.id, links.c.task_id).where(links.c.production_schedule_version_id == version_id))}
    stamp = now()
    new_rows, changed = [], []
    for source in sources:
        values = {"start_date": source["start_date"], "due_date": source["due_date"],
                  "estimation": source["estimation"] or 0.0}
        link_id = existing.get(source["task_id"])
        if link_id is None:
            new_rows.append({"id": new_id(), "created_at": stamp, "updated_at": stamp,
                             "production_schedule_version_id": version_id, "task_id": source["task_id"], **values})
        else:
            changed.append({"b_id": link_id, "updated_at": stamp, **values})
    tx.insert(links, new_rows)
    tx.update_many(links, "id", changed)
    return [r["id"] for r in new_rows] + [r["b_id"] for r in changed]


def _replace_assignees(tx: Tx, link_ids: list[str], assignees: dict[str, list[str]]) -> None:
    """Give each link of ``link_ids`` the persons listed for it in ``assignees``."""
    if not link_ids:
        return
    tx.delete(people, people.c.production_schedule_version_task_link_id.in_(link_ids))
    tx.insert(people, [{"production_schedule_version_task_link_id": link_id, "person_id": person_id}
                       for link_id in link_ids for person_id in dict.fromkeys(assignees.get(link_id, []))])


def _link_ids_by_task(tx: Tx, version_id: str) -> dict[str, str]:
    return {task_id: link_id for link_id, task_id in tx.execute(
        sa.select(links.c.id, links.c.task_id).where(links.c.production_schedule_version_id == version_id))}


def links_from_production(ctx: RequestContext, version_id: str) -> Row:
    """Copy every task's dates, estimation and assignees of the production into the version."""
    t, tpl = s.task, s.task_person_link
    with ctx.write() as tx:
        version = _version(tx.conn, version_id)
        perm.check_manager_project_access(ctx, tx.conn, version["project_id"])
        sources = [dict(r._mapping) for r in tx.execute(
            sa.select(t.c.id.label("task_id"), t.c.start_date, t.c.due_date, t.c.estimation)
            .where(t.c.project_id == version["project_id"]))]
        _upsert_links(tx, version_id, sources)
        by_task = _link_ids_by_task(tx, version_id)
        assignees: dict[str, list[str]] = {}
        for task_id, person_id in tx.execute(
                sa.select(tpl.c.task_id, tpl.c.person_id).join(t, t.c.id == tpl.c.task_id)
                .where(t.c.project_id == version["project_id"])):
            if task_id in by_task:
                assignees.setdefault(by_task[task_id], []).append(person_id)
        _replace_assignees(tx, list(by_task.values()), assignees)
    return {"success": True, "task_link_count": len(sources)}


def links_from_version(ctx: RequestContext, version_id: str, body: Row) -> Row:
    """Copy the task links (dates, estimation, assignees) of another version of the same project."""
    other_id = body.get("production_schedule_version_id")
    if not other_id:
        raise validation_error({"production_schedule_version_id": "Field required"}, "Validation error.")
    if not is_uuid(other_id):
        raise validation_error({"production_schedule_version_id": "Input should be a valid UUID"},
                               "Validation error.")
    with ctx.write() as tx:
        version = _version(tx.conn, version_id)
        perm.check_manager_project_access(ctx, tx.conn, version["project_id"])
        other = _version(tx.conn, str(other_id))
        if other["project_id"] != version["project_id"]:
            raise wrong_parameter(OTHER_PROJECT)
        if other["id"] == version["id"]:
            raise wrong_parameter(SELF_COPY)
        sources = [dict(r._mapping) for r in tx.execute(
            sa.select(links.c.id.label("source_id"), links.c.task_id, links.c.start_date, links.c.due_date,
                      links.c.estimation).where(links.c.production_schedule_version_id == other["id"]))]
        _upsert_links(tx, version_id, sources)
        by_task = _link_ids_by_task(tx, version_id)
        source_link = {r["source_id"]: by_task[r["task_id"]] for r in sources}
        assignees: dict[str, list[str]] = {}
        for source_id, person_id in tx.execute(sa.select(
                people.c.production_schedule_version_task_link_id, people.c.person_id)
                .where(people.c.production_schedule_version_task_link_id.in_(list(source_link) or [""]))):
            assignees.setdefault(source_link[source_id], []).append(person_id)
        _replace_assignees(tx, list(source_link.values()), assignees)
        crud.update_row(tx, VERSION, version_id, {"production_schedule_from": other["id"]})
        tx.emit("production_schedule_version:update", {"production_schedule_version_id": version_id},
                project_id=version["project_id"])
    return {"success": True, "task_link_count": len(sources)}


def apply_to_production(ctx: RequestContext, version_id: str) -> Row:
    """Set the tasks' dates and estimations from the version's links; the version becomes locked
    and the production remembers it."""
    t = s.task
    with ctx.write() as tx:
        version = _version(tx.conn, version_id)
        perm.check_manager_project_access(ctx, tx.conn, version["project_id"])
        rows = list(tx.execute(sa.select(links.c.task_id, links.c.start_date, links.c.due_date, links.c.estimation,
                                         t.c.project_id).join(t, t.c.id == links.c.task_id)
                               .where(links.c.production_schedule_version_id == version_id)))
        stamp = now()
        tx.update_many(t, "id", [{"b_id": r.task_id, "start_date": r.start_date, "due_date": r.due_date,
                                  "estimation": r.estimation, "updated_at": stamp} for r in rows])
        for r in rows:
            tx.emit("task:update", {"task_id": r.task_id}, project_id=r.project_id)
        crud.update_row(tx, VERSION, version_id, {"locked": True})
        tx.emit("production_schedule_version:update", {"production_schedule_version_id": version_id},
                project_id=version["project_id"])
        tx.update(s.project, {"from_schedule_version_id": version_id, "updated_at": stamp},
                  s.project.c.id == version["project_id"])
        tx.emit("project:update", {"project_id": version["project_id"]}, project_id=version["project_id"])
    return {"success": True, "task_count": len(rows)}


# ----------------------------------------------------------------------------- schedule items

SCHEDULE_KEYS = ("id", "start_date", "end_date", "man_days", "project_id", "task_type_id", "object_id")


def _objects(ctx: RequestContext, conn: Connection, kind: str, project_id: str,
             episode_id: str | None) -> dict[str, str]:
    """{id: name} of what ``kind`` schedules in the project (asset types: those of its assets)."""
    e = s.entity
    if kind == "asset-types":
        et = s.entity_type
        clauses = [e.c.project_id == project_id, types.asset_clause(ctx.state, e.c.entity_type_id)]
        if episode_id is not None:
            clauses.append(e.c.source_id == episode_id)
        used = sa.select(e.c.entity_type_id).where(*clauses)
        return dict(conn.execute(sa.select(et.c.id, et.c.name).where(et.c.id.in_(used))).all())
    type_name = {"episodes": types.EPISODE, "sequences": types.SEQUENCE, "edits": types.EDIT}[kind]
    clauses = [e.c.project_id == project_id, e.c.entity_type_id == types.type_id(ctx.state, type_name)]
    if kind == "edits":
        clauses.append(sa.func.coalesce(e.c.canceled, sa.false()).is_(False))
    if episode_id is not None:
        clauses.append(e.c.id == episode_id if kind == "episodes" else e.c.parent_id == episode_id)
    return dict(conn.execute(sa.select(e.c.id, e.c.name).where(*clauses)).all())


def entity_schedule_items(ctx: RequestContext, project_id: str, task_type_id: str, kind: str,
                          episode_id: str | None) -> list[Row]:
    """One schedule item per episode, sequence, asset type or edit for a task type (created, today to
    tomorrow, where missing), each with the object's name, sorted by name."""
    _check_id(project_id)
    _check_id(task_type_id)
    if episode_id is not None:
        _check_id(episode_id)
    si = s.schedule_item
    with ctx.write() as tx:
        tq.load(tx.conn, tq.PROJECT, project_id)
        perm.check_project_access(ctx, tx.conn, project_id)
        if ctx.role == perm.VENDOR:
            raise Forbidden()
        objects = _objects(ctx, tx.conn, kind, project_id, episode_id)
        have = {r[0] for r in tx.execute(sa.select(si.c.object_id).where(
            si.c.project_id == project_id, si.c.task_type_id == task_type_id,
            si.c.object_id.in_(list(objects) or [""])))}
        today, stamp = date.today(), now()
        for object_id in objects:
            if object_id not in have:
                item_id = new_id()
                tx.insert(si, {"id": item_id, "created_at": stamp, "updated_at": stamp, "project_id": project_id,
                               "task_type_id": task_type_id, "object_id": object_id,
                               "start_date": today.isoformat(), "end_date": (today + timedelta(days=1)).isoformat()})
                tx.emit("schedule-item:new", {"schedule_item_id": item_id}, project_id=project_id)
        rows = tx.execute(sa.select(*(si.c[k] for k in SCHEDULE_KEYS)).where(
            si.c.project_id == project_id, si.c.task_type_id == task_type_id,
            si.c.object_id.in_(list(objects) or [""])))
        items = [{**dict(zip(SCHEDULE_KEYS, r)), "name": objects[r.object_id]} for r in rows]
    return sorted(items, key=lambda item: item["name"])
