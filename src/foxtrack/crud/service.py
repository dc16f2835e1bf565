"""The generic CRUD operations: validation, permission, write, event; one transaction each."""

from __future__ import annotations

import functools
import math
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, StatementError

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext, Tx
from foxtrack.core.errors import (
    ApiError,
    BadRequest,
    Forbidden,
    NotFound,
    validation_error,
)
from foxtrack.core.filters import compile_filters, parse_bool
from foxtrack.core.http import pagination
from foxtrack.core.jsonutil import (
    is_uuid,
    new_id,
    normalize_date,
    normalize_datetime,
    now,
)
from foxtrack.core.models import Model, check_values
from foxtrack.crud.policy import Policy, Rule, policies_of, require
from foxtrack.db.schema import column_defaults

Row = dict[str, Any]
READ_ONLY = frozenset({"id", "created_at", "updated_at", "type"})


def event_prefix(model: Model, pol: Policy) -> str:
    return pol.event_prefix or model.table.name.replace("_", "-")


def id_key(prefix: str) -> str:
    """The id key of a generic event's payload: ``asset-type:new`` carries ``asset_type_id``."""
    return f"{prefix.replace('-', '_')}_id"


# ----------------------------------------------------------------------------- input coercion

NOT_A_STRING = "Input should be a valid string"
# Zou's answer when the database refuses a value (the checks below should leave none)
INVALID_FORMAT = "One of the provided values has an invalid format."


def coerce_value(column: sa.Column[Any], value: Any) -> Any:
    """Check and convert one input value for ``column``; 400 on a wrong type, and on a value the
    column cannot store (too long, a NUL, out of range: ``check_values``)."""
    if value is None:
        return None
    value = _coerce(column, value)
    check_values(column.table, {column.name: value})
    return value


def _coerce(column: sa.Column[Any], value: Any) -> Any:
    name, t = column.name, column.type
    try:
        if column.info.get("ts"):
            return normalize_datetime(value)
        if isinstance(t, sa.Boolean):
            if isinstance(value, bool):
                return value
            if isinstance(value, str):
                return parse_bool(value)
            if isinstance(value, int):
                return bool(value)
            raise ValueError
        if isinstance(t, sa.Integer):
            if isinstance(value, bool):
                return int(value)
            if isinstance(value, (int, float)):
                return int(value)
            if isinstance(value, str) and value.strip():
                return int(float(value))
            raise ValueError
        if isinstance(t, sa.Float):
            if isinstance(value, (dict, list)):
                raise ValueError
            number = float(value)
            if not math.isfinite(number):
                raise validation_error({name: "Input should be a finite number"}, "Validation error.")
            return number
        if isinstance(t, sa.String):
            if t.length == 36:
                if isinstance(value, dict):
                    value = value.get("id")
                if value in ("", None):
                    return None
                if not is_uuid(value):
                    raise BadRequest(f"Malformed ID for {name}.")
                return value
            if t.length == 10 and ("date" in name):
                return normalize_date(value)
            return _text(name, value)
        if isinstance(t, sa.Text):
            return _text(name, value)
    except ApiError:
        raise
    except (ValueError, TypeError, OverflowError) as exc:
        raise validation_error({name: f"Invalid value: {value!r}"}) from exc
    return value


def _text(name: str, value: Any) -> str:
    """A string, or a number written out (what PostgreSQL's assignment cast stores in Zou); a
    boolean, object or list is refused, as Zou's pydantic models refuse them."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise validation_error({name: NOT_A_STRING}, "Validation error.")


def split_body(model: Model, body: Row, ignore: frozenset[str] = frozenset()) -> tuple[Row, dict[str, list[str]]]:
    """Column values and relationship id lists from a request body (unknown keys ignored)."""
    values: Row = {}
    relations: dict[str, list[str]] = {}
    for key, value in body.items():
        if key in READ_ONLY or key in ignore or key in model.hidden:
            continue
        if key in model.relations:
            if value is None:
                continue
            if not isinstance(value, list):
                raise validation_error({key: "Must be a list of ids."})
            ids: list[str] = []
            for v in value:
                v = v.get("id") if isinstance(v, dict) else v
                if not is_uuid(v):
                    raise BadRequest(f"Malformed ID in {key}.")
                ids.append(str(v))
            relations[key] = list(dict.fromkeys(ids))
            continue
        if key in model.column_names:
            values[key] = coerce_value(model.table.c[key], value)
    return values, relations


def missing_required(model: Model, values: Row) -> None:
    missing = {
        c.name: "Field required"
        for c in model.table.c
        if not c.nullable and c.name not in ("id", "created_at", "updated_at") and values.get(c.name) is None
    }
    if missing:
        raise validation_error(missing)


def write_relations(tx: Tx, model: Model, item_id: str, relations: dict[str, list[str]], replace: bool) -> None:
    for name, ids in relations.items():
        rel = model.relations[name]
        link = rel.table
        if replace:
            tx.delete(link, link.c[rel.local] == item_id)
        if ids:
            tx.insert(link, [{rel.local: item_id, rel.remote: i} for i in ids])


def _new_row(model: Model, defaults: Row, values: Row, stamp: str) -> Row:
    """A row to insert: the column defaults, the values, an id and the time stamps; 400 when a
    required column is missing."""
    row = {**defaults, **values}
    row["id"] = row.get("id") or new_id()
    row["created_at"] = row.get("created_at") or stamp
    row["updated_at"] = stamp
    missing_required(model, row)
    return row


def insert(tx: Tx, model: Model, values: Row, relations: dict[str, list[str]] | None = None) -> Row:
    """Insert a row with defaults; returns the full stored dict (serialised)."""
    row = _new_row(model, column_defaults(model.table), values, now())
    # values checked against their columns by ``tx.insert``; parameters bound at execution: the
    # INSERT is compiled once per column set, not built per row
    tx.insert(model.table, {k: v for k, v in row.items() if k in model.column_names})
    if relations:
        write_relations(tx, model, row["id"], relations, replace=False)
    out = model.to_dict([row.get(k) for k in model.keys])
    if relations is not None:
        for name in model.relations:
            out[name] = relations.get(name, [])
    return out


def insert_many(tx: Tx, model: Model, values: list[Row]) -> list[Row]:
    """``insert`` for many rows of the same columns, in one statement; the stored dicts, in order."""
    stamp, defaults = now(), column_defaults(model.table)
    rows = [_new_row(model, defaults, item, stamp) for item in values]
    tx.insert(model.table, [{k: v for k, v in row.items() if k in model.column_names} for row in rows])
    return [model.to_dict([row.get(k) for k in model.keys]) for row in rows]


def update_row(tx: Tx, model: Model, item_id: str, values: Row) -> None:
    """Set ``values`` on one row (checked against their columns by ``tx.update``)."""
    values = dict(values)
    values["updated_at"] = now()
    tx.update(model.table, values, model.table.c.id == item_id)


# ----------------------------------------------------------------------------- permission

def project_id_of(conn: Connection, model: Model, pol: Policy, row: Row) -> str | None:
    if pol.project_column:
        value = row.get(pol.project_column)
        return str(value) if value else None
    return None


def check(ctx: RequestContext, conn: Connection, model: Model, pol: Policy, rule: Rule, row: Row | None) -> None:
    """The policy's decision on ``rule`` for ``row`` (``crud.policy.require``)."""
    require(ctx, conn, model.path, pol, rule, row)


# ----------------------------------------------------------------------------- operations

def list_rows(ctx: RequestContext, model: Model, params: dict[str, list[str]]) -> Any:
    pol = policies_of(ctx.state).get(model.path)
    table = model.table
    clauses = compile_filters(model, params, pol.virtual_filters)
    if not ctx.is_admin:
        if isinstance(pol.read, tuple):
            with ctx.read() as conn:
                check(ctx, conn, model, pol, pol.read, None)
        if pol.read == "admin":
            raise Forbidden()
        if pol.read == "manager":
            perm.require_manager(ctx)
        elif pol.read == "project" and pol.project_column:
            scope = perm.project_scope(ctx, table.c[pol.project_column])
            if scope is not None:
                clauses.append(scope)
        elif pol.read == "self":
            clauses.append(table.c[pol.owner_column or "person_id"] == ctx.person_id)
        limit_to = pol.row_scope(ctx, table) if pol.row_scope is not None else None
        if limit_to is not None:
            clauses.append(limit_to)
    stmt = model.select().where(*clauses)
    relations = parse_bool(params["relations"][0]) if "relations" in params else False
    page = pagination({k: params[k][0] for k in ("page", "limit") if k in params},
                      ctx.state.settings.records_per_page)
    with ctx.read() as conn:
        if page is not None:
            limit = page.limit
            total = conn.execute(sa.select(sa.func.count()).select_from(table).where(*clauses)).scalar() or 0
            ordered = stmt.order_by(table.c.updated_at.desc(), table.c.created_at.desc(), table.c.id)
            rows = model.to_dicts(conn.execute(ordered.limit(limit).offset(page.offset)))
            rows = _finish(ctx, conn, model, pol, rows, relations, params)
            return {"data": rows, "total": total, "nb_pages": int(math.ceil(total / limit)), "limit": limit,
                    "offset": page.offset, "page": page.page}
        rows = model.to_dicts(conn.execute(stmt))
        return _finish(ctx, conn, model, pol, rows, relations, params)


def _finish(ctx: RequestContext, conn: Connection, model: Model, pol: Policy, rows: list[Row], relations: bool,
            params: dict[str, list[str]]) -> list[Row]:
    if relations and model.relations:
        model.add_relations(conn, rows)
    if pol.shape_many is not None:
        rows = pol.shape_many(ctx, conn, rows)
    if "fields" in params:
        keep = {f.strip() for f in ",".join(params["fields"]).split(",") if f.strip()} | {"id", "type"}
        rows = [{k: v for k, v in r.items() if k in keep} for r in rows]
    return rows


def load(conn: Connection, model: Model, item_id: str) -> Row:
    if not is_uuid(item_id):
        from foxtrack.core.errors import MalformedId

        raise MalformedId()
    row = model.get(conn, item_id)
    if row is None:
        raise NotFound()
    return row


def get_row(ctx: RequestContext, model: Model, item_id: str, relations: bool = True) -> Row:
    pol = policies_of(ctx.state).get(model.path)
    with ctx.read() as conn:
        row = load(conn, model, item_id)
        check(ctx, conn, model, pol, pol.read_one or pol.read, row)
        if relations and model.relations:
            model.add_relations(conn, [row])
        if pol.shape_one is not None:
            row = pol.shape_one(ctx, conn, row)
    return row


def create_row(ctx: RequestContext, model: Model, body: Row) -> Row:
    if not body:
        raise BadRequest("Data are empty. Please verify that you sent JSON data and that you set the right headers.")
    pol = policies_of(ctx.state).get(model.path)
    try:
        with ctx.write() as tx:
            values, relations = split_body(model, body)
            if pol.owner_column and pol.create == "self" and not values.get(pol.owner_column):
                values[pol.owner_column] = ctx.person_id
            check(ctx, tx.conn, model, pol, pol.create, values)
            if pol.before_create is not None:
                values = pol.before_create(ctx, tx, {**values, "__relations__": relations, "__body__": body})
                relations = values.pop("__relations__", relations)
                values.pop("__body__", None)
            row = insert(tx, model, values, relations)
            if pol.after_create is not None:
                row = pol.after_create(ctx, tx, row, body)
            prefix = event_prefix(model, pol)
            if pol.event_prefix != "":
                tx.emit(f"{prefix}:new", {id_key(prefix): row["id"]},
                        project_id=project_id_of(tx.conn, model, pol, row))
    except IntegrityError as exc:
        raise BadRequest("A record with the same unique values already exists.") from exc
    except StatementError as exc:
        raise BadRequest(INVALID_FORMAT) from exc
    return row


def update_row_op(ctx: RequestContext, model: Model, item_id: str, body: Row) -> Row:
    pol = policies_of(ctx.state).get(model.path)
    try:
        with ctx.write() as tx:
            current = load(tx.conn, model, item_id)
            check(ctx, tx.conn, model, pol, pol.update, current)
            ignore = pol.protected | ({"project_id"} if "project_id" in model.column_names else frozenset())
            values, relations = split_body(model, body, ignore=frozenset(ignore))
            if pol.before_update is not None:
                values = pol.before_update(ctx, tx, current, {**values, "__relations__": relations, "__body__": body})
                relations = values.pop("__relations__", relations)
                values.pop("__body__", None)
            for key, value in values.items():
                col = model.table.c[key]
                if value is None and not col.nullable:
                    raise validation_error({key: "Field may not be null"})
            if values:
                update_row(tx, model, item_id, values)
            if relations:
                write_relations(tx, model, item_id, relations, replace=True)
            row = load(tx.conn, model, item_id)
            if model.path == "persons":
                ctx.state.invalidate_auth()
            if pol.after_update is not None:
                row = pol.after_update(ctx, tx, row, current)
            if pol.event_prefix != "":
                tx.emit(f"{event_prefix(model, pol)}:update", {id_key(event_prefix(model, pol)): item_id},
                        project_id=project_id_of(tx.conn, model, pol, row))
    except IntegrityError as exc:
        raise BadRequest("A record with the same unique values already exists.") from exc
    except StatementError as exc:
        raise BadRequest(INVALID_FORMAT) from exc
    return row


STILL_LINKED = "This record is still linked to other data and cannot be deleted."


@functools.cache
def _references_to(table: sa.Table) -> tuple[sa.ForeignKey, ...]:
    """The foreign keys without ``ON DELETE`` that point at ``table`` (the schema does not change)."""
    return tuple(fk for other in table.metadata.tables.values() for fk in other.foreign_keys
                 if fk.column.table is table and fk.ondelete is None)


def still_referenced(conn: Connection, table: sa.Table, item_id: str, cleared: set[sa.Table]) -> bool:
    """Whether a row of another table (``cleared`` aside) still points at ``table``'s row ``item_id``
    through a foreign key without ``ON DELETE``: PostgreSQL refuses that delete with its constraint,
    SQLite (foreign keys off) would leave the rows pointing at nothing; asked first, both refuse."""
    for fk in _references_to(table):
        other = fk.parent.table
        if other in cleared:
            continue
        found = conn.execute(sa.select(sa.literal(1)).select_from(other).where(fk.parent == item_id).limit(1))
        if found.first() is not None:
            return True
    return False


def delete_row(ctx: RequestContext, model: Model, item_id: str, force: bool) -> None:
    pol = policies_of(ctx.state).get(model.path)
    try:
        with ctx.write() as tx:
            current = load(tx.conn, model, item_id)
            check(ctx, tx.conn, model, pol, pol.delete, current)
            if model.path == "persons":
                ctx.state.invalidate_auth()
            if pol.delete_hook is not None:
                pol.delete_hook(ctx, tx, current, force)
            else:
                links = [rel.table for rel in model.relations.values()]
                if still_referenced(tx.conn, model.table, item_id, set(links)):
                    raise BadRequest(STILL_LINKED)
                for rel in model.relations.values():
                    tx.delete(rel.table, rel.table.c[rel.local] == item_id)
                tx.delete(model.table, model.table.c.id == item_id)
                if pol.event_prefix != "":
                    tx.emit(f"{event_prefix(model, pol)}:delete", {id_key(event_prefix(model, pol)): item_id},
                            project_id=project_id_of(tx.conn, model, pol, current))
    except IntegrityError as exc:
        raise BadRequest(STILL_LINKED) from exc
