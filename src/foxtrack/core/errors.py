"""Errors shaped like Zou's answers, raised anywhere and rendered by one handler."""

from __future__ import annotations

from typing import Any

NOT_FOUND_TEXT = (
    "The requested URL was not found on the server. If you entered the URL manually please check "
    "your spelling and try again."
)
METHOD_NOT_ALLOWED_TEXT = "The method is not allowed for the requested URL."


class ApiError(Exception):
    """An answer other than success: status code plus Zou's ``{"error": true, "message"}`` body."""

    status = 400

    def __init__(self, message: str, status: int | None = None, data: Any = None, body: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.data = data
        self.body = body

    def to_body(self) -> dict[str, Any]:
        if self.body is not None:
            return self.body
        body: dict[str, Any] = {"error": True, "message": self.message}
        if self.data is not None:
            body["data"] = self.data
        return body


class BadRequest(ApiError):
    status = 400


class NotFound(ApiError):
    status = 404

    def __init__(self, message: str = NOT_FOUND_TEXT, **kw: Any):
        super().__init__(message, **kw)


class Forbidden(ApiError):
    status = 403

    def __init__(self, message: str = "You are not allowed to perform this action.", **kw: Any):
        super().__init__(message, **kw)


class Unauthorized(ApiError):
    """JWT failures use flask-jwt-extended's ``{"msg": ...}`` body, as Zou does."""

    status = 401

    def __init__(self, msg: str, status: int = 401):
        super().__init__(msg, status=status, body={"msg": msg})


class MalformedId(ApiError):
    status = 400

    def __init__(self) -> None:
        super().__init__("Malformed ID.", data=None, body={"error": True, "message": "Malformed ID.", "data": None})


def wrong_parameter(message: str) -> BadRequest:
    """Zou's ``WrongParameterException`` answer for a bad query parameter:
    ``{"error": true, "message": ..., "data": null}``."""
    return BadRequest(message, body={"error": True, "message": message, "data": None})


def validation_error(missing: dict[str, str], message: str | None = None) -> BadRequest:
    """Zou's pydantic error answer: ``data.errors = [{field, message}]``."""
    errors = [{"field": field, "message": msg} for field, msg in missing.items()]
    text = message or "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return BadRequest(text, data={"errors": errors})


def require_fields(body: dict[str, Any], *fields: str) -> None:
    missing = {f: "Field required" for f in fields if body.get(f) in (None, "")}
    if missing:
        raise validation_error(missing)
