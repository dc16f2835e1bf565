"""SQL of the files feature: working and output file lookups, revisions, default records."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core.models import MODELS
from foxtrack.db import schema as s

Row = dict[str, Any]
WORKING_FILE = MODELS["working-files"]
OUTPUT_FILE = MODELS["output-files"]
OUTPUT_TYPE = MODELS["output-types"]

# Query-string filters of the output file lists (each applies only when given).
OUTPUT_FILTERS = ("output_type_id", "task_type_id", "representation", "name", "file_status_id")


def working_files(conn: Connection, *clauses: sa.ColumnElement[bool]) -> list[Row]:
    wf = s.working_file
    stmt = WORKING_FILE.select().where(*clauses).order_by(wf.c.revision.desc(), wf.c.created_at)
    return WORKING_FILE.to_dicts(conn.execute(stmt))


def last_working_revision(conn: Connection, task_id: str, name: str) -> int:
    wf = s.working_file
    stmt = sa.select(sa.func.max(wf.c.revision)).where(wf.c.task_id == task_id, wf.c.name == name)
    return int(conn.execute(stmt).scalar() or 0)


def working_file_exists(conn: Connection, task_id: str, entity_id: str, name: str, revision: int) -> bool:
    wf = s.working_file
    stmt = sa.select(wf.c.id).where(wf.c.task_id == task_id, wf.c.entity_id == entity_id, wf.c.name == name,
                                    wf.c.revision == revision)
    return conn.execute(stmt).first() is not None


def output_ids_by_source(conn: Connection, working_file_ids: list[str]) -> dict[str, list[str]]:
    of = s.output_file
    out: dict[str, list[str]] = {i: [] for i in working_file_ids}
    if working_file_ids:
        stmt = sa.select(of.c.source_file_id, of.c.id).where(of.c.source_file_id.in_(working_file_ids))
        for source_id, output_id in conn.execute(stmt.order_by(of.c.created_at)):
            out[source_id].append(output_id)
    return out


def with_source_files(conn: Connection, outputs: list[Row]) -> list[Row]:
    """Embed each output file's source working file (``source_file``), one query for all."""
    ids = list({o["source_file_id"] for o in outputs if o.get("source_file_id")})
    sources: dict[str, Row] = {}
    if ids:
        sources = {w["id"]: w for w in WORKING_FILE.to_dicts(conn.execute(
            WORKING_FILE.select().where(s.working_file.c.id.in_(ids))))}
    for output in outputs:
        output["source_file"] = sources.get(output.get("source_file_id") or "")
    return outputs


def output_clauses(entity_id: str | None = None, asset_instance_id: str | None = None,
                   temporal_entity_id: str | None = None,
                   filters: dict[str, str] | None = None) -> list[sa.ColumnElement[bool]]:
    of = s.output_file
    clauses: list[sa.ColumnElement[bool]] = []
    if entity_id is not None:
        clauses.append(of.c.entity_id == entity_id)
    if asset_instance_id is not None:
        clauses.append(of.c.asset_instance_id == asset_instance_id)
    if temporal_entity_id is not None:
        clauses.append(of.c.temporal_entity_id == temporal_entity_id)
    for key, value in (filters or {}).items():
        if key in OUTPUT_FILTERS:
            clauses.append(of.c[key] == value)
    return clauses


def output_files(conn: Connection, clauses: Iterable[sa.ColumnElement[bool]]) -> list[Row]:
    of = s.output_file
    stmt = OUTPUT_FILE.select().where(*clauses).order_by(of.c.revision.desc(), of.c.created_at)
    return with_source_files(conn, OUTPUT_FILE.to_dicts(conn.execute(stmt)))


def project_output_files(conn: Connection, project_id: str, filters: dict[str, str]) -> list[Row]:
    of, e, ai = s.output_file, s.entity, s.asset_instance
    in_project = sa.or_(
        of.c.entity_id.in_(sa.select(e.c.id).where(e.c.project_id == project_id)),
        of.c.asset_instance_id.in_(
            sa.select(ai.c.id).join(e, e.c.id == ai.c.asset_id).where(e.c.project_id == project_id)),
    )
    return output_files(conn, [in_project, *output_clauses(filters=filters)])


def last_output_revision(conn: Connection, clauses: list[sa.ColumnElement[bool]]) -> int:
    stmt = sa.select(sa.func.max(s.output_file.c.revision)).where(*clauses)
    return int(conn.execute(stmt).scalar() or 0)


def output_types_of(conn: Connection, clauses: list[sa.ColumnElement[bool]]) -> list[Row]:
    of, ot = s.output_file, s.output_type
    used = sa.select(of.c.output_type_id).where(*clauses)
    return OUTPUT_TYPE.to_dicts(conn.execute(OUTPUT_TYPE.select().where(ot.c.id.in_(used)).order_by(ot.c.name)))


def named_row(conn: Connection, table: sa.Table, name: str) -> Row | None:
    row = conn.execute(sa.select(table).where(table.c.name == name)).first()
    return dict(row._mapping) if row is not None else None
