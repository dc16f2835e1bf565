"""Built-in search (no external indexer): case-insensitive name / description matches, limited to
the caller's projects."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import BadRequest
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import ENTITY, PERSON
from foxtrack.db import schema as s
from foxtrack.entities import queries as q
from foxtrack.entities import types

Row = dict[str, Any]
E = s.entity
INDEXES = ("persons", "assets", "shots")


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _int(body: Row, key: str, default: int) -> int:
    value = body.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise BadRequest(f"{key} must be an integer")
    try:
        return max(0, int(value))
    except ValueError as exc:
        raise BadRequest(f"{key} must be an integer") from exc


def search(ctx: RequestContext, body: Any) -> dict[str, list[Row]]:
    """``POST data/search``: persons, assets and shots whose name matches ``query``."""
    if not isinstance(body, dict):
        raise BadRequest("Invalid search request.")
    query = body.get("query")
    if not isinstance(query, str):
        raise BadRequest("query is required")
    limit, offset = _int(body, "limit", 3), _int(body, "offset", 0)
    project_id = body.get("project_id")
    if project_id is not None and not is_uuid(project_id):
        raise BadRequest("Malformed ID.", data=None)
    names = body.get("index_names") or list(INDEXES)
    if isinstance(names, str):
        names = [names]
    result: dict[str, list[Row]] = {name: [] for name in INDEXES}
    text = query.strip()
    if not text:
        return result
    pattern = _like(text)
    with ctx.read() as conn:
        if project_id is not None:
            perm.check_project_access(ctx, conn, project_id)
        scope: list[sa.ColumnElement[bool]] = []
        if project_id is not None:
            scope.append(E.c.project_id == project_id)
        else:
            clause = perm.project_scope(ctx, E.c.project_id)
            if clause is not None:
                scope.append(clause)
        matches = sa.or_(E.c.name.ilike(pattern, escape="\\"), E.c.description.ilike(pattern, escape="\\"))
        if "assets" in names:
            where = [types.asset_clause(ctx.state, E.c.entity_type_id), matches, *scope]
            assets = _page(ctx, conn, where, limit, offset)
            q.add_project_names(conn, assets)
            for asset in assets:
                asset["asset_type_id"] = asset["entity_type_id"]
                asset["asset_type_name"] = types.name_of(ctx.state, conn, asset["entity_type_id"])
            result["assets"] = assets
        if "shots" in names:
            where = [E.c.entity_type_id == types.type_id(ctx.state, types.SHOT), matches, *scope]
            shots = _page(ctx, conn, where, limit, offset)
            q.add_project_names(conn, shots)
            parents = q.parents_by_id(conn, [sh["parent_id"] for sh in shots])
            episodes = q.names_by_id(conn, [p[1] for p in parents.values()])
            for shot in shots:
                sequence = parents.get(shot["parent_id"] or "")
                shot["sequence_id"] = shot["parent_id"]
                shot["sequence_name"] = sequence[0] if sequence else None
                shot["episode_id"] = sequence[1] if sequence else None
                shot["episode_name"] = episodes.get(sequence[1] or "") if sequence else None
            result["shots"] = shots
        if "persons" in names:
            result["persons"] = _persons(ctx, conn, pattern, project_id, limit, offset)
    return result


def _page(ctx: RequestContext, conn: Any, where: list[Any], limit: int, offset: int) -> list[Row]:
    stmt = ENTITY.select().where(*where).order_by(E.c.name, E.c.id).limit(limit).offset(offset)
    return q.typed_rows(ctx.state, conn, conn.execute(stmt))


def _persons(ctx: RequestContext, conn: Any, pattern: str, project_id: str | None, limit: int,
             offset: int) -> list[Row]:
    p = s.person
    full_name = p.c.first_name + " " + p.c.last_name
    where: list[Any] = [p.c.is_bot.is_not(True), sa.or_(full_name.ilike(pattern, escape="\\"),
                                                        p.c.email.ilike(pattern, escape="\\"))]
    link = s.project_person_link
    if project_id is not None:
        where.append(p.c.id.in_(sa.select(link.c.person_id).where(link.c.project_id == project_id)))
    elif not ctx.is_admin:
        mine = sa.select(link.c.project_id).where(link.c.person_id == ctx.person_id)
        where.append(p.c.id.in_(sa.select(link.c.person_id).where(link.c.project_id.in_(mine))))
    stmt = sa.select(p.c.id, p.c.first_name, p.c.last_name, p.c.has_avatar, p.c.active, p.c.role, p.c.is_bot,
                     p.c.studio_id, p.c.desktop_login).where(*where)
    rows = conn.execute(stmt.order_by(p.c.first_name, p.c.last_name).limit(limit).offset(offset)).all()
    out = []
    for r in rows:
        out.append({"id": r[0], "first_name": r[1], "last_name": r[2], "full_name": f"{r[1]} {r[2]}".strip(),
                    "has_avatar": bool(r[3]), "active": bool(r[4]), "role": r[5], "is_bot": bool(r[6]),
                    "studio_id": r[7], "desktop_login": r[8], "type": PERSON.type_name})
    return out
