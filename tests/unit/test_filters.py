"""The filter compiler (core.filters): Zou's query-string filters as SQL, run on a real database."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from foxtrack.core.context import Tx
from foxtrack.core.errors import ApiError
from foxtrack.core.filters import compile_filters, group_params, like_literal, parse_bool
from foxtrack.core.models import PROJECT, Model, model
from foxtrack.crud.service import insert

NAMES = ["%", "100%", "A_B", "AxB", "plain", "Plain", "back\\slash", "backXslash"]


@pytest.fixture()
def projects(engine: Engine) -> Engine:
    with engine.begin() as conn:
        tx = Tx(conn, None)
        for name in NAMES:
            insert(tx, PROJECT, {"name": name, "man_days": len(name)})
    return engine


def names(engine: Engine, m: Model, params: dict[str, list[str]]) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(m.table.c.name).where(*compile_filters(m, params)))
        return sorted(r[0] for r in rows)


def refusal(params: dict[str, list[str]], m: Model = PROJECT) -> tuple[int, dict[str, Any]]:
    with pytest.raises(ApiError) as caught:
        compile_filters(m, params)
    return caught.value.status, caught.value.to_body()


def test_like_literal_escapes_wildcards_and_the_escape() -> None:
    assert like_literal("a%b_c\\d") == "a\\%b\\_c\\\\d"
    assert like_literal("plain") == "plain"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("%", ["%"]),
        ("100%", ["100%"]),
        ("A_B", ["A_B"]),
        ("a_b", ["A_B"]),  # still case-insensitive, as Zou's ILIKE
        ("plain", ["Plain", "plain"]),
        ("back\\slash", ["back\\slash"]),
        ("_", []),
        ("%%", []),
    ],
)
def test_name_filter_matches_wildcards_literally(projects: Engine, value: str, expected: list[str]) -> None:
    assert names(projects, PROJECT, {"name": [value]}) == expected


def test_repeated_names_and_lists_are_alternatives(projects: Engine) -> None:
    assert names(projects, PROJECT, {"name": ["%", "A_B"]}) == ["%", "A_B"]
    assert names(projects, PROJECT, {"name": ['["AxB", "100%"]']}) == ["100%", "AxB"]
    assert names(projects, PROJECT, {"name": ["[]"]}) == []


def test_other_columns_compare_equal_or_in(projects: Engine) -> None:
    assert names(projects, PROJECT, {"man_days": ["3"]}) == ["A_B", "AxB"]
    assert names(projects, PROJECT, {"man_days": ["[1, 4]"]}) == ["%", "100%"]
    assert names(projects, PROJECT, {"code": ["null"]}) == sorted(NAMES)


def test_unknown_and_reserved_keys_are_ignored(projects: Engine) -> None:
    params = group_params([("nope", "x"), ("page", "abc"), ("fields", "name"), ("password", "x")])
    assert names(projects, PROJECT, params) == sorted(NAMES)


def test_nul_in_any_filter_value_is_a_parameter_error() -> None:
    expected = (400, {"error": True, "message": "Wrong value for parameter name.", "data": None})
    assert refusal({"name": ["a\x00b"]}) == expected
    assert refusal({"name": ['["ok", "a\\u0000"]']}) == expected
    assert refusal({"nope": ["\x00"]})[1]["message"] == "Wrong value for parameter nope."


def test_integers_outside_the_column_are_refused() -> None:
    status, body = refusal({"man_days": [str(2**31)]})
    assert status == 400 and body["message"] == f"Invalid integer value for man_days: {2**31}"
    assert refusal({"man_days": ["abc"]})[0] == 400
    assert refusal({"man_days": [str(-(2**31) - 1)]})[0] == 400


def test_ids_and_booleans_are_checked() -> None:
    assert refusal({"project_status_id": ["garbage"]}) == (400, {"error": True, "message": "Malformed ID."})
    assert refusal({"team": ["garbage"]})[0] == 400
    assert refusal({"is_clients_isolated": ["maybe"]})[0] == 400
    assert refusal({"name": ["[not json"]})[0] == 400
    assert parse_bool(" True ") is True and parse_bool("0") is False


def test_a_long_name_matches_nothing_rather_than_failing(projects: Engine) -> None:
    assert names(projects, PROJECT, {"name": ["x" * 100_000]}) == []
    assert names(projects, model("task-types"), {"name": ["x" * 2000]}) == []
