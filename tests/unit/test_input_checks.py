"""Validation of what is stored and what is asked (core.models, core.http, crud.service): one answer
whatever the backend, checked here on a fresh SQLite database per test."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.requests import Request

from foxtrack.core.context import Tx
from foxtrack.core.errors import ApiError
from foxtrack.core.http import (
    MAX_INT,
    Page,
    json_any,
    nul_path,
    pagination,
    query_int,
    refuse_nul_query,
)
from foxtrack.core.models import ENTITY, PROJECT, check_values, column_checks
from foxtrack.crud.service import coerce_value, insert, update_row
from foxtrack.db import schema as s


def refused(call: Any, *args: Any, **kw: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(ApiError) as caught:
        call(*args, **kw)
    return caught.value.status, caught.value.to_body()


def invalid(field: str, message: str) -> tuple[int, dict[str, Any]]:
    return 400, {"error": True, "message": "Validation error.",
                 "data": {"errors": [{"field": field, "message": message}]}}


# ----------------------------------------------------------------------------- column checks

def test_checks_follow_the_schema_sizes() -> None:
    checks = column_checks(s.entity)
    assert checks["name"].max_length == 160
    assert checks["description"].kind == "text" and checks["description"].max_length is None
    assert checks["data"].kind == "json"
    assert checks["nb_frames"].kind == "int"
    assert column_checks(s.project)["name"].max_length == 80
    assert column_checks(s.entity) is checks  # computed once per table


def test_check_values_refuses_what_a_column_cannot_store() -> None:
    assert refused(check_values, s.entity, {"name": "x" * 161}) == invalid(
        "name", "String should have at most 160 characters")
    assert refused(check_values, s.entity, {"description": "a\x00b"}) == invalid(
        "description", "String should not contain NUL characters")
    assert refused(check_values, s.entity, {"data": {"k": [1, {"deep": "\x00"}]}}) == invalid(
        "data.k.1.deep", "String should not contain NUL characters")
    assert refused(check_values, s.entity, {"data": {"bad\x00key": 1}}) == invalid(
        "data.badkey", "String should not contain NUL characters")
    assert refused(check_values, s.entity, {"nb_frames": 2**31}) == invalid(
        "nb_frames", "Input should be less than or equal to 2147483647")


def test_check_values_names_every_bad_field_and_passes_good_ones() -> None:
    check_values(s.entity, {"name": "x" * 160, "description": "y" * 100_000, "data": {"k": "v"},
                            "nb_frames": -(2**31), "code": None, "unknown": "\x00"})
    _, body = refused(check_values, s.entity, {"name": "x" * 200, "code": "\x00"})
    assert [e["field"] for e in body["data"]["errors"]] == ["name", "code"]


# ----------------------------------------------------------------------------- input coercion

@pytest.mark.parametrize("value", [{"a": 1}, ["a"], True])
def test_a_string_column_takes_no_object_list_or_boolean(value: Any) -> None:
    assert refused(coerce_value, s.project.c.name, value) == invalid("name", "Input should be a valid string")
    assert refused(coerce_value, s.project.c.description, value) == invalid(
        "description", "Input should be a valid string")


def test_numbers_are_written_out_for_string_columns() -> None:
    assert coerce_value(s.project.c.fps, 25) == "25"
    assert coerce_value(s.project.c.fps, "24") == "24"


def test_coerce_value_checks_size_nul_and_range() -> None:
    assert refused(coerce_value, s.project.c.name, "x" * 81) == invalid(
        "name", "String should have at most 80 characters")
    assert refused(coerce_value, s.project.c.name, "a\x00") == invalid(
        "name", "String should not contain NUL characters")
    assert refused(coerce_value, s.project.c.man_days, "99999999999")[0] == 400
    assert refused(coerce_value, s.time_spent.c.duration, {"a": 1})[0] == 400
    assert refused(coerce_value, s.organisation.c.hours_by_day, "nan") == invalid(
        "hours_by_day", "Input should be a finite number")
    assert coerce_value(s.project.c.man_days, "12") == 12


def test_refused_writes_store_nothing(engine: Engine) -> None:
    with pytest.raises(ApiError), engine.begin() as conn:
        insert(Tx(conn, None), PROJECT, {"name": "x" * 81})
    with engine.begin() as conn:
        project = insert(Tx(conn, None), PROJECT, {"name": "ok"})
    with pytest.raises(ApiError), engine.begin() as conn:
        update_row(Tx(conn, None), PROJECT, project["id"], {"name": "bad\x00"})
    with pytest.raises(ApiError), engine.begin() as conn:
        insert(Tx(conn, None), ENTITY, {"name": "SH01", "project_id": project["id"],
                                        "entity_type_id": project["id"], "data": {"k": "\x00"}})
    with engine.connect() as conn:
        assert [r[0] for r in conn.execute(sa.select(s.project.c.name))] == ["ok"]
        assert conn.execute(sa.select(sa.func.count()).select_from(s.entity)).scalar() == 0


# ----------------------------------------------------------------------------- pagination

def wrong(message: str) -> tuple[int, dict[str, Any]]:
    return 400, {"error": True, "message": message, "data": None}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "abc"}, "limit must be an integer."),
        ({"limit": "-5"}, "limit must be a non-negative integer."),
        ({"page": "0"}, "page must be a positive integer."),
        ({"page": "-1"}, "page must be a positive integer."),
        ({"page": "1.5"}, "page must be an integer."),
        ({"page": "1", "limit": "1e3"}, "limit must be an integer."),
        ({"page": str(MAX_INT + 1)}, f"page must be {MAX_INT} or less."),
        ({"page": "9" * 5000}, "page must be an integer."),  # Python refuses ints over 4300 digits
    ],
)
def test_bad_pages_and_limits_are_400(params: dict[str, str], message: str) -> None:
    assert refused(pagination, params, 100) == wrong(message)


def test_pagination_defaults() -> None:
    assert pagination({}, 100) is None
    assert pagination({"limit": "5"}, 100) is None  # no page: the whole list (the limit is still checked)
    assert pagination({"page": "2", "limit": "5"}, 100) == Page(2, 5)
    assert pagination({"page": "2", "limit": "5"}, 100).offset == 5
    assert pagination({"page": "1", "limit": "0"}, 100) == Page(1, 100)  # Zou: limit or default
    assert pagination({"page": "", "limit": ""}, 50, default_page=1) == Page(1, 50)
    assert pagination({"page": "3", "limit": "5000"}, 50, max_limit=1000) == Page(3, 1000)


def test_query_int() -> None:
    assert query_int({}, "limit", 7) == 7
    assert query_int({"limit": " 12 "}, "limit", 7) == 12
    assert query_int({}, "page", None) is None
    assert refused(query_int, {"n": "1"}, "n", 0, minimum=2) == wrong("n must be 2 or more.")


# ----------------------------------------------------------------------------- NUL in requests

def test_nul_path_names_the_field() -> None:
    assert nul_path({"name": "ok", "data": {"list": ["a", "b\x00"]}}) == "data.list.1"
    assert nul_path(["\x00"]) == "0"
    assert nul_path({"ok": [1, 2.5, None, True, "x"]}) is None
    assert nul_path("\x00") == ""


def test_refuse_nul_query() -> None:
    refuse_nul_query(b"name=a%25b&page=1")
    assert refused(refuse_nul_query, b"page=1&name=a%00b") == wrong("Wrong value for parameter name.")
    assert refused(refuse_nul_query, b"na%00me=x") == wrong("Wrong value for parameter name.")


def body_of(raw: bytes) -> Any:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": raw, "more_body": False}

    request = Request({"type": "http", "method": "POST", "path": "/", "headers": [], "query_string": b""}, receive)
    return asyncio.run(json_any(request))


def test_json_bodies_refuse_nul_anywhere() -> None:
    assert body_of(b'{"name": "a\\\\u0000"}') == {"name": "a\\u0000"}  # an escaped backslash, no NUL
    assert refused(body_of, b'{"name": "a\\u0000"}') == invalid("name", "String should not contain NUL characters")
    assert refused(body_of, b'[{"data": {"k": "\\u0000"}}]') == invalid(
        "0.data.k", "String should not contain NUL characters")
    assert refused(body_of, b'"\\u0000"') == invalid("body", "String should not contain NUL characters")
    assert refused(body_of, b'{"a": 1')[0] == 400
