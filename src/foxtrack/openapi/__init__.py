"""The OpenAPI document and its pages: ``/openapi.json``, Swagger UI at ``/docs`` (and Zou's
``/apidocs``), ReDoc at ``/redoc``, bare and under ``/api``.

The document is built from the same models the server runs on (the CRUD models and their columns,
the query parameters and body keys each route's code reads, the routes' docstrings) on its first
request, then kept: building it costs nothing at start-up.
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.responses import Response

__all__ = ["PREFIX_KEY", "install"]

# the scope key ApiPrefix sets to the prefix it stripped ("/api"), so pages link to the document
# where the browser can reach it
PREFIX_KEY = "foxtrack.api_prefix"


def install(app: FastAPI) -> None:
    """Replace ``app.openapi`` with the described document (built once, lazily) and serve its pages."""

    building = threading.Lock()  # handlers run side by side on the thread pool: one build, not two racing

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            with building:
                if app.openapi_schema is None:
                    from foxtrack.openapi._document import build_document

                    app.openapi_schema = build_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    def document_url(request: Request) -> str:
        return str(request.scope.get(PREFIX_KEY, "")) + (app.openapi_url or "/openapi.json")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> Response:
        """The interactive API documentation (Swagger UI)."""
        return get_swagger_ui_html(openapi_url=document_url(request), title=f"{app.title} API")

    @app.get("/apidocs", include_in_schema=False)
    def apidocs(request: Request) -> Response:
        """Zou's address of the interactive API documentation (Swagger UI)."""
        return get_swagger_ui_html(openapi_url=document_url(request), title=f"{app.title} API")

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> Response:
        """The API reference (ReDoc)."""
        return get_redoc_html(openapi_url=document_url(request), title=f"{app.title} API")
