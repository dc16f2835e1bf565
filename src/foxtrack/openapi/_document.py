"""The OpenAPI document, built from the routes, the CRUD models and the code each route runs."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from foxtrack.core.http import json_any, json_body
from foxtrack.core.models import MODELS
from foxtrack.openapi._reads import body_reads, params_read_by
from foxtrack.openapi._schemas import key_schema, model_body, model_filters

__all__ = ["build_document"]

BODY_METHODS = ("post", "put", "patch", "delete")
CRUD_LIST, CRUD_ITEM = "/data/{model_name}", "/data/{model_name}/{item_id}"
INTEGER_PARAMS = {"page", "limit"}
_PARAM = re.compile(r"\{[^}]*\}")


def build_document(app: FastAPI) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document of ``app``: every route once (the one that answers), query
    parameters and bodies described, the generic CRUD expanded into one path per model."""
    routes = list(_api_routes(app.router.routes))
    with warnings.catch_warnings():  # FastAPI warns of the operation ids fixed below
        warnings.simplefilter("ignore")
        # the first route of a path and method answers it: FastAPI keeps the last, so pass them reversed
        doc = get_openapi(title=app.title, version=app.version, description=app.description,
                          routes=list(reversed(routes)))
    order = {route.path_format: index for index, route in reversed(list(enumerate(routes)))}
    paths: dict[str, Any] = dict(sorted(doc.get("paths", {}).items(), key=lambda item: order.get(item[0], 0)))
    answering = {(route.path_format, method.lower()): route
                 for route in reversed(routes) for method in route.methods or ()}
    for (path, method), route in answering.items():
        operation = paths.get(path, {}).get(method)
        if operation is not None and path not in (CRUD_LIST, CRUD_ITEM):
            _describe(operation, route, method)
    paths.pop(CRUD_LIST, None)
    paths.pop(CRUD_ITEM, None)
    paths = _merge_same_templates(paths)
    _add_crud(paths)
    for item in paths.values():
        for operation in item.values():
            operation.get("responses", {}).pop("422", None)
    _unique_operation_ids(paths)
    doc["paths"] = paths
    doc.setdefault("components", {}).pop("schemas", None)
    doc["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "cookie": {"type": "apiKey", "in": "cookie", "name": "access_token_cookie"},
    }
    doc["security"] = [{"bearer": []}, {"cookie": []}]
    doc["servers"] = [{"url": "/api"}, {"url": "/"}]
    return doc


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            yield route


def _summary(route: APIRoute) -> str | None:
    doc = (route.endpoint.__doc__ or "").strip()
    if not doc:
        return None
    first = doc.split("\n\n")[0]
    return " ".join(first.split())


def _body_param(route: APIRoute) -> tuple[str, bool] | None:
    """The name of the endpoint's parameter that receives the JSON body, and whether an array is
    accepted too (``JsonAny``)."""
    for dependency in route.dependant.dependencies:
        if dependency.call is json_body and dependency.name:
            return dependency.name, False
        if dependency.call is json_any and dependency.name:
            return dependency.name, True
    return None


def _describe(operation: dict[str, Any], route: APIRoute, method: str) -> None:
    summary = _summary(route)
    if summary:
        operation["summary"] = summary
    declared = {p["name"] for p in operation.get("parameters", [])}
    names = sorted(params_read_by(route.endpoint) - declared)
    operation.setdefault("parameters", []).extend(_query_parameter(name) for name in names)
    if not operation["parameters"]:
        del operation["parameters"]
    if method not in BODY_METHODS:
        return
    body = _body_param(route)
    reads = body_reads(route.endpoint, body[0] if body else None)
    properties: dict[str, Any] = {}
    for model in reads.models:
        properties.update(model_body(model)["properties"])
    tables = [*(m.table for m in reads.models), *reads.tables]
    properties.update({key: key_schema(key, tables) for key in sorted(reads.keys) if key not in properties})
    if reads.form:
        form = {"file": {"type": "string", "format": "binary"}} | {
            key: {"type": "string"} for key in sorted(reads.keys) if key != "file"}
        content: dict[str, Any] = {"multipart/form-data": {"schema": {"type": "object", "properties": form}}}
    else:
        content = {}
    if body is not None or properties:
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if body is not None and body[1]:
            schema = {"anyOf": [schema, {"type": "array", "items": {}}]}
        content["application/json"] = {"schema": schema}
    if content:
        operation["requestBody"] = {"required": False, "content": content}


def _query_parameter(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    if schema is None:
        schema = {"type": "integer"} if name in INTEGER_PARAMS else {"type": "string"}
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _path_parameter(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _merge_same_templates(paths: dict[str, Any]) -> dict[str, Any]:
    """One path per template (``/x/{a}`` and ``/x/{b}`` are the same path to OpenAPI): the later
    path's operations move to the first's, their path parameters renamed."""
    merged: dict[str, Any] = {}
    by_template: dict[str, str] = {}
    for path, item in paths.items():
        template = _PARAM.sub("{}", path)
        first = by_template.setdefault(template, path)
        if first == path:
            merged[path] = item
            continue
        names = dict(zip((n[1:-1] for n in _PARAM.findall(path)), (n[1:-1] for n in _PARAM.findall(first))))
        for method, operation in item.items():
            if method in merged[first]:
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    parameter["name"] = names.get(parameter["name"], parameter["name"])
            merged[first][method] = operation
    return merged


def _add_crud(paths: dict[str, Any]) -> None:
    """One list path and one item path per CRUD model, where no typed route answers first."""
    templates = {_PARAM.sub("{}", path): path for path in paths}
    for name, model in MODELS.items():
        body = {"required": False, "content": {"application/json": {"schema": model_body(model)}}}
        tag = [f"data/{name}"]
        listing = paths.setdefault(f"/data/{name}", {})
        if "get" not in listing:
            listing["get"] = _crud_operation(
                tag, f"List {model.type_name} rows, filtered by the query string.",
                [_query_parameter(key) for key in model_filters(model)])
        if "post" not in listing:
            listing["post"] = _crud_operation(tag, f"Create a {model.type_name} row.", [], body)
        item_path = templates.get(f"/data/{name}/{{}}", f"/data/{name}/{{item_id}}")
        item_param = _PARAM.findall(item_path)[0][1:-1]
        item = paths.setdefault(item_path, {})
        path_param = [_path_parameter(item_param)]
        if "get" not in item:
            item["get"] = _crud_operation(tag, f"One {model.type_name} row with its relations.",
                                          [*path_param, _query_parameter("relations")])
        if "put" not in item:
            item["put"] = _crud_operation(tag, f"Update a {model.type_name} row.", path_param, body)
        if "delete" not in item:
            item["delete"] = _crud_operation(tag, f"Delete a {model.type_name} row.",
                                             [*path_param, _query_parameter("force")])


def _crud_operation(tags: list[str], summary: str, parameters: list[dict[str, Any]],
                    body: dict[str, Any] | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {"tags": tags, "summary": summary,
                                 "responses": {"200": {"description": "Successful Response"}}}
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = body
    return operation


def _unique_operation_ids(paths: dict[str, Any]) -> None:
    seen: set[str] = set()
    for path, item in paths.items():
        for method, operation in item.items():
            base = operation.get("operationId") or (method + _PARAM.sub("", path).replace("/", "_").replace("-", "_"))
            candidate, count = base, 1
            while candidate in seen:
                count += 1
                candidate = f"{base}_{count}"
            operation["operationId"] = candidate
            seen.add(candidate)

