"""SQL of the entity reads: typed lists, the full shot / asset, the with-tasks screens."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core.context import AppState
from foxtrack.core.models import ENTITY
from foxtrack.core.rawsql import in_ids, json_value, raw_rows
from foxtrack.db import schema as s
from foxtrack.entities import types

Row = dict[str, Any]
E = s.entity


def typed_rows(state: AppState, conn: Connection, rows: Iterable[Any], type_name: str | None = None) -> list[Row]:
    """Serialise entity rows with their typed ``type`` (given, or looked up per row)."""
    out = ENTITY.to_dicts(rows)
    for item in out:
        item["type"] = type_name or types.json_type(state, conn, item["entity_type_id"])
    return out


def select_entities(state: AppState, conn: Connection, clauses: list[sa.ColumnElement[bool]],
                    type_name: str | None = None, order: bool = True) -> list[Row]:
    stmt = ENTITY.select().where(*clauses)
    if order:
        stmt = stmt.order_by(E.c.name)
    return typed_rows(state, conn, conn.execute(stmt), type_name)


def names_by_id(conn: Connection, ids: Iterable[str | None], table: sa.Table = E) -> dict[str, str]:
    wanted = list({i for i in ids if i})
    if not wanted:
        return {}
    out: dict[str, str] = {}
    for start in range(0, len(wanted), 900):
        chunk = wanted[start:start + 900]
        out.update({i: n for i, n in conn.execute(sa.select(table.c.id, table.c.name).where(in_ids(table.c.id, chunk)))})
    return out


def parents_by_id(conn: Connection, ids: Iterable[str | None]) -> dict[str, tuple[str, str | None]]:
    """{entity id: (name, parent_id)} for the given ids."""
    wanted = list({i for i in ids if i})
    out: dict[str, tuple[str, str | None]] = {}
    for start in range(0, len(wanted), 900):
        chunk = wanted[start:start + 900]
        for i, n, p in conn.execute(sa.select(E.c.id, E.c.name, E.c.parent_id).where(in_ids(E.c.id, chunk))):
            out[i] = (n, p)
    return out


def add_project_names(conn: Connection, items: list[Row]) -> None:
    names = names_by_id(conn, (i["project_id"] for i in items), s.project)
    for item in items:
        item["project_name"] = names.get(item["project_id"])


def add_sequence_names(conn: Connection, items: list[Row]) -> None:
    names = names_by_id(conn, (i["parent_id"] for i in items))
    for item in items:
        if item.get("parent_id") in names:
            item["sequence_name"] = names[item["parent_id"]]


def links_out(conn: Connection, ids: list[str]) -> dict[str, list[str]]:
    return _links(conn, ids, s.entity_link.c.entity_in_id, s.entity_link.c.entity_out_id)


def links_in(conn: Connection, ids: list[str]) -> dict[str, list[str]]:
    return _links(conn, ids, s.entity_link.c.entity_out_id, s.entity_link.c.entity_in_id)


def _links(conn: Connection, ids: list[str], local: Any, remote: Any) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {i: [] for i in ids}
    for left, right in conn.execute(sa.select(local, remote).where(in_ids(local, ids))):
        grouped[left].append(right)
    return grouped


def concept_links(conn: Connection, ids: list[str]) -> dict[str, list[str]]:
    link = s.entity_concept_link
    return _links(conn, ids, link.c.entity_in_id, link.c.entity_out_id)


def add_entity_relations(conn: Connection, items: list[Row]) -> None:
    """``entities_out``, ``entities_in``, ``entity_concept_links``, ``instance_casting`` id lists."""
    if not items:
        return
    ids = [i["id"] for i in items]
    out, in_, concepts = links_out(conn, ids), links_in(conn, ids), concept_links(conn, ids)
    for item in items:
        item["entities_out"] = out[item["id"]]
        item["entities_in"] = in_[item["id"]]
        item["entity_concept_links"] = concepts[item["id"]]
        item["instance_casting"] = []


# ----------------------------------------------------------------------------- with-tasks screens

WITH_TASKS_TASK_COLUMNS = (
    "id", "duration", "due_date", "end_date", "done_date", "entity_id", "estimation", "last_comment_date",
    "last_preview_file_id", "nb_assets_ready", "priority", "real_start_date", "retake_count", "start_date",
    "difficulty", "nb_drawings", "task_status_id", "task_type_id", "data",
)
ASSET_TASK_COLUMNS = tuple(c for c in WITH_TASKS_TASK_COLUMNS if c not in ("nb_assets_ready", "nb_drawings"))
_TS = frozenset({"due_date", "end_date", "done_date", "last_comment_date", "real_start_date", "start_date"})


def _screen_tasks(rows: Iterable[Any], columns: tuple[str, ...]) -> dict[str, Row]:
    """Task dicts of the with-tasks shape by id, in row order: timestamps cut to Zou's seconds,
    JSON ``data`` passed through, empty ``assignees`` and ``is_subscribed`` to fill in."""
    ts_idx = [i for i, c in enumerate(columns) if c in _TS]
    data_idx = columns.index("data") if "data" in columns else -1
    by_id: dict[str, Row] = {}
    for row in rows:
        values = list(row)
        for i in ts_idx:
            v = values[i]
            if v:
                values[i] = v[:19]
        if data_idx >= 0:
            values[data_idx] = json_value(values[data_idx])
        task = dict(zip(columns, values))
        task["is_subscribed"] = False
        task["assignees"] = []
        by_id[task["id"]] = task
    return by_id


def _attach(by_id: dict[str, Row], assignees: Iterable[Any], subscribed: Iterable[Any]) -> None:
    """Fill in ``assignees`` from (task id, person id) pairs and ``is_subscribed`` from task ids."""
    for task_id, person_id in assignees:
        if task_id in by_id:
            by_id[task_id]["assignees"].append(person_id)
    for task_id in subscribed:
        if task_id in by_id:
            by_id[task_id]["is_subscribed"] = True


def tasks_for_screen(conn: Connection, entity_clause: sa.ColumnElement[bool], person_id: str,
                     columns: tuple[str, ...],
                     task_clause: sa.ColumnElement[bool] | None = None) -> dict[str, list[Row]]:
    """Flat task rows (with assignees and ``is_subscribed``) of the entities matching the clause
    (and of the tasks matching ``task_clause``), grouped by entity id: three queries."""
    t = s.task
    where = [t.c.entity_id.in_(sa.select(E.c.id).where(entity_clause)), *([] if task_clause is None else [task_clause])]
    tasks_q = sa.select(t.c.id).where(*where)
    stmt = sa.select(*(t.c[c] for c in columns)).where(*where)
    by_id = _screen_tasks(raw_rows(conn, stmt), columns)
    if by_id:
        link, sub = s.task_person_link, s.subscription
        _attach(by_id,
                conn.execute(sa.select(link.c.task_id, link.c.person_id).where(link.c.task_id.in_(tasks_q))),
                conn.execute(sa.select(sub.c.task_id).where(sub.c.person_id == person_id,
                                                            sub.c.task_id.in_(tasks_q))).scalars())
    grouped: dict[str, list[Row]] = {}
    for task in by_id.values():
        grouped.setdefault(task["entity_id"], []).append(task)
    return grouped


# ----------------------------------------------------------------------------- one entity (hot path)
# Built once, parameters bound at execution: a single shot or asset read runs a handful of these.

_SEQ, _EP = E.alias("ctx_seq"), E.alias("ctx_ep")
CONTEXT_NAMES = (
    sa.select(s.project.c.name, _SEQ.c.name, _SEQ.c.parent_id, _EP.c.name)
    .select_from(s.project)
    .outerjoin(_SEQ, _SEQ.c.id == sa.bindparam("parent_id"))
    .outerjoin(_EP, _EP.c.id == _SEQ.c.parent_id)
    .where(s.project.c.id == sa.bindparam("project_id"))
)

_L, _C = s.entity_link, s.entity_concept_link
ENTITY_LINKS = sa.union_all(
    sa.select(sa.literal("out"), _L.c.entity_out_id).where(_L.c.entity_in_id == sa.bindparam("entity_id")),
    sa.select(sa.literal("in"), _L.c.entity_in_id).where(_L.c.entity_out_id == sa.bindparam("entity_id")),
    sa.select(sa.literal("concept"), _C.c.entity_out_id).where(_C.c.entity_in_id == sa.bindparam("entity_id")),
)


def one_entity_relations(conn: Connection, item: Row) -> None:
    """``entities_out``, ``entities_in``, ``entity_concept_links`` of one entity, in one query."""
    grouped: dict[str, list[str]] = {"out": [], "in": [], "concept": []}
    for kind, other in conn.execute(ENTITY_LINKS, {"entity_id": item["id"]}):
        grouped[kind].append(other)
    item["entities_out"] = grouped["out"]
    item["entities_in"] = grouped["in"]
    item["entity_concept_links"] = grouped["concept"]
    item["instance_casting"] = []


def _one_entity_task_statements(columns: tuple[str, ...]) -> tuple[Any, Any]:
    t, link, sub = s.task, s.task_person_link, s.subscription
    subscribed = sa.exists().where(sub.c.person_id == sa.bindparam("person_id"), sub.c.task_id == t.c.id)
    tasks = (sa.select(*(t.c[c] for c in columns), subscribed.label("is_subscribed"))
             .where(t.c.entity_id == sa.bindparam("entity_id")))
    assignees = (sa.select(link.c.task_id, link.c.person_id)
                 .join(t, t.c.id == link.c.task_id).where(t.c.entity_id == sa.bindparam("entity_id")))
    return tasks, assignees


_ONE_ENTITY_TASKS: dict[tuple[str, ...], tuple[Any, Any]] = {}


def one_entity_tasks(conn: Connection, entity_id: str, person_id: str, columns: tuple[str, ...]) -> list[Row]:
    """The with-tasks task rows of one entity (same shape as ``tasks_for_screen``): two statements,
    the tasks (with whether the caller follows each) and their assignees."""
    statements = _ONE_ENTITY_TASKS.get(columns)
    if statements is None:
        statements = _ONE_ENTITY_TASKS[columns] = _one_entity_task_statements(columns)
    tasks_q, assignees_q = statements
    rows = conn.execute(tasks_q, {"entity_id": entity_id, "person_id": person_id}).all()
    by_id = _screen_tasks((row[:-1] for row in rows), columns)
    if by_id:
        _attach(by_id, conn.execute(assignees_q, {"entity_id": entity_id}),
                (row[0] for row in rows if row[-1]))  # ``columns`` start with the task id
    return list(by_id.values())


# ----------------------------------------------------------------------------- episode statistics

def _episode_task_join() -> tuple[Any, Any]:
    """task -> task status -> shot -> sequence -> episode, and the episode alias."""
    t, e = s.task, E
    seq, ep = e.alias("stats_seq"), e.alias("stats_ep")
    joined = (t.join(s.task_status, s.task_status.c.id == t.c.task_status_id)
              .join(e, e.c.id == t.c.entity_id)
              .join(seq, seq.c.id == e.c.parent_id)
              .join(ep, ep.c.id == seq.c.parent_id))
    return joined, ep


def _episode_task_where(project_id: str, assignee_id: str | None) -> list[sa.ColumnElement[bool]]:
    where = [s.task.c.project_id == project_id]
    if assignee_id is not None:
        link = s.task_person_link
        where.append(s.task.c.id.in_(sa.select(link.c.task_id).where(link.c.person_id == assignee_id)))
    return where


def episode_task_counts(conn: Connection, project_id: str, assignee_id: str | None) -> Sequence[Any]:
    """(episode id, task type id, task status id, status short name, status color, task count, sum
    of drawings, sum of the shots' frames) for the episodes' shots of a project."""
    joined, ep = _episode_task_join()
    t, ts = s.task, s.task_status
    keys = (ep.c.id, t.c.task_type_id, t.c.task_status_id, ts.c.short_name, ts.c.color)
    stmt = (sa.select(*keys, sa.func.count(t.c.id), sa.func.sum(t.c.nb_drawings), sa.func.sum(E.c.nb_frames))
            .select_from(joined).where(*_episode_task_where(project_id, assignee_id)).group_by(*keys))
    return conn.execute(stmt).all()


def episode_task_rows(conn: Connection, project_id: str, assignee_id: str | None) -> Sequence[Any]:
    """(episode id, drawings, shot frames, task type id, retake count, is done, is retake), one per
    task of the episodes' shots of a project."""
    joined, ep = _episode_task_join()
    t, ts = s.task, s.task_status
    stmt = (sa.select(ep.c.id, t.c.nb_drawings, E.c.nb_frames, t.c.task_type_id, t.c.retake_count, ts.c.is_done,
                      ts.c.is_retake)
            .select_from(joined).where(*_episode_task_where(project_id, assignee_id)))
    return conn.execute(stmt).all()

