"""Checks of the creation bodies, answered the way Zou's pydantic models answer them."""

from __future__ import annotations

from typing import Any

from foxtrack.core.errors import BadRequest, validation_error
from foxtrack.core.jsonutil import is_uuid

Row = dict[str, Any]


def check_body(body: Any, spec: dict[str, str], required: tuple[str, ...] = ("name",)) -> Row:
    """Validate ``body`` against ``spec`` ({field: "name"|"str"|"uuid"|"int"|"dict"|"bool"|"uuids"});
    400 "Validation error." naming every bad field. Returns the known fields that were given."""
    if not isinstance(body, dict):
        raise BadRequest("Validation error.", data={"errors": [{"field": "body", "message": "Input should be a valid dictionary"}]})
    errors: dict[str, str] = {}
    out: Row = {}
    for field in required:
        if body.get(field) is None:
            errors[field] = "Field required"
    for field, kind in spec.items():
        if field not in body or field in errors:
            continue
        value = body[field]
        if value is None:
            out[field] = None
            continue
        message = _check(kind, value)
        if message:
            errors[field] = message
        else:
            out[field] = value
    if errors:
        raise validation_error(errors, "Validation error.")
    return out


def _check(kind: str, value: Any) -> str | None:
    if kind == "name":
        if not isinstance(value, str):
            return "Input should be a valid string"
        if not value.strip():
            return "String should have at least 1 character"
        return None
    if kind == "str":
        return None if isinstance(value, str) else "Input should be a valid string"
    if kind == "uuid":
        return None if is_uuid(value) else "Input should be a valid UUID"
    if kind == "int":
        if isinstance(value, bool):
            return "Input should be a valid integer"
        if isinstance(value, int):
            return None
        if isinstance(value, float) and value.is_integer():
            return None
        if isinstance(value, str):
            try:
                int(value)
            except ValueError:
                return "Input should be a valid integer, unable to parse string as an integer"
            return None
        return "Input should be a valid integer"
    if kind == "dict":
        return None if isinstance(value, dict) else "Input should be a valid dictionary"
    if kind == "bool":
        if isinstance(value, bool) or value in (0, 1, "true", "false", "True", "False"):
            return None
        return "Input should be a valid boolean"
    if kind == "uuids":
        if not isinstance(value, list) or not all(is_uuid(v) for v in value):
            return "Input should be a valid list of UUIDs"
        return None
    return None


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)
