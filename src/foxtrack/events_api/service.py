"""Event history (``data/events/*``) and the project news feed."""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import BadRequest, NotFound
from foxtrack.core.http import pagination, query_int
from foxtrack.core.jsonutil import is_uuid, normalize_datetime
from foxtrack.db import schema as s
from foxtrack.entities.names import FullName, full_entity_names
from foxtrack.tasks import queries as tq

Row = dict[str, Any]
FILE_EVENTS = ("preview-file:add-file", "preview-file:update", "person:set-thumbnail", "project:set-thumbnail",
               "organisation:set-thumbnail", "preview-background-file:add-file")


def _uuid(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if not is_uuid(value):
        raise BadRequest("Malformed ID.")
    return value


def _when(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return normalize_datetime(value)
    except ValueError as exc:
        raise BadRequest("Wrong date format.") from exc


def _window(one: dict[str, str], created_at: sa.ColumnElement[Any]) -> tuple[int, list[sa.ColumnElement[bool]]]:
    """``limit`` (1 to 1000, 100 by default) and the ``after``/``before`` clauses of a log read."""
    limit = min(1000, query_int(one, "limit", 0, minimum=0) or 100)
    clauses: list[sa.ColumnElement[bool]] = []
    after, before = _when(one.get("after")), _when(one.get("before"))
    if after:
        clauses.append(created_at > after)
    if before:
        clauses.append(created_at < before)
    return limit, clauses


def last_events(ctx: RequestContext, params: dict[str, list[str]]) -> list[Row]:
    """Events newest first, filtered (managers; non-admins see only their projects)."""
    perm.require_manager(ctx)
    e = s.api_event
    one = {k: v[-1] for k, v in params.items() if v}
    limit, clauses = _window(one, e.c.created_at)
    project_id = _uuid(one.get("project_id"))
    if project_id:
        clauses.append(e.c.project_id == project_id)
    scope = perm.project_scope(ctx, e.c.project_id)
    if scope is not None:
        clauses.append(scope)
    if one.get("name"):
        clauses.append(e.c.name == one["name"])
    prefixes = [p for p in params.get("name_prefixes", []) if p]
    if prefixes:
        clauses.append(sa.or_(*(e.c.name.startswith(p, autoescape=True) for p in prefixes)))
    suffixes = [p for p in params.get("name_suffixes", []) if p]
    if suffixes:
        clauses.append(sa.or_(*(e.c.name.endswith(p, autoescape=True) for p in suffixes)))
    person_ids = [_uuid(p) for p in params.get("person_ids", []) if p]
    if person_ids:
        clauses.append(e.c.user_id.in_(person_ids))
    if one.get("only_files", "").lower() in ("true", "1"):
        clauses.append(e.c.name.in_(FILE_EVENTS))
    with ctx.read() as conn:
        cursor_id = _uuid(one.get("cursor_event_id"))
        if cursor_id:
            cursor = conn.execute(sa.select(e.c.created_at).where(e.c.id == cursor_id)).scalar()
            if cursor is not None:
                clauses.append(e.c.created_at < cursor)
        rows = conn.execute(sa.select(e.c.id, e.c.created_at, e.c.name, e.c.user_id, e.c.project_id, e.c.data)
                            .where(*clauses).order_by(e.c.created_at.desc(), e.c.id).limit(limit))
        return [{"id": r.id, "created_at": r.created_at[:19], "name": r.name, "user_id": r.user_id,
                 "project_id": r.project_id, "data": r.data} for r in rows]


def event_names(ctx: RequestContext) -> list[str]:
    perm.require_manager(ctx)
    e = s.api_event
    with ctx.read() as conn:
        return [r[0] for r in conn.execute(sa.select(e.c.name).distinct().order_by(e.c.name))]


# ----------------------------------------------------------------------------- news

# the news feed's joins, built once: a news row with its task, project, entity, comment and preview;
# the entity's sequence and episode only for the episode filter
_N, _T, _E, _PF, _P, _C = s.news, s.task, s.entity, s.preview_file, s.project, s.comment
_SEQ, _EP = s.entity.alias("sequence"), s.entity.alias("episode")
_FEED = (_N.join(_T, _T.c.id == _N.c.task_id).join(_P, _P.c.id == _N.c.project_id)
         .join(_E, _E.c.id == _T.c.entity_id).outerjoin(_C, _C.c.id == _N.c.comment_id)
         .outerjoin(_PF, _PF.c.id == _N.c.preview_file_id))
_FEED_BY_EPISODE = _FEED.outerjoin(_SEQ, _SEQ.c.id == _E.c.parent_id).outerjoin(_EP, _EP.c.id == _SEQ.c.parent_id)
# a news row is deleted with its task and project: without a filter on the task, its entity or its
# episode, counting needs the comment alone (the inner joins only matched every row again)
_COUNTED = _N.outerjoin(_C, _C.c.id == _N.c.comment_id)
_FEED_COLUMNS = (_N.c.id, _N.c.author_id, _N.c.comment_id, _N.c.task_id, _T.c.task_type_id, _C.c.task_status_id,
                 _T.c.entity_id, _N.c.preview_file_id, _PF.c.extension, _PF.c.revision, _N.c.project_id, _P.c.name,
                 _N.c.created_at, _N.c.change, _E.c.preview_file_id.label("entity_pf"))


def project_news(ctx: RequestContext, project_ids: list[str] | None, params: dict[str, str],
                 news_id: str | None = None, entity_id: str | None = None) -> Any:
    """The news feed: one row per comment on a task, with entity and preview details, paginated."""
    n, t, c, ep = _N, _T, _C, _EP
    window = pagination({**params, "limit": params.get("limit") or params.get("page_size") or ""}, 50,
                        default_page=1)
    page, limit = window.page, window.limit
    clauses: list[sa.ColumnElement[bool]] = []
    with ctx.read() as conn:
        if project_ids is not None:
            for project_id in project_ids:
                tq.load(conn, tq.PROJECT, project_id)
                perm.check_project_access(ctx, conn, project_id)
            clauses.append(n.c.project_id.in_(project_ids))
        else:
            scope = perm.project_scope(ctx, n.c.project_id)
            if scope is not None:
                clauses.append(scope)
        if news_id is not None:
            clauses.append(n.c.id == _uuid(news_id))
        if entity_id is not None:
            clauses.append(t.c.entity_id == entity_id)
        for key, column in (("task_status_id", c.c.task_status_id), ("task_type_id", t.c.task_type_id),
                            ("person_id", n.c.author_id), ("episode_id", ep.c.id)):
            if params.get(key):
                clauses.append(column == _uuid(params[key]))
        if params.get("only_preview", "").lower() == "true":
            clauses.append(n.c.preview_file_id.isnot(None))
        if params.get("after"):
            clauses.append(n.c.created_at > _when(params["after"]))
        if params.get("before"):
            clauses.append(n.c.created_at < _when(params["before"]))
        joined = _FEED_BY_EPISODE if params.get("episode_id") else _FEED
        # the total and the per-status counts of status changes in one statement
        joins_needed = entity_id is not None or any(params.get(k) for k in ("task_type_id", "episode_id"))
        counted = joined if joins_needed else _COUNTED
        total = 0
        stats: dict[str, int] = {}
        for status_id, change, count in conn.execute(
                sa.select(c.c.task_status_id, n.c.change, sa.func.count()).select_from(counted).where(*clauses)
                .group_by(c.c.task_status_id, n.c.change)):
            total += count
            if change and status_id:
                stats[status_id] = stats.get(status_id, 0) + count
        stmt = (sa.select(*_FEED_COLUMNS).select_from(joined).where(*clauses).order_by(n.c.created_at.desc(), n.c.id)
                .limit(limit).offset((page - 1) * limit))
        rows = list(conn.execute(stmt))
        from foxtrack.comments.service import minimal_persons

        people = minimal_persons(conn, {r.author_id for r in rows if r.author_id})
        names = full_entity_names(conn, (r.entity_id for r in rows))
    data = []
    for r in rows:
        full = names.get(r.entity_id, FullName("", None))
        item = {"id": r.id, "type": "News", "author_id": r.author_id, "comment_id": r.comment_id,
                "task_id": r.task_id, "task_type_id": r.task_type_id, "task_status_id": r.task_status_id,
                "task_entity_id": r.entity_id, "preview_file_id": r.preview_file_id,
                "preview_file_extension": r.extension, "preview_file_revision": r.revision,
                "project_id": r.project_id, "project_name": r.name, "created_at": r.created_at[:19],
                "change": bool(r.change), "full_entity_name": full.name,
                "episode_id": full.episode_id, "entity_preview_file_id": r.entity_pf}
        if r.author_id in people:
            item["person"] = people[r.author_id]
        data.append(item)
    if news_id is not None:
        if not data:
            raise NotFound()
        return data[0]
    return {"data": data, "total": total, "nb_pages": math.ceil(total / limit), "limit": limit,
            "offset": (page - 1) * limit, "page": page, "stats": stats}


def last_login_logs(ctx: RequestContext, params: dict[str, list[str]]) -> list[Row]:
    """Login logs newest first (admins): after, before, limit, cursor_login_log_id, person_ids."""
    perm.require_admin(ctx)
    log = s.login_log
    one = {k: v[-1] for k, v in params.items() if v}
    limit, clauses = _window(one, log.c.created_at)
    person_ids = [_uuid(p) for p in params.get("person_ids", []) if p]
    if person_ids:
        clauses.append(log.c.person_id.in_(person_ids))
    # Zou's log holds the successful logins; the rest of the audit trail is auth.audit's
    clauses += [log.c.success.is_not(False), sa.or_(log.c.event.is_(None), log.c.event == "login")]
    with ctx.read() as conn:
        cursor_id = _uuid(one.get("cursor_login_log_id"))
        if cursor_id:
            cursor = conn.execute(sa.select(log.c.created_at).where(log.c.id == cursor_id)).scalar()
            if cursor is not None:
                clauses.append(log.c.created_at < cursor)
        rows = conn.execute(sa.select(log.c.id, log.c.created_at, log.c.person_id, log.c.ip_address, log.c.origin)
                            .where(*clauses).order_by(log.c.created_at.desc(), log.c.id).limit(limit))
        return [{"id": r.id, "created_at": r.created_at[:19], "person_id": r.person_id,
                 "ip_address": r.ip_address, "origin": r.origin} for r in rows]
