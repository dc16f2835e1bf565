"""Production schedule versions and their task links in the model registry, with Zou's CRUD rules.

Importing this module adds ``/data/production-schedule-versions`` and
``/data/production-schedule-version-task-links`` to the model registry (before ``foxtrack.crud.routes``
builds its model-name matcher: ``schedules.routes`` imports it); ``register_crud`` gives their rules.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext, Tx
from foxtrack.core.errors import Forbidden, NotFound, validation_error, wrong_parameter
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import MODELS, Model, Relation
from foxtrack.crud.policy import Policies
from foxtrack.db import schema as s

Row = dict[str, Any]

VERSION = Model("production-schedule-versions", s.production_schedule_version, "ProductionScheduleVersion")
TASK_LINK = Model(
    "production-schedule-version-task-links",
    s.production_schedule_version_task_link,
    "ProductionScheduleVersionTaskLink",
    relations={"assignees": Relation(s.production_schedule_version_task_link_person_link,
                                     "production_schedule_version_task_link_id", "person_id")},
)
for _model in (VERSION, TASK_LINK):
    MODELS.setdefault(_model.path, _model)

SAME_PROJECT = "The task and the production schedule version must be in the same project."


def block_vendor_and_client(ctx: RequestContext) -> None:
    """Zou keeps schedule versions from vendors and clients (their studio role)."""
    if ctx.role in (perm.VENDOR, perm.CLIENT):
        raise Forbidden()


def check_list_access(ctx: RequestContext, project_id: str | None) -> None:
    """Zou's list rule: a ``project_id`` filter needs access to that production (the schedule page
    of a manager or an artist of its team); without one, admins only. Vendors and clients never."""
    if project_id is not None:
        with ctx.state.read() as conn:
            perm.check_project_access(ctx, conn, project_id)
    else:
        perm.require_admin(ctx)
    block_vendor_and_client(ctx)


def _task_project(conn: Connection, task_id: Any) -> str:
    if not is_uuid(task_id):
        raise NotFound()
    project_id = conn.execute(sa.select(s.task.c.project_id).where(s.task.c.id == task_id)).scalar()
    if project_id is None:
        raise NotFound()
    return str(project_id)


# ----------------------------------------------------------------------------- versions

def _shape_version(ctx: RequestContext, conn: Connection, row: Row) -> Row:
    block_vendor_and_client(ctx)
    return row


def delete_links(tx: Tx, version_ids: Any) -> None:
    """Remove the task links (and their assignees) of the versions selected by ``version_ids``."""
    links, people = s.production_schedule_version_task_link, s.production_schedule_version_task_link_person_link
    link_ids = sa.select(links.c.id).where(links.c.production_schedule_version_id.in_(version_ids))
    tx.delete(people, people.c.production_schedule_version_task_link_id.in_(link_ids))
    tx.delete(links, links.c.production_schedule_version_id.in_(version_ids))


def _delete_version(ctx: RequestContext, tx: Tx, current: Row, force: bool) -> None:
    # Zou's foreign keys cascade to the task links
    version = s.production_schedule_version
    delete_links(tx, [current["id"]])
    tx.update(version, {"production_schedule_from": None}, version.c.production_schedule_from == current["id"])
    tx.delete(version, version.c.id == current["id"])
    tx.emit("production-schedule-version:delete", {"production_schedule_version_id": current["id"]},
            project_id=current["project_id"])


# ----------------------------------------------------------------------------- task links

def _shape_link(ctx: RequestContext, conn: Connection, row: Row) -> Row:
    perm.check_project_access(ctx, conn, _task_project(conn, row["task_id"]))
    block_vendor_and_client(ctx)
    return row


def _before_create_link(ctx: RequestContext, tx: Tx, values: Row) -> Row:
    missing = {k: "Field required" for k in ("production_schedule_version_id", "task_id") if not values.get(k)}
    if missing:
        raise validation_error(missing, "Validation error.")
    version_id = values["production_schedule_version_id"]
    version_project = tx.execute(sa.select(s.production_schedule_version.c.project_id).where(
        s.production_schedule_version.c.id == version_id)).scalar() if is_uuid(version_id) else None
    if version_project is None:
        raise NotFound()
    if _task_project(tx.conn, values["task_id"]) != version_project:
        raise wrong_parameter(SAME_PROJECT)
    perm.check_manager_project_access(ctx, tx.conn, str(version_project))
    return values


def _before_update_link(ctx: RequestContext, tx: Tx, current: Row, values: Row) -> Row:
    perm.check_manager_project_access(ctx, tx.conn, _task_project(tx.conn, current["task_id"]))
    return values


def _delete_link(ctx: RequestContext, tx: Tx, current: Row, force: bool) -> None:
    project_id = _task_project(tx.conn, current["task_id"])
    perm.check_manager_project_access(ctx, tx.conn, project_id)
    people = s.production_schedule_version_task_link_person_link
    tx.delete(people, people.c.production_schedule_version_task_link_id == current["id"])
    tx.delete(s.production_schedule_version_task_link, s.production_schedule_version_task_link.c.id == current["id"])
    tx.emit("production-schedule-version-task-link:delete",
            {"production_schedule_version_task_link_id": current["id"]}, project_id=project_id)


def register_crud(policies: Policies) -> None:
    """This feature's rules for the generic ``/data/<model>`` routes (called by the app factory)."""
    policies.register("production-schedule-versions", read="all", read_one="project", create="manager_project",
                      update="manager_project", delete="admin", project_column="project_id",
                      shape_one=_shape_version, delete_hook=_delete_version, protected=frozenset({"project_id"}))
    policies.register("production-schedule-version-task-links", read="all", read_one="all", create="all",
                      update="all", delete="all", shape_one=_shape_link, before_create=_before_create_link,
                      before_update=_before_update_link, delete_hook=_delete_link,
                      protected=frozenset({"task_id", "production_schedule_version_id"}))
