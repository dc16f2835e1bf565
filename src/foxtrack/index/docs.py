"""The API documentation routes Zou serves through flasgger: ``/apidocs/index.html``,
``/openapi-raw.json``, ``/oauth2-redirect.html``, ``/docs/<file>`` and ``/static/<file>``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from starlette.responses import Response

from foxtrack.core.errors import NotFound
from foxtrack.core.jsonutil import ok

router = APIRouter(tags=["index"], include_in_schema=False)


def _swagger() -> Response:
    # served bare and under /api alike (the prefix is gone by now): the bare paths work for both
    return get_swagger_ui_html(openapi_url="/openapi.json", title="foxtrack API",
                               oauth2_redirect_url="/oauth2-redirect.html")


@router.get("/apidocs/index.html")
def apidocs_index() -> Response:
    """The interactive API documentation (Swagger UI)."""
    return _swagger()


@router.get("/openapi-raw.json")
def openapi_raw(request: Request) -> Response:
    """The OpenAPI document of the API."""
    return ok(request.app.openapi())


@router.get("/oauth2-redirect.html")
def oauth2_redirect() -> Response:
    """Swagger UI's OAuth2 redirect page."""
    return get_swagger_ui_oauth2_redirect_html()


@router.get("/docs/{filename}")
def docs_file(filename: str, request: Request) -> Response:
    """The documentation's files: ``index.html`` (Swagger UI) and ``openapi.json``."""
    if filename in ("", "index.html"):
        return _swagger()
    if filename in ("openapi.json", "swagger.json"):
        return ok(request.app.openapi())
    raise NotFound()


@router.get("/static/{filename}")
def static_file(filename: str) -> Response:
    """Zou's static folder holds its documentation assets; foxtrack's Swagger UI loads them from
    its CDN, so no file is served here."""
    raise NotFound()
