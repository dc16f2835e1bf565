"""What CSV import and export share: reading an uploaded sheet, writing ``;``-separated lines, the
per-row errors shaped like Zou's, and the name lookups of a project."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.core.errors import ApiError, BadRequest
from foxtrack.db import schema as s

Row = dict[str, Any]
DELIMITERS = ";,\t|"
MAX_SNIFF = 64 * 1024


class RowError(ApiError):
    """A line of the sheet that cannot be imported: Zou's body with the line number. The whole
    import is rolled back, so ``imported_rows`` is always 0."""

    def __init__(self, message: str, line_number: int):
        super().__init__(message, status=400, body={"error": True, "message": message,
                                                    "line_number": line_number, "imported_rows": 0})


class MissingColumn(KeyError):
    """Raised by ``Sheet.cell`` when a required column is absent (reported per line)."""


@dataclass
class SheetRow:
    line_number: int
    cells: dict[str, str]
    duplicates: dict[str, list[str]]

    def get(self, column: str, default: str = "") -> str:
        return (self.cells.get(column) or default).strip()

    def require(self, column: str) -> str:
        if column not in self.cells:
            raise RowError(f"A columns is missing: '{column}'", self.line_number)
        return self.get(column)

    def has(self, column: str) -> bool:
        return column in self.cells


@dataclass
class Sheet:
    header: list[str]
    rows: list[SheetRow]


def read_sheet(data: bytes) -> Sheet:
    """Decode an uploaded CSV (UTF-8, optional BOM), sniff its delimiter and split it in rows."""
    if b"\x00" in data:
        raise BadRequest("The file is not a CSV file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest("The file is not valid UTF-8 text.") from exc
    if not text.strip():
        raise BadRequest("Could not determine delimiter")
    first_line = text.lstrip().splitlines()[0]
    try:
        delimiter = csv.Sniffer().sniff(text[:MAX_SNIFF], delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = ""
    # the header decides: a sniffer fooled by the cells (commas inside descriptions) is corrected
    if delimiter not in first_line or not delimiter:
        found = [d for d in DELIMITERS if d in first_line]
        if not found and len(text.splitlines()) > 1 and not delimiter:
            raise BadRequest("Could not determine delimiter")
        delimiter = found[0] if found else (delimiter or ";")
    try:
        lines = list(csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"'))
    except csv.Error as exc:
        raise BadRequest(f"The file is not a valid CSV file: {exc}") from exc
    lines = [line for line in lines if any(cell.strip() for cell in line)]
    if not lines:
        raise BadRequest("Could not determine delimiter")
    header = [h.strip() for h in lines[0]]
    rows = []
    for index, line in enumerate(lines[1:], start=2):
        cells: dict[str, str] = {}
        duplicates: dict[str, list[str]] = {}
        for name, value in zip(header, line):
            if name in cells:
                duplicates.setdefault(name, []).append(value)
            else:
                cells[name] = value
        for name in header[len(line):]:
            cells.setdefault(name, "")
        rows.append(SheetRow(index, cells, duplicates))
    return Sheet(header, rows)


# ----------------------------------------------------------------------------- writing

class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """``;``-separated CSV, one encoded line at a time (what Zou streams)."""
    writer = csv.writer(_Echo(), delimiter=";")
    yield str(writer.writerow(header)).encode()
    for row in rows:
        yield str(writer.writerow(["" if v is None else v for v in row])).encode()


def slugify(name: str) -> str:
    """Zou's file-name slug: lower case, runs of other characters as one ``_``."""
    out: list[str] = []
    for char in name.lower():
        if char.isalnum():
            out.append(char)
        elif out and out[-1] != "_":
            out.append("_")
    return "".join(out).strip("_")


# ----------------------------------------------------------------------------- lookups

def project_row(conn: Connection, project_id: str) -> Row | None:
    p = s.project.c
    row = conn.execute(sa.select(p.id, p.name, p.production_type).where(p.id == project_id)).first()
    return None if row is None else {"id": row[0], "name": row[1], "production_type": row[2]}


def project_task_types(conn: Connection, project_id: str, for_entity: str) -> list[Row]:
    """The project's task types for a kind of entity, in Kitsu's column order (priority, name)."""
    tt, link = s.task_type, s.project_task_type_link
    rows = conn.execute(
        sa.select(tt.c.id, tt.c.name).join(link, link.c.task_type_id == tt.c.id)
        .where(link.c.project_id == project_id, tt.c.for_entity == for_entity)
        .order_by(tt.c.priority, tt.c.name)
    )
    return [{"id": r[0], "name": r[1]} for r in rows]


def task_statuses(conn: Connection) -> list[Row]:
    ts = s.task_status.c
    return [{"id": r[0], "name": r[1], "short_name": r[2], "is_default": r[3]}
            for r in conn.execute(sa.select(ts.id, ts.name, ts.short_name, ts.is_default))]


def person_names(conn: Connection) -> dict[str, str]:
    p = s.person.c
    return {r[0]: f"{r[1]} {r[2]}".strip() for r in conn.execute(sa.select(p.id, p.first_name, p.last_name))}
