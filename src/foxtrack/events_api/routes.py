"""Routes of the event history and news feed (HTTP only)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.filters import group_params
from foxtrack.core.jsonutil import ok
from foxtrack.events_api import service

router = APIRouter(tags=["events"])


@router.get("/data/events/last")
def last_events(request: Request, ctx: Ctx) -> Response:
    """The last events, newest first (after, before, limit, cursor_event_id, project_id, name...)."""
    return ok(service.last_events(ctx, group_params(request.query_params.multi_items())))


@router.get("/data/events/login-logs/last")
def last_login_logs(request: Request, ctx: Ctx) -> Response:
    """The last logins, newest first (admins)."""
    return ok(service.last_login_logs(ctx, group_params(request.query_params.multi_items())))


@router.get("/data/events/names")
def event_names(ctx: Ctx) -> Response:
    """The distinct names of recorded events."""
    return ok(service.event_names(ctx))


@router.get("/data/projects/news")
def all_news(request: Request, ctx: Ctx) -> Response:
    """News of the caller's projects (``project_id`` repeated to restrict)."""
    ids = request.query_params.getlist("project_id") or None
    return ok(service.project_news(ctx, ids, dict(request.query_params)))


@router.get("/data/projects/{project_id}/news")
def project_news(project_id: str, request: Request, ctx: Ctx) -> Response:
    """News of a project, newest first, paginated, with per-status counts of status changes."""
    return ok(service.project_news(ctx, [project_id], dict(request.query_params)))


@router.get("/data/projects/{project_id}/news/{news_id}")
def one_news(project_id: str, news_id: str, request: Request, ctx: Ctx) -> Response:
    """One news entry of a project."""
    return ok(service.project_news(ctx, [project_id], dict(request.query_params), news_id))
