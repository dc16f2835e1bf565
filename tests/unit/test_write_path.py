"""One write path: every SQL write in foxtrack goes through the operations engine's unit of work
(``Tx.insert``/``update``/``delete``), every event name through the catalog."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import foxtrack
from foxtrack.ops.catalog import CATALOG

SRC = Path(foxtrack.__file__).parent
# the unit of work itself, the schema's migrations, and the Zou import (a bulk copy into an empty
# database, table by table, with Zou's rows as they are)
ALLOWED = {"core/context.py", "db/zou_import.py"}
ALLOWED_FOLDERS = ("db/migrations/",)
SQL_WRITE = re.compile(r"^\s*(insert\s+into|update\s+\w+\s+set|delete\s+from)\b", re.IGNORECASE)


def _modules() -> list[tuple[str, ast.Module]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        name = path.relative_to(SRC).as_posix()
        if name in ALLOWED or name.startswith(ALLOWED_FOLDERS):
            continue
        out.append((name, ast.parse(path.read_text(), name)))
    return out


def raw_writes() -> list[str]:
    found = []
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                attr, receiver = node.func.attr, node.func.value
                # ``table.insert()`` / ``.update()`` / ``.delete()`` without arguments are SQLAlchemy's
                # statement builders (dict.update, list.insert and set.update always take one)
                if attr in ("insert", "update", "delete") and not node.args and not node.keywords:
                    found.append(f"{name}:{node.lineno} .{attr}()")
                elif attr in ("insert", "update", "delete") and isinstance(receiver, ast.Name) and \
                        receiver.id in ("sa", "sqlalchemy", "postgresql", "sqlite"):
                    found.append(f"{name}:{node.lineno} {receiver.id}.{attr}(...)")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_WRITE.match(node.value):
                found.append(f"{name}:{node.lineno} SQL text")
    return found


def test_no_sql_write_outside_the_engine() -> None:
    assert raw_writes() == []


def emitted_names() -> list[tuple[str, str]]:
    out = []
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "emit" \
                    and ast.unparse(node.func.value).endswith("tx") \
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                out.append((f"{name}:{node.lineno}", node.args[0].value))
    return out


def test_every_literal_event_name_is_in_the_catalog() -> None:
    names = emitted_names()
    assert len(names) > 50  # the scan sees the emitters
    assert [(where, name) for where, name in names if name not in CATALOG] == []


def test_catalog_has_zou_generic_names_and_required_keys() -> None:
    assert CATALOG["task-type:update"].keys == {"task_type_id"}
    assert CATALOG["shot:casting-update"].keys == {"shot_id"}
    assert CATALOG["comment:acknowledge"].persist is False
    assert CATALOG["task:status-changed"].keys >= {"task_id", "new_task_status_id", "previous_task_status_id"}


def test_generic_names_need_only_their_id() -> None:
    from foxtrack.db import schema as s

    for table in s.metadata.tables:
        prefix = table.replace("_", "-")
        for verb in ("new", "update", "delete"):
            assert CATALOG[f"{prefix}:{verb}"].keys == {f"{table}_id"}
