"""Studio-wide CSV exports: the tasks and the time spent of every open production (managers)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.csvio.service import person_names
from foxtrack.db import schema as s
from foxtrack.entities.names import full_entity_names

Table = tuple[list[str], list[list[Any]]]
TASK_HEADER = ["Project", "Task Type", "Episode", "Sequence", "Entity Type", "Entity", "Assigner", "Assignees",
               "Duration", "Estimation", "Start date", "Due date", "WIP date", "Validation date", "Task Status"]
TIME_SPENT_HEADER = ["Project", "Person", "Entity Type Name", "Entity", "Task Type", "Date", "Time spent"]


def _day(value: str | None) -> str:
    return value[:10] if value else ""


def tasks(conn: Connection) -> Table:
    """One line per task of the open productions, by production, task type, episode, sequence, entity."""
    t, p, ps, tt, st, e, et = s.task, s.project, s.project_status, s.task_type, s.task_status, s.entity, s.entity_type
    seq, ep = e.alias("sequence"), e.alias("episode")
    names = person_names(conn)
    assignees: dict[str, list[str]] = defaultdict(list)
    link = s.task_person_link
    open_tasks = sa.select(t.c.id).join(p, p.c.id == t.c.project_id).join(ps, ps.c.id == p.c.project_status_id) \
        .where(ps.c.name == "Open")
    for task_id, person_id in conn.execute(sa.select(link.c.task_id, link.c.person_id)
                                           .where(link.c.task_id.in_(open_tasks))):
        assignees[task_id].append(names.get(person_id, ""))
    query = (sa.select(t.c.id, p.c.name, tt.c.name, ep.c.name, seq.c.name, et.c.name, e.c.name, t.c.assigner_id,
                       t.c.duration, t.c.estimation, t.c.start_date, t.c.due_date, t.c.real_start_date, t.c.end_date,
                       st.c.name)
             .join(p, p.c.id == t.c.project_id).join(ps, ps.c.id == p.c.project_status_id)
             .join(tt, tt.c.id == t.c.task_type_id).join(st, st.c.id == t.c.task_status_id)
             .join(e, e.c.id == t.c.entity_id).join(et, et.c.id == e.c.entity_type_id)
             .outerjoin(seq, seq.c.id == e.c.parent_id).outerjoin(ep, ep.c.id == seq.c.parent_id)
             .where(ps.c.name == "Open")
             .order_by(p.c.name, tt.c.name, ep.c.name, seq.c.name, et.c.name, e.c.name, t.c.name))
    rows = []
    for (task_id, project, task_type, episode, sequence, entity_type, entity, assigner, duration, estimation, start,
         due, wip, done, status) in conn.execute(query):
        rows.append([project, task_type, episode, sequence, entity_type, entity, names.get(assigner, "") if assigner
                     else "", ", ".join(assignees[task_id]), duration, estimation, _day(start), _day(due), _day(wip),
                     _day(done), status])
    return TASK_HEADER, rows


def time_spents(conn: Connection) -> Table:
    """One line per time spent on the open productions' tasks, by day, person, production, entity."""
    ts, t, p, ps, tt, e, et, pe = (s.time_spent, s.task, s.project, s.project_status, s.task_type, s.entity,
                                   s.entity_type, s.person)
    query = (sa.select(p.c.name, pe.c.first_name, pe.c.last_name, et.c.name, e.c.id, e.c.name, tt.c.name, ts.c.date,
                       ts.c.duration)
             .join(t, t.c.id == ts.c.task_id).join(e, e.c.id == t.c.entity_id).join(et, et.c.id == e.c.entity_type_id)
             .join(p, p.c.id == t.c.project_id).join(ps, ps.c.id == p.c.project_status_id)
             .join(tt, tt.c.id == t.c.task_type_id).join(pe, pe.c.id == ts.c.person_id)
             .where(ps.c.name.in_(("Active", "open", "Open")))
             .order_by(ts.c.date, pe.c.last_name, p.c.name, et.c.name, e.c.name))
    found = conn.execute(query).all()
    full = full_entity_names(conn, {row[4] for row in found if row[3] == "Shot"})
    rows = []
    for project, first, last, entity_type, entity_id, entity, task_type, date, duration in found:
        if entity_type == "Shot" and entity_id in full:
            entity = full[entity_id].name
        rows.append([project, f"{first} {last}".strip(), entity_type, entity, task_type, _day(date), duration])
    return TIME_SPENT_HEADER, rows
