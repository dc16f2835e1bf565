"""Which file-tree templates a path could come from (``POST /data/entities/guess-from-path``).

Zou compares the path, element by element, with every ``folder_path`` template of every mode
whose ``mountpoint/root`` starts it: a literal element must be equal, a ``<Token>`` element matches
anything, elements past either end are not compared. Each match is answered as
``{"Template": <kind>}``, modes and kinds in the order PostgreSQL's JSONB keeps keys (shorter
first, then bytewise).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import NotFound, validation_error
from foxtrack.core.jsonutil import is_uuid
from foxtrack.db import schema as s
from foxtrack.files.file_tree import TreeError

Row = dict[str, Any]
_TOKEN = re.compile(r"^<[^<>]*>$")


def _jsonb_order(keys: Any) -> list[str]:
    return sorted((str(k) for k in keys), key=lambda k: (len(k.encode()), k.encode()))


def _matches(elements: list[str], pattern: list[str]) -> bool:
    return all(_TOKEN.match(want) or want == got for got, want in zip(elements, pattern))


def templates_for_path(tree: Any, file_path: str, sep: str) -> list[Row]:
    """The template kinds of ``tree`` that ``file_path`` fits (pure; see the module docstring)."""
    elements = file_path.split(sep) if sep else [file_path]
    found: list[Row] = []
    for mode in _jsonb_order(tree):
        template = tree[mode]
        if not isinstance(template, dict) or not isinstance(template.get("folder_path"), dict):
            continue
        prefix = "/".join(str(part) for part in (template.get("mountpoint"), template.get("root")) if part)
        head = prefix.split("/")
        if elements[: len(head)] != head:
            continue
        rest = elements[len(head):]
        folders = template["folder_path"]
        for kind in _jsonb_order(folders):
            pattern = folders[kind]
            if kind == "style" or not isinstance(pattern, str):
                continue
            if _matches(rest, pattern.split("/")):
                found.append({"Template": kind})
    return found


def guess_from_path(ctx: RequestContext, body: Row) -> list[Row]:
    missing = {f: "Field required" for f in ("project_id", "file_path") if body.get(f) is None}
    if missing:
        raise validation_error(missing, "Validation error.")
    project_id, file_path, sep = body["project_id"], body["file_path"], body.get("sep") or "/"
    if not isinstance(file_path, str) or not isinstance(sep, str):
        raise validation_error({"file_path" if not isinstance(file_path, str) else "sep":
                                "Input should be a valid string"}, "Validation error.")
    if not is_uuid(project_id):
        raise NotFound()
    with ctx.read() as conn:
        tree = conn.execute(sa.select(s.project.c.file_tree).where(s.project.c.id == project_id)).first()
        if tree is None:
            raise NotFound()
        perm.check_project_access(ctx, conn, project_id)
    if not isinstance(tree[0], dict) or not tree[0]:
        raise TreeError("No tree can be found for given project.", body)
    return templates_for_path(tree[0], file_path, sep)
