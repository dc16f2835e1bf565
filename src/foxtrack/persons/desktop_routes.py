"""``data/persons/<id>/desktop-login-logs`` and ``data/departments/<id>/persons``."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.http import JsonBody
from foxtrack.core.jsonutil import created, ok
from foxtrack.persons import desktop

router = APIRouter(tags=["persons"])


@router.get("/data/persons/{person_id}/desktop-login-logs")
def person_desktop_logins(person_id: str, ctx: Ctx) -> Response:
    """A person's desktop logins, newest first."""
    return ok(desktop.person_desktop_logins(ctx, person_id))


@router.post("/data/persons/{person_id}/desktop-login-logs")
def log_person_desktop_login(person_id: str, payload: JsonBody, ctx: Ctx) -> Response:
    """Record a desktop login for a person (``date`` optional)."""
    return created(desktop.log_person_desktop_login(ctx, person_id, payload))


@router.get("/data/departments/{department_id}/persons")
def department_persons(department_id: str, ctx: Ctx) -> Response:
    """The persons of a department."""
    return ok(desktop.department_persons(ctx, department_id))
