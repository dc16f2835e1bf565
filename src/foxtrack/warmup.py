"""Start-up warm-up: run the hot read paths once against ids that do not exist.

SQLAlchemy compiles a statement the first time it runs, which makes the first call of a route
several times slower than the next ones. Running the queries behind the first screens a client
opens (login, the current user, the open projects and their settings) with a made-up id compiles
exactly the statements those calls use, before the first client arrives. Nothing is written.
"""

from __future__ import annotations

import logging
from typing import Any

from foxtrack.core.context import AppState, RequestContext

log = logging.getLogger("foxtrack.warmup")

NOBODY = "00000000-0000-4000-8000-000000000000"


def warm_up(state: AppState) -> None:
    from foxtrack.auth import service as auth_service
    from foxtrack.core.models import PERSON, PROJECT
    from foxtrack.projects import queries as project_queries
    from foxtrack.projects import service as project_service

    try:
        with state.read() as conn:
            auth_service.person_with_departments(conn, NOBODY)
            auth_service.organisation(conn)
            PERSON.add_relations(conn, [{"id": NOBODY}])
            fake = {"id": NOBODY, "production_type": "tvshow", "project_status_id": NOBODY}
            PROJECT.add_relations(conn, [fake])
            project_queries.add_extras(conn, [dict(fake)])
            project_queries.add_extras(conn, [dict(fake)], status_name=True, links=False)
            for role in ("admin", "user"):
                ctx = RequestContext(state, NOBODY, role, False, {})
                project_service.open_projects(ctx, conn)
                project_service.all_projects(ctx, conn)
    except Exception:
        log.exception("warm-up failed")


ROUTES = ("/auth/authenticated", "/data/projects/open", "/data/user/context", "/data/projects",
          "/data/task-types", "/data/task-status", "/config")


async def warm_up_routes(app: Any, state: AppState) -> None:
    """Call the first routes a client opens, in process, as the first active admin (if any): the
    handlers, their dependencies and their SQL are then ready before the first real request."""
    import sqlalchemy as sa

    from foxtrack.auth.tokens import issue_access
    from foxtrack.db import schema as s

    try:
        with state.read() as conn:
            admin_id = conn.execute(sa.select(s.person.c.id).where(
                s.person.c.role == "admin", s.person.c.active.is_(True)).limit(1)).scalar()
        if admin_id is None:
            return
        token = issue_access(state, str(admin_id), None).encode()
        for path in ROUTES:
            scope = {"type": "http", "http_version": "1.1", "method": "GET", "path": path,
                     "raw_path": path.encode(), "query_string": b"", "root_path": "", "scheme": "http",
                     "headers": [(b"host", b"warm-up"), (b"authorization", b"Bearer " + token)],
                     "client": ("127.0.0.1", 0), "server": ("127.0.0.1", 0)}

            async def receive() -> dict[str, Any]:
                return {"type": "http.request", "body": b"", "more_body": False}

            async def send(_message: dict[str, Any]) -> None:
                return None

            await app(scope, receive, send)
    except Exception:
        log.exception("route warm-up failed")
