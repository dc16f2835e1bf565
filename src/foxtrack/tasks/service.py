"""Task rules: creation, assignation, time spent, deletion; one transaction per change."""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext, Tx
from foxtrack.core.errors import BadRequest, Forbidden, NotFound, validation_error
from foxtrack.core.jsonutil import is_uuid, normalize_date, now
from foxtrack.core.models import ENTITY, PERSON, TASK
from foxtrack.core.rawsql import in_ids
from foxtrack.crud import service as crud
from foxtrack.crud.policy import Policies
from foxtrack.db import schema as s
from foxtrack.entities import removal
from foxtrack.tasks import queries as q

Row = dict[str, Any]
WERKZEUG_FORBIDDEN = ("You don't have the permission to access the requested resource. It is either "
                      "read-protected or not readable by the server.")


# ----------------------------------------------------------------------------- generic CRUD hooks

def _before_create(ctx: RequestContext, tx: Tx, values: Row) -> Row:
    values["name"] = values.get("name") or "main"
    if not values.get("task_status_id"):
        values["task_status_id"] = q.default_task_status_id(tx.conn)
    found = tx.execute(_REFERENCES, {key: values.get(key) for key in _REFERENCED}).one()
    for key, there in zip(_REFERENCED, found):
        if values.get(key) and there is None:
            raise BadRequest(f"Wrong {key.removesuffix('_id').replace('_', ' ')} id.")
    if not values.get("project_id") and values.get("entity_id"):
        values["project_id"] = found[0] or None
    return values


# what a new task points at, in one statement: its entity (by its project, which the task takes
# when none is given), its type and its status; None where one does not exist
_REFERENCED = ("entity_id", "task_type_id", "task_status_id")
_REFERENCES = sa.select(
    sa.select(sa.func.coalesce(s.entity.c.project_id, "")).where(s.entity.c.id == sa.bindparam("entity_id"))
    .scalar_subquery(),
    sa.select(s.task_type.c.id).where(s.task_type.c.id == sa.bindparam("task_type_id")).scalar_subquery(),
    sa.select(s.task_status.c.id).where(s.task_status.c.id == sa.bindparam("task_status_id")).scalar_subquery(),
)


def _delete_hook(ctx: RequestContext, tx: Tx, task: Row, force: bool) -> None:
    remove_task(tx, task)
    tx.emit("task:delete", {"task_id": task["id"], "entity_id": task["entity_id"],
                            "task_type_id": task["task_type_id"]}, project_id=task["project_id"])


def register_crud(policies: Policies) -> None:
    """This feature's rules for the generic ``/data/<model>`` routes (called by the app factory)."""
    policies.register("tasks", before_create=_before_create, delete_hook=_delete_hook, event_prefix="task")
    policies.register("time-spents", delete="self", owner_column="person_id")


def remove_task(tx: Tx, task: Row) -> None:
    """Delete a task and everything hanging off it (comments, previews, time spents...)."""
    removal.delete_tasks(tx, [task["id"]])


# ----------------------------------------------------------------------------- reads

def task_for_read(ctx: RequestContext, conn: Connection, task_id: str) -> Row:
    task = q.load_task(conn, task_id)
    perm.check_project_access(ctx, conn, task["project_id"])
    return task


def full_task(ctx: RequestContext, task_id: str) -> Row:
    """The task with its project, entity, type, status, assigner and assignees embedded."""
    with ctx.read() as conn:
        parts = q.full_task_parts(conn, task_id, ctx.person_id)
        task: Row = parts["task"]
        perm.check_project_access(ctx, conn, task["project_id"])
        name_of = ctx.state.entity_type_name
        assignees = q.assignee_ids(conn, task_id)
        task["assignees"] = assignees
        entity = _typed(conn, name_of, parts["entity"])
        task["entity"] = entity
        if entity is not None:
            task["entity_type"] = parts["entity_type"]
            sequence = _typed(conn, name_of, parts["parent"])
            if sequence is not None and sequence["type"] == "Sequence":
                task["sequence"] = sequence
                episode = _typed(conn, name_of, parts["grandparent"])
                if episode is not None:
                    task["episode"] = episode
            elif sequence is not None and sequence["type"] == "Episode":
                task["episode"] = sequence
            elif entity.get("source_id"):
                episode = _typed(conn, name_of, parts["source"])
                if episode is not None and episode["type"] == "Episode":
                    task["episode"] = episode
        task["project"] = parts["project"]
        task["task_type"] = parts["task_type"]
        task["task_status"] = parts["task_status"]
        # the assigner and the assignees in one read of the person table (and of their departments)
        assigner_id = task.get("assigner_id")
        wanted = assignees + ([assigner_id] if assigner_id and assigner_id not in assignees else [])
        found = {person["id"]: person for person in q.persons(conn, wanted)}
        if assigner_id in found:
            task["assigner"] = found[assigner_id]
        task["persons"] = [found[person_id] for person_id in assignees if person_id in found]
        task["is_subscribed"] = parts["is_subscribed"]
    return task


def _typed(conn: Connection, name_of: Any, entity: Row | None) -> Row | None:
    """``entity`` with its type's name as ``type`` (Shot, Sequence...)."""
    if entity is not None:
        entity["type"] = name_of(conn, entity["entity_type_id"])
    return entity


def entity_tasks(ctx: RequestContext, entity_id: str, relations: bool) -> list[Row]:
    """Tasks of one entity with their display names (``data/shots|assets/{id}/tasks``)."""
    with ctx.read() as conn:
        entity = q.load(conn, ENTITY, entity_id)
        perm.check_project_access(ctx, conn, entity["project_id"])
        tasks = q.tasks_with_names(conn, entity_id)
        if relations:
            TASK.add_relations(conn, tasks)
    return tasks


def project_tasks(ctx: RequestContext, project_id: str, page: int, limit: int) -> Any:
    with ctx.read() as conn:
        q.load(conn, q.PROJECT, project_id)
        perm.check_project_access(ctx, conn, project_id)
        stmt = TASK.select().where(s.task.c.project_id == project_id)
        if page > 0:
            total = conn.execute(sa.select(sa.func.count()).select_from(s.task)
                                 .where(s.task.c.project_id == project_id)).scalar() or 0
            rows = TASK.to_dicts(conn.execute(stmt.order_by(s.task.c.created_at, s.task.c.id)
                                              .limit(limit).offset((page - 1) * limit)))
            TASK.add_relations(conn, rows)
            return {"data": rows, "total": total, "nb_pages": math.ceil(total / limit), "limit": limit,
                    "offset": (page - 1) * limit, "page": page}
        rows = TASK.to_dicts(conn.execute(stmt))
        TASK.add_relations(conn, rows)
        return rows


def person_related_tasks(ctx: RequestContext, person_id: str, task_type_id: str) -> list[Row]:
    """Tasks of a type on the entities of open projects where the person is assigned to any task."""
    with ctx.read() as conn:
        q.load(conn, PERSON, person_id)
        q.load(conn, q.TASK_TYPE, task_type_id)
        link, t = s.task_person_link, s.task
        open_projects = sa.select(s.project.c.id).join(
            s.project_status, s.project_status.c.id == s.project.c.project_status_id
        ).where(s.project_status.c.name == "Open")
        entities = (sa.select(t.c.entity_id).join(link, link.c.task_id == t.c.id)
                    .where(link.c.person_id == person_id, t.c.project_id.in_(open_projects)))
        where = [t.c.entity_id.in_(entities), t.c.task_type_id == task_type_id]
        scope = perm.project_scope(ctx, t.c.project_id)  # who may ask: the route's rule (``core.policy``)
        if scope is not None:
            where.append(scope)  # only the projects the caller is on (Zou shows the others': hole 3)
        return TASK.to_dicts(conn.execute(TASK.select().where(*where).order_by(t.c.created_at, t.c.id)))


# ----------------------------------------------------------------------------- creation in bulk

def _create_tasks(ctx: RequestContext, tx: Tx, wanted: list[tuple[Row, str]], status_id: str | None,
                  existing: sa.Select[Any]) -> list[Row]:
    """A task "main" for each (entity, task type) of ``wanted`` that ``existing`` (the entity and
    task type ids of the tasks "main" already there) does not hold: one lookup, one insert, one
    ``task:new`` each."""
    if not wanted:
        return []
    there = {(str(e), str(tt)) for e, tt in tx.execute(existing)}
    values = []
    for entity, task_type_id in wanted:
        if (entity["id"], task_type_id) in there:
            continue
        there.add((entity["id"], task_type_id))
        values.append({"name": "main", "entity_id": entity["id"], "project_id": entity["project_id"],
                       "task_type_id": task_type_id, "task_status_id": status_id, "assigner_id": ctx.person_id})
    if not values:
        return []
    tasks = crud.insert_many(tx, TASK, values)
    for task in tasks:
        task.update({name: [] for name in TASK.relations})
        tx.emit("task:new", {"task_id": task["id"]}, project_id=task["project_id"])
    return tasks


def _create_task(ctx: RequestContext, tx: Tx, entity: Row, task_type_id: str, status_id: str | None) -> Row | None:
    """The task "main" of this type on the entity, unless it is there already (then None)."""
    t = s.task
    existing = sa.select(t.c.entity_id, t.c.task_type_id).where(
        t.c.entity_id == entity["id"], t.c.task_type_id == task_type_id, t.c.name == "main")
    made = _create_tasks(ctx, tx, [(entity, task_type_id)], status_id, existing)
    return made[0] if made else None


def _check_task_types(conn: Connection, task_type_ids: list[Any]) -> dict[str, Any]:
    """The task types of these ids, in their order (id: row of ``TYPE_DISPLAY``, for the answer);
    400 on a malformed id, 404 when one does not exist."""
    if not isinstance(task_type_ids, list):
        raise validation_error({"task_type_ids": "Must be a list of ids."}, "Validation error.")
    for tid in task_type_ids:
        if not is_uuid(tid):
            raise BadRequest("Malformed ID.")
    unique = list(dict.fromkeys(task_type_ids))
    if not unique:
        return {}
    found = {r.id: r for r in conn.execute(sa.select(*q.TYPE_DISPLAY).where(in_ids(s.task_type.c.id, unique)))}
    if len(found) < len(unique):
        raise NotFound()
    return {tid: found[tid] for tid in unique}


def create_entity_tasks(ctx: RequestContext, entity_id: str, task_type_ids: Any) -> list[Row]:
    """``POST data/entities/{id}/tasks``: one task per type not yet on the entity."""
    with ctx.write() as tx:
        entity = q.load(tx.conn, ENTITY, entity_id)
        perm.check_project_access(ctx, tx.conn, entity["project_id"])
        task_types = _check_task_types(tx.conn, task_type_ids or [])
        perm.check_task_creation(ctx, tx.conn, entity["project_id"], list(task_types))
        status = q.default_task_status(tx.conn)
        t = s.task
        existing = sa.select(t.c.entity_id, t.c.task_type_id).where(t.c.entity_id == entity["id"], t.c.name == "main")
        created = _create_tasks(ctx, tx, [(entity, tid) for tid in task_types], next(iter(status), None), existing)
        return q.with_type_and_status(tx.conn, created, task_types, status)


def create_tasks_for_type(ctx: RequestContext, project_id: str, task_type_id: str, kind: str,
                          entity_ids: Any, episode_id: str | None) -> list[Row]:
    """``POST actions/projects/{p}/task-types/{tt}/{shots|assets}/create-tasks``."""
    with ctx.write() as tx:
        q.load(tx.conn, q.PROJECT, project_id)
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        task_types = _check_task_types(tx.conn, [task_type_id])
        e, et = s.entity, s.entity_type
        clauses: list[sa.ColumnElement[bool]] = [e.c.project_id == project_id]
        temporal = sa.select(et.c.id).where(et.c.name.in_(("Shot", "Sequence", "Episode", "Scene", "Edit", "Concept")))
        if kind == "shots":
            clauses.append(e.c.entity_type_id.in_(sa.select(et.c.id).where(et.c.name == "Shot")))
            if episode_id:
                clauses.append(e.c.parent_id.in_(sa.select(e.c.id).where(e.c.parent_id == episode_id)))
        else:
            clauses.append(e.c.entity_type_id.notin_(temporal))
            if episode_id:
                clauses.append(e.c.source_id == episode_id)
        if isinstance(entity_ids, list) and entity_ids:
            if not all(is_uuid(i) for i in entity_ids):
                raise BadRequest("Malformed ID.")
            clauses.append(e.c.id.in_(entity_ids))
        clauses.append(e.c.canceled.isnot(True))
        entities = ENTITY.to_dicts(tx.execute(ENTITY.select().where(*clauses)))
        status = q.default_task_status(tx.conn)
        t = s.task
        existing = sa.select(t.c.entity_id, t.c.task_type_id).where(
            t.c.project_id == project_id, t.c.task_type_id == task_type_id, t.c.name == "main")
        created = _create_tasks(ctx, tx, [(ent, task_type_id) for ent in entities], next(iter(status), None),
                                existing)
        return q.with_type_and_status(tx.conn, created, task_types, status)


# ----------------------------------------------------------------------------- assignation

def _check_assign(ctx: RequestContext, conn: Connection, task: Row) -> None:
    perm.check_supervisor_project_access(ctx, conn, task["project_id"])


def assign(ctx: RequestContext, person_id: str, task_ids: Any) -> list[Row]:
    """Add ``person_id`` to the assignees of each task; the caller becomes the assigner. As in Zou, a
    task that is missing or that the caller may not assign is skipped, not an error: the answer lists
    the tasks assigned (the Kitsu UI sends a whole selection)."""
    if not isinstance(task_ids, list):
        raise validation_error({"task_ids": "Field required"}, "Validation error.")
    with ctx.write() as tx:
        q.load(tx.conn, PERSON, person_id)
        ids = [str(task_id) for task_id in task_ids]
        if not all(is_uuid(task_id) for task_id in ids):
            raise BadRequest("Malformed ID.")
        found = _tasks_by_id(tx, list(dict.fromkeys(ids)))
        allowed: dict[tuple[str, str], bool] = {}
        tasks = []
        for task in (found[task_id] for task_id in dict.fromkeys(ids) if task_id in found):
            key = (task["project_id"], task["task_type_id"])
            if key not in allowed:
                try:
                    perm.check_task_creation(ctx, tx.conn, key[0], [key[1]])
                    allowed[key] = True
                except (NotFound, Forbidden):
                    allowed[key] = False
            if allowed[key]:
                tasks.append(task)
        _assign_many(ctx, tx, tasks, person_id)
        kept = {task["id"] for task in tasks}
        fresh = _tasks_by_id(tx, list(kept))
        out = [dict(fresh[task_id]) for task_id in ids if task_id in kept]
        TASK.add_relations(tx.conn, out)
        return out


def _tasks_by_id(tx: Tx, ids: list[str]) -> dict[str, Row]:
    """The tasks of these ids that exist, by id."""
    out: dict[str, Row] = {}
    for part in _chunks(ids):
        out.update((row["id"], row) for row in TASK.to_dicts(tx.execute(TASK.select().where(
            in_ids(s.task.c.id, part)))))
    return out


def _chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    """``ids`` in lists short enough for one ``IN``."""
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def _assign_many(ctx: RequestContext, tx: Tx, tasks: list[Row], person_id: str) -> None:
    """Add the person to the assignees and followers of each task (where not yet) and make the caller
    its assigner: one statement per kind of write, whatever the number of tasks."""
    link, sub = s.task_person_link, s.subscription
    for part in _chunks(list(dict.fromkeys(task["id"] for task in tasks))):
        assigned = set(tx.execute(sa.select(link.c.task_id).where(
            link.c.person_id == person_id, in_ids(link.c.task_id, part))).scalars())
        new = [task_id for task_id in part if task_id not in assigned]
        if new:
            tx.insert(link, [{"task_id": task_id, "person_id": person_id} for task_id in new])
            followed = set(tx.execute(sa.select(sub.c.task_id).where(
                sub.c.person_id == person_id, in_ids(sub.c.task_id, new))).scalars())
            unfollowed = [{"person_id": person_id, "task_id": task_id} for task_id in new if task_id not in followed]
            if unfollowed:
                crud.insert_many(tx, q.MODELS["subscriptions"], unfollowed)
        tx.update(s.task, {"assigner_id": ctx.person_id, "updated_at": now()}, in_ids(s.task.c.id, part))
    for task in tasks:
        tx.emit("task:assign", {"task_id": task["id"], "person_id": person_id}, project_id=task["project_id"])


def assign_task(ctx: RequestContext, task_id: str, person_id: Any) -> Row:
    if not is_uuid(person_id):
        raise validation_error({"person_id": "Field required"}, "Validation error.")
    with ctx.write() as tx:
        task = q.load_task(tx.conn, task_id)
        q.load(tx.conn, PERSON, person_id)
        _check_assign(ctx, tx.conn, task)
        _assign_many(ctx, tx, [task], person_id)
        row = q.load_task(tx.conn, task_id)
        TASK.add_relations(tx.conn, [row])
        return row


def clear_assignation(ctx: RequestContext, task_ids: Any, person_id: Any) -> list[str]:
    """Remove one person (or everybody) from the assignees of tasks; answers the task ids."""
    if not isinstance(task_ids, list):
        raise validation_error({"task_ids": "Field required"}, "Validation error.")
    link = s.task_person_link
    with ctx.write() as tx:
        done = []
        for task_id in task_ids:
            task = q.load_task(tx.conn, str(task_id))
            _check_assign(ctx, tx.conn, task)
            current = q.assignee_ids(tx.conn, task["id"])
            removed = [person_id] if person_id else current
            removed = [p for p in removed if p in current]
            if removed:
                tx.delete(link, link.c.task_id == task["id"], link.c.person_id.in_(removed))
                crud.update_row(tx, TASK, task["id"], {})
            for pid in removed:
                tx.emit("task:unassign", {"task_id": task["id"], "person_id": pid}, project_id=task["project_id"])
            done.append(task["id"])
        return done


# ----------------------------------------------------------------------------- time spent

def _duration(body: Row) -> float:
    value = body.get("duration")
    if value is None:
        raise validation_error({"duration": "Field required"}, "Validation error.")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError) as exc:
            raise validation_error({"duration": "Input should be a valid number"}, "Validation error.") from exc
    if not math.isfinite(value):
        raise validation_error({"duration": "Input should be a finite number"}, "Validation error.")
    if value <= 0:
        raise validation_error({"duration": "Input should be greater than 0"}, "Validation error.")
    return float(value)


def _time_spent_target(ctx: RequestContext, tx: Tx, task_id: str, date: str, person_id: str) -> tuple[Row, str]:
    task = q.load_task(tx.conn, task_id)
    q.load(tx.conn, PERSON, person_id)
    try:
        day = normalize_date(date)
    except ValueError as exc:
        raise BadRequest("Wrong date format.") from exc
    if day is None:
        raise BadRequest("Wrong date format.")
    perm.check_project_access(ctx, tx.conn, task["project_id"])
    if person_id not in q.assignee_ids(tx.conn, task_id):
        raise Forbidden(WERKZEUG_FORBIDDEN)
    if person_id != ctx.person_id:
        perm.check_manager_project_access(ctx, tx.conn, task["project_id"])
    return task, day


def set_time_spent(ctx: RequestContext, task_id: str, date: str, person_id: str, body: Row,
                   add: bool = False) -> Row:
    """Set (or add to) the minutes a person spent on a task that day; keeps ``task.duration``."""
    duration = _duration(body)
    try:
        return _write_time_spent(ctx, task_id, date, person_id, duration, add)
    except IntegrityError:  # a concurrent request created that day's row first: this one updates it
        return _write_time_spent(ctx, task_id, date, person_id, duration, add)


def _write_time_spent(ctx: RequestContext, task_id: str, date: str, person_id: str, duration: float,
                      add: bool) -> Row:
    tsp = s.time_spent
    with ctx.write() as tx:
        task, day = _time_spent_target(ctx, tx, task_id, date, person_id)
        row = tx.execute(q.TIME_SPENT.select().where(tsp.c.task_id == task_id, tsp.c.person_id == person_id,
                                                     tsp.c.date == day)).first()
        if row is None:
            spent = crud.insert(tx, q.TIME_SPENT, {"task_id": task_id, "person_id": person_id, "date": day,
                                                   "duration": duration})
            event = "time-spent:new"
        else:
            current = q.TIME_SPENT.to_dict(row)
            # an addition is one statement (duration + n), so concurrent additions all count
            value = tsp.c.duration + duration if add else duration
            crud.update_row(tx, q.TIME_SPENT, current["id"], {"duration": value})
            spent = q.TIME_SPENT.get(tx.conn, current["id"]) or current
            event = "time-spent:update"
        crud.update_row(tx, TASK, task_id, {"duration": q.time_spent_sum(task_id)})
        tx.emit(event, {"time_spent_id": spent["id"]}, project_id=task["project_id"])
        return spent


def delete_time_spent(ctx: RequestContext, task_id: str, date: str, person_id: str) -> Row:
    """Remove a day's time spent; answers the removed row with its duration zeroed. Zou zeroes the
    duration in memory with an int, hence ``0`` rather than ``0.0``."""
    tsp = s.time_spent
    with ctx.write() as tx:
        task, day = _time_spent_target(ctx, tx, task_id, date, person_id)
        row = tx.execute(q.TIME_SPENT.select().where(tsp.c.task_id == task_id, tsp.c.person_id == person_id,
                                                     tsp.c.date == day)).first()
        if row is None:
            raise NotFound()
        spent = q.TIME_SPENT.to_dict(row)
        tx.delete(tsp, tsp.c.id == spent["id"])
        crud.update_row(tx, TASK, task_id, {"duration": q.time_spent_sum(task_id)})
        tx.emit("time-spent:delete", {"time_spent_id": spent["id"]}, project_id=task["project_id"])
    return {**spent, "duration": 0}


def task_time_spents(ctx: RequestContext, task_id: str, date: str | None = None) -> Row:
    """``{total, <person_id>: [time spents]}`` for a task (optionally one day)."""
    tsp = s.time_spent
    with ctx.read() as conn:
        task_for_read(ctx, conn, task_id)
        clauses = [tsp.c.task_id == task_id]
        if date is not None:
            try:
                clauses.append(tsp.c.date == normalize_date(date))
            except ValueError as exc:
                raise BadRequest("Wrong date format.") from exc
        rows = q.TIME_SPENT.to_dicts(conn.execute(q.TIME_SPENT.select().where(*clauses).order_by(tsp.c.date)))
    out: Row = {"total": sum(r["duration"] for r in rows)}
    for r in rows:
        out.setdefault(r["person_id"], []).append(r)
    return out


# ----------------------------------------------------------------------------- open tasks

def open_tasks(ctx: RequestContext, params: dict[str, str]) -> Row:
    """Unfinished tasks of open projects with display fields and status stats (``data/tasks/open-tasks``)."""
    from foxtrack.tasks import open_tasks as ot

    return ot.open_tasks(ctx, params)


def open_tasks_stats(ctx: RequestContext) -> dict[str, Row]:
    from foxtrack.tasks import open_tasks as ot

    return ot.open_tasks_stats(ctx)


def touch(tx: Tx, task_id: str, **values: Any) -> None:
    values["updated_at"] = now()
    tx.update(s.task, values, s.task.c.id == task_id)


# ----------------------------------------------------------------------------- project-wide lists and batch removal

def project_rows(ctx: RequestContext, project_id: str, model_path: str) -> list[Row]:
    """Comments, preview files, subscriptions or notifications of a project's tasks."""
    with ctx.read() as conn:
        q.load(conn, q.PROJECT, project_id)
        perm.check_project_access(ctx, conn, project_id)  # and the route's rule (``core.policy``)
        model = q.MODELS[model_path]
        table = model.table
        column = table.c.object_id if model_path == "comments" else table.c.task_id
        tasks = sa.select(s.task.c.id).where(s.task.c.project_id == project_id)
        return model.to_dicts(conn.execute(model.select().where(column.in_(tasks)).order_by(table.c.created_at)))


def entity_type_tasks(ctx: RequestContext, entity_id: str, task_type_id: str) -> list[Row]:
    with ctx.read() as conn:
        entity = q.load(conn, ENTITY, entity_id)
        q.load(conn, q.TASK_TYPE, task_type_id)
        perm.check_project_access(ctx, conn, entity["project_id"])
        rows = TASK.to_dicts(conn.execute(TASK.select().where(s.task.c.entity_id == entity_id,
                                                              s.task.c.task_type_id == task_type_id)))
        TASK.add_relations(conn, rows)
        return rows


def delete_tasks(ctx: RequestContext, project_id: str, task_ids: Any = None,
                 task_type_id: str | None = None) -> list[str]:
    """Delete tasks of a project: the listed ones, or all of one task type. Answers the ids asked for
    (as Zou: ids of other projects or of no task are skipped but still listed), or those of the type."""
    with ctx.write() as tx:
        q.load(tx.conn, q.PROJECT, project_id)
        perm.check_manager_project_access(ctx, tx.conn, project_id)
        clauses = [s.task.c.project_id == project_id]
        if task_type_id is not None:
            q.load(tx.conn, q.TASK_TYPE, task_type_id)
            clauses.append(s.task.c.task_type_id == task_type_id)
        else:
            if not isinstance(task_ids, list):
                raise BadRequest("Request body must be a JSON array.")
            if not all(isinstance(i, str) and is_uuid(i) for i in task_ids):
                raise BadRequest("Request body must only contain valid UUIDs.")
            clauses.append(s.task.c.id.in_(task_ids))
        tasks = TASK.to_dicts(tx.execute(TASK.select().where(*clauses)))
        for task in tasks:
            remove_task(tx, task)
            tx.emit("task:delete", {"task_id": task["id"], "entity_id": task["entity_id"],
                                    "task_type_id": task["task_type_id"]}, project_id=project_id)
    return list(task_ids) if task_type_id is None else [task["id"] for task in tasks]
