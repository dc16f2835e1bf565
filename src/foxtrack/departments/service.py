"""Department links to hardware items and software licenses (admins only, as in Zou)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import MalformedId, validation_error
from foxtrack.core.jsonutil import is_uuid, new_id, now
from foxtrack.core.models import MODELS, Model
from foxtrack.db import schema as s
from foxtrack.tasks import queries as tq

Row = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    """One kind of department resource: its model, link table and the link's column for it."""

    model: Model
    link: sa.Table
    column: str
    type_name: str


HARDWARE = Kind(MODELS["hardware-items"], s.hardware_item_department_link, "hardware_item_id",
                "HardwareItemDepartmentLink")
SOFTWARE = Kind(MODELS["softwares"], s.software_department_link, "software_id", "SoftwareDepartmentLink")
KINDS = {"hardware-items": HARDWARE, "software-licenses": SOFTWARE}
LINK_KEYS = ("id", "created_at", "updated_at", "department_id")


def _check_id(value: str) -> str:
    if not is_uuid(value):
        raise MalformedId()
    return value


def by_department(ctx: RequestContext, kind: Kind) -> dict[str, list[Row]]:
    """{department_id: [linked rows]} over every department."""
    perm.require_admin(ctx)
    link, table = kind.link, kind.model.table
    with ctx.read() as conn:
        rows = conn.execute(kind.model.select().add_columns(link.c.department_id)
                            .join(link, link.c[kind.column] == table.c.id).order_by(table.c.name))
        out: dict[str, list[Row]] = {}
        width = len(kind.model.keys)
        for row in rows:
            out.setdefault(row[width], []).append(kind.model.to_dict(row[:width]))
    return out


def of_department(ctx: RequestContext, kind: Kind, department_id: str) -> list[Row]:
    perm.require_admin(ctx)
    link, table = kind.link, kind.model.table
    with ctx.read() as conn:
        tq.load(conn, MODELS["departments"], department_id)
        return kind.model.to_dicts(conn.execute(kind.model.select().join(link, link.c[kind.column] == table.c.id)
                                                .where(link.c.department_id == department_id)
                                                .order_by(table.c.name)))


def _link_dict(kind: Kind, row: Any) -> Row:
    out = dict(zip((*LINK_KEYS, kind.column), row))
    for key in ("created_at", "updated_at"):
        out[key] = (out[key] or "")[:19] or None
    out["type"] = kind.type_name
    return out


def add(ctx: RequestContext, kind: Kind, department_id: str, body: Row) -> Row:
    """Link an item to a department (the existing link when there is one); 201 with the link."""
    perm.require_admin(ctx)
    item_id = body.get(kind.column)
    if item_id is None:
        raise validation_error({kind.column: "Field required"}, "Validation error.")
    if not is_uuid(item_id):
        raise validation_error({kind.column: "Input should be a valid UUID"}, "Validation error.")
    _check_id(department_id)
    link = kind.link
    columns = [link.c[k] for k in (*LINK_KEYS, kind.column)]
    where = (link.c.department_id == department_id, link.c[kind.column] == item_id)
    with ctx.write() as tx:
        tq.load(tx.conn, MODELS["departments"], department_id)
        tq.load(tx.conn, kind.model, str(item_id))
        found = tx.execute(sa.select(*columns).where(*where)).first()
        if found is None:
            stamp = now()
            tx.insert(link, {"id": new_id(), "created_at": stamp, "updated_at": stamp,
                             "department_id": department_id, kind.column: item_id})
            found = tx.execute(sa.select(*columns).where(*where)).first()
        return _link_dict(kind, found)


def remove(ctx: RequestContext, kind: Kind, department_id: str, item_id: str) -> None:
    perm.require_admin(ctx)
    _check_id(department_id)
    _check_id(item_id)
    link = kind.link
    with ctx.write() as tx:
        tq.load(tx.conn, MODELS["departments"], department_id)
        tq.load(tx.conn, kind.model, item_id)
        tx.delete(link, link.c.department_id == department_id, link.c[kind.column] == item_id)
