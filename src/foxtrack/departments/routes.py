"""Department routes: the hardware items and software licenses each department uses."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from starlette.responses import Response

from foxtrack.core.context import Ctx
from foxtrack.core.http import JsonBody
from foxtrack.core.jsonutil import created, no_content, ok
from foxtrack.departments import service

router = APIRouter(tags=["departments"])


def _routes(path: str, kind: service.Kind) -> None:
    label = path.replace("-", " ")

    def by_department(ctx: Ctx) -> Response:
        return ok(service.by_department(ctx, kind))

    def of_department_item(department_id: str, item_id: str, ctx: Ctx) -> Response:
        return ok(service.of_department(ctx, kind, department_id))

    def add(department_id: str, payload: JsonBody, ctx: Ctx) -> Response:
        return created(service.add(ctx, kind, department_id, payload))

    def remove(department_id: str, item_id: str, ctx: Ctx) -> Response:
        service.remove(ctx, kind, department_id, item_id)
        return no_content()

    routes: list[tuple[str, str, Callable[..., Response], str]] = [
        (f"/data/departments/{path}", "GET", by_department, f"The {label} of every department, by department id"),
        (f"/data/departments/{{department_id}}/{path}", "POST", add, f"Link one of the {label} to a department"),
        (f"/data/departments/{{department_id}}/{path}/{{item_id}}", "GET", of_department_item,
         f"The {label} of a department"),
        (f"/data/departments/{{department_id}}/{path}/{{item_id}}", "DELETE", remove,
         f"Unlink one of the {label} from a department"),
    ]
    for route, method, endpoint, summary in routes:
        router.add_api_route(route, endpoint, methods=[method], summary=summary,
                             name=f"{endpoint.__name__}_{path}")


for _path, _kind in service.KINDS.items():
    _routes(_path, _kind)
