"""``sync-full`` and ``sync-changes``: copy another Kitsu's (Zou's or foxtrack's) data into this database
over its API, as Zou's instance sync does.

``sync-full`` reads the reference data, then each project's rows, from the source's CRUD routes and
creates or updates them here by id (ids and creation dates kept). ``sync-changes`` reads the source's
event log after a cursor (``/data/events/last``) and applies each change: the changed row is read from
the source and written here, or removed here when the source removed it. The cursor is kept in the
data dir, so the next run goes on where the last stopped. Rows whose references are not here (a task
of a project not synced) are skipped and counted. Each batch of rows is one unit of work.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from foxtrack.admin._progress import Progress, Silent
from foxtrack.admin.errors import AdminError
from foxtrack.core.context import AppState, Tx
from foxtrack.core.jsonutil import is_uuid, normalize_datetime, now
from foxtrack.core.models import MODELS, Model
from foxtrack.crud import service as crud

Row = dict[str, Any]
BATCH = 200

# (model path, relations kept) of the data every project refers to, in dependency order
REFERENCE = (("departments", ()), ("studios", ()), ("project-status", ()), ("entity-types", ()),
             ("task-types", ()), ("task-status", ()), ("persons", ("departments",)))
# (model path, relations kept, the filter reading one project's rows, or None: rows filtered by reference)
PROJECT_DATA = (("metadata-descriptors", ("departments",), "project_id"), ("entities", (), "project_id"),
                ("tasks", ("assignees",), "project_id"), ("comments", (), None), ("preview-files", (), None),
                ("time-spents", (), None), ("playlists", (), "project_id"), ("milestones", (), "project_id"),
                ("schedule-items", (), "project_id"))
# the first word of an event name -> the model whose row changed
EVENT_MODELS = {"asset": "entities", "shot": "entities", "sequence": "entities", "episode": "entities",
                "scene": "entities", "edit": "entities", "concept": "entities", "entity": "entities",
                "task": "tasks", "comment": "comments", "preview-file": "preview-files", "person": "persons",
                "project": "projects", "task-type": "task-types", "task-status": "task-status",
                "department": "departments", "studio": "studios", "asset-type": "entity-types",
                "entity-type": "entity-types", "playlist": "playlists", "time-spent": "time-spents",
                "metadata-descriptor": "metadata-descriptors", "milestone": "milestones",
                "schedule-item": "schedule-items", "project-status": "project-status"}


class Source:
    """A logged-in client of the other instance's API (``http://host/api``)."""

    def __init__(self, url: str, email: str, password: str, timeout: float = 60.0):
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url + "/", timeout=timeout)
        try:
            answer = self.http.post("auth/login", json={"email": email, "password": password})
        except httpx.HTTPError as exc:
            raise AdminError(f"Cannot reach {self.url}: {exc}") from exc
        if answer.status_code != 200:
            raise AdminError(f"{self.url} refused the login ({answer.status_code}): {answer.text[:200]}")
        self.http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def get(self, path: str, **params: Any) -> Any:
        answer = self.http.get(path, params=params)
        if answer.status_code == 404:
            return None
        if answer.status_code != 200:
            raise AdminError(f"{self.url}/{path} answered {answer.status_code}: {answer.text[:200]}")
        return answer.json()

    def close(self) -> None:
        self.http.close()


@dataclass
class Counts:
    written: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)

    def add(self, where: dict[str, int], path: str, count: int = 1) -> None:
        if count:
            where[path] = where.get(path, 0) + count

    def as_dict(self) -> dict[str, Any]:
        return {"written": self.written, "skipped": self.skipped, "removed": self.removed,
                "total_written": sum(self.written.values())}


def _dangling(tx: Tx, model: Model, values: Row) -> bool:
    """Does a reference of the row point to nothing here?"""
    for col in model.table.c:
        value = values.get(col.name)
        if value is None or not col.foreign_keys:
            continue
        target = next(iter(col.foreign_keys)).column.table
        if isinstance(target, sa.Table) and tx.execute(sa.select(target.c.id).where(target.c.id == value)).first() is None:
            return True
    return False


def upsert(tx: Tx, model: Model, relations: tuple[str, ...], item: Row) -> bool:
    """Create or update one row from the source by id; False when it cannot be taken here."""
    if not is_uuid(item.get("id")):
        return False
    values, links = crud.split_body(model, item)
    links = {name: ids for name, ids in links.items() if name in relations}
    if _dangling(tx, model, values):
        return False
    table = model.table
    if tx.execute(sa.select(table.c.id).where(table.c.id == item["id"])).first() is not None:
        crud.update_row(tx, model, item["id"], values)
        crud.write_relations(tx, model, item["id"], links, replace=True)
    else:
        try:
            created_at = normalize_datetime(item.get("created_at"))
        except (TypeError, ValueError):
            created_at = None
        crud.insert(tx, model, {**values, "id": item["id"], "created_at": created_at}, links)
    return True


def write_rows(state: AppState, path: str, relations: tuple[str, ...], rows: list[Row], counts: Counts,
               progress: Progress) -> None:
    """Upsert ``rows`` in batches; rows referring to rows of the same list not written yet (a shot before
    its sequence) are tried again after the others."""
    model = MODELS[path]
    waiting = rows
    for _attempt in range(4):
        left: list[Row] = []
        for start in range(0, len(waiting), BATCH):
            batch = waiting[start:start + BATCH]
            with state.write() as tx:
                failed = [row for row in batch if not upsert(tx, model, relations, row)]
            counts.add(counts.written, path, len(batch) - len(failed))
            progress.advance(len(batch) - len(failed))
            left += failed
        if not left or len(left) == len(waiting):
            break
        waiting = left
    counts.add(counts.skipped, path, len(left))
    progress.advance(len(left))


def _listed(answer: Any) -> list[Row]:
    if isinstance(answer, dict) and isinstance(answer.get("data"), list):
        answer = answer["data"]  # a paginated answer
    return [r for r in answer or [] if isinstance(r, dict)]


def sync_full(state: AppState, source: Source, project: str | None = None,
              progress: Progress | None = None) -> dict[str, Any]:
    """Copy the reference data and every open project (or the one named ``project``) from ``source``."""
    progress = progress or Silent()
    counts = Counts()
    for path, relations in REFERENCE:
        rows = _listed(source.get(f"data/{path}", relations="true"))
        progress.start(path, len(rows))
        write_rows(state, path, relations, rows, counts, progress)
    projects = _listed(source.get("data/projects", relations="true"))
    if project is not None:
        projects = [p for p in projects if project in (p.get("name"), p.get("id"))]
        if not projects:
            raise AdminError(f"The source has no project {project!r}.")
    progress.start("projects", len(projects))
    write_rows(state, "projects", tuple(MODELS["projects"].relations), projects, counts, progress)
    for item in projects:
        for path, relations, key in PROJECT_DATA:
            rows = _listed(source.get(f"data/{path}", relations="true", **({key: item["id"]} if key else {})))
            progress.start(f"{item.get('name')}: {path}", len(rows))
            write_rows(state, path, relations, rows, counts, progress)
    return {"source": source.url, "projects": [p.get("name") for p in projects], **counts.as_dict()}


# ----------------------------------------------------------------------------- sync-changes

def cursor_file(data_dir: Path) -> Path:
    return data_dir / "sync-changes.json"


def _read_cursor(data_dir: Path, url: str) -> tuple[str | None, set[str]]:
    """Where the last run stopped: the newest event time read, and the events of that second already
    applied (the log's times are to the second, and ``after`` reads that second again)."""
    path = cursor_file(data_dir)
    if not path.is_file():
        return None, set()
    value = json.loads(path.read_text()).get(url) or {}
    return (str(value["after"]) if value.get("after") else None), set(value.get("seen", []))


def _write_cursor(data_dir: Path, url: str, cursor: str, seen: set[str]) -> None:
    path = cursor_file(data_dir)
    known = json.loads(path.read_text()) if path.is_file() else {}
    known[url] = {"after": cursor, "seen": sorted(seen)}
    data_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(known, indent=2))
    partial.replace(path)


def _apply(state: AppState, source: Source, event: Row, counts: Counts) -> None:
    kind, _, verb = str(event.get("name", "")).partition(":")
    path = EVENT_MODELS.get(kind)
    data = event.get("data") or {}
    item_id = data.get(f"{kind.replace('-', '_')}_id") if isinstance(data, dict) else None
    if path is None or not is_uuid(item_id) or verb not in ("new", "update", "delete"):
        return
    model = MODELS[path]
    row = None if verb == "delete" else source.get(f"data/{path}/{item_id}", relations="true")
    with state.write() as tx:
        if row is None:
            removed = tx.delete(model.table, model.table.c.id == item_id)
            counts.add(counts.removed, path, removed)
            return
        relations = tuple(dict(REFERENCE).get(path, ())) or next(
            (r for p, r, _k in PROJECT_DATA if p == path), tuple(model.relations) if path == "projects" else ())
        taken = upsert(tx, model, relations, row)
    counts.add(counts.written if taken else counts.skipped, path)


def sync_changes(state: AppState, source: Source, since: str | None = None, once: bool = True,
                 interval: float = 10.0, limit: int = 1000, progress: Progress | None = None,
                 keep_going: Callable[[], bool] = lambda: True) -> dict[str, Any]:
    """Apply the source's changes recorded after ``since`` (else after the kept cursor, else from now on);
    with ``once`` a single pass, else every ``interval`` seconds while ``keep_going()``."""
    progress = progress or Silent()
    counts = Counts()
    data_dir = state.settings.data_dir
    kept, seen = _read_cursor(data_dir, source.url)
    cursor = since or kept or now()[:19]
    if since:
        seen = set()
    events_seen = 0
    while True:
        events = _listed(source.get("data/events/last", after=cursor[:19], limit=limit))
        events.sort(key=lambda e: str(e.get("created_at", "")))
        fresh = [e for e in events if str(e.get("id")) not in seen]
        progress.start("changes", len(fresh))
        for event in fresh:
            _apply(state, source, event, counts)
            stamp = str(event.get("created_at") or cursor)[:19]
            if stamp > cursor[:19]:
                cursor, seen = stamp, set()
            seen.add(str(event.get("id")))
            progress.advance()
        events_seen += len(fresh)
        _write_cursor(data_dir, source.url, cursor, seen)
        if len(events) == limit and fresh:
            continue  # more are waiting
        if once or not keep_going():
            break
        time.sleep(interval)
    return {"source": source.url, "events": events_seen, "cursor": cursor, **counts.as_dict()}
