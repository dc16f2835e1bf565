"""``Model.add_relations`` reads every relationship asked for in one statement per chunk of rows, and
attaches the same id lists one query per relationship would: for one row, for many rows over several
chunks, for a subset of the relationships, for rows without links."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from foxtrack.core.models import PROJECT
from foxtrack.db import schema as s


def _projects(engine: Engine, count: int) -> list[str]:
    ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(count)]
    with engine.begin() as conn:
        conn.execute(s.project.insert(), [{"id": i, "name": f"p{n}", "created_at": "2026-01-01T00:00:00.000000",
                                           "updated_at": "2026-01-01T00:00:00.000000"} for n, i in enumerate(ids)])
        # project n: n % 3 team members, n % 2 task types, the last project none at all
        conn.execute(s.project_person_link.insert(), [
            {"project_id": i, "person_id": f"person-{k}"} for n, i in enumerate(ids[:-1]) for k in range(n % 3)])
        conn.execute(s.project_task_type_link.insert(), [
            {"project_id": i, "task_type_id": f"type-{k}", "priority": k} for n, i in enumerate(ids[:-1])
            for k in range(n % 2)])
    return ids


def _one_query_each(engine: Engine, ids: list[str], name: str) -> dict[str, list[str]]:
    rel = PROJECT.relations[name]
    local, remote = rel.table.c[rel.local], rel.table.c[rel.remote]
    out: dict[str, list[str]] = {i: [] for i in ids}
    with engine.connect() as conn:
        for left, right in conn.execute(sa.select(local, remote)):
            if left in out:
                out[left].append(right)
    return out


def _count_statements(engine: Engine, items: list[dict[str, Any]], names: list[str] | None = None) -> int:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        with engine.connect() as conn:
            PROJECT.add_relations(conn, items, names)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(seen)


def test_many_rows_over_several_chunks(engine: Engine) -> None:
    ids = _projects(engine, 400)  # six relationships: 150 rows a statement, so three statements
    items = [{"id": i} for i in ids]
    assert _count_statements(engine, items) == 3
    for name in ("team", "task_types"):
        expected = _one_query_each(engine, ids, name)
        assert {item["id"]: sorted(item[name]) for item in items} == {i: sorted(v) for i, v in expected.items()}
    assert all(item["asset_types"] == [] and item["preview_background_files"] == [] for item in items)
    assert items[-1]["team"] == [] and items[5]["team"] == ["person-0", "person-1"]


def test_one_row_and_a_subset_of_relationships(engine: Engine) -> None:
    ids = _projects(engine, 6)
    one = [{"id": ids[2]}]
    assert _count_statements(engine, one) == 1
    assert sorted(one[0]["team"]) == ["person-0", "person-1"] and one[0]["task_types"] == []
    some = [{"id": i} for i in ids]
    assert _count_statements(engine, some, ["task_types"]) == 1
    assert [item["task_types"] for item in some] == [[], ["type-0"], [], ["type-0"], [], []]
    assert all("team" not in item for item in some)
    assert _count_statements(engine, [], None) == 0
