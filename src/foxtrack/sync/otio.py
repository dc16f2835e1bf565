"""OpenTimelineIO import (``POST /import/otio/projects/<p>[/episodes/<e>]``): an edit becomes
sequences and shots with their frame ranges.

Each clip of the video tracks names a shot through the naming convention (default
``${project_name}_${sequence_name}-${shot_name}``, the clip's file extension ignored). Missing
sequences and shots are created; existing shots get ``nb_frames`` and ``data.frame_in/frame_out``
(the clip's place in the edit, last frame included). One transaction: a clip whose name does not
fit the convention stops the import with a 400 and nothing written.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext, Tx
from foxtrack.core.errors import BadRequest, NotFound
from foxtrack.core.jsonutil import is_uuid
from foxtrack.core.models import ENTITY
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.entities import service as entities
from foxtrack.entities import types

Row = dict[str, Any]
E = s.entity.c
DEFAULT_CONVENTION = "${project_name}_${sequence_name}-${shot_name}"
_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")
# OpenTimelineIO's plugin manifest is not thread-safe while it loads (two first imports at once: a
# "C++ AnyVector object has been destroyed" ValueError): one reading at a time
_READING = threading.Lock()
_GROUPS = {"episode_name": r"(?P<episode_name>.+?)", "sequence_name": r"(?P<sequence_name>.+?)",
           "shot_name": r"(?P<shot_name>.+)"}


@dataclass
class Cut:
    """One clip of the edit: the shot it names and where it sits."""

    clip_name: str
    sequence: str
    shot: str
    frame_in: int
    frame_out: int
    nb_frames: int


def read_cuts(path: Path) -> list[tuple[str, int, int, int]]:
    """``(clip name, frame_in, frame_out, nb_frames)`` of every clip of the video tracks (blocking)."""
    import opentimelineio as otio

    with _READING:
        supported = sorted(otio.adapters.suffixes_with_defined_adapters(read=True))
        if path.suffix[1:] not in supported:
            raise BadRequest(f"Unsupported file type '{path.suffix}'. Supported formats: {', '.join(supported)}.")
        try:
            timeline = otio.adapters.read_from_file(str(path))
        except Exception as exc:  # adapters raise many kinds of errors on foreign input
            raise BadRequest(f"The file could not be read as an edit ({type(exc).__name__}).") from exc
    tracks = timeline.video_tracks() if isinstance(timeline, otio.schema.Timeline) else []
    cuts = []
    for track in tracks:
        for item in track:
            if not isinstance(item, otio.schema.Clip):
                continue
            placed = item.range_in_parent()
            cuts.append((str(item.name or ""), int(placed.start_time.to_frames()),
                         int(placed.end_time_inclusive().to_frames()), int(placed.duration.to_frames())))
    return cuts


def name_pattern(convention: str, project_name: str, match_case: bool) -> re.Pattern[str]:
    parts, end = [], 0
    for m in _PLACEHOLDER.finditer(convention):
        parts.append(re.escape(convention[end:m.start()]))
        key = m.group(1)
        if key == "project_name":
            parts.append(re.escape(project_name))
        elif key in _GROUPS:
            parts.append(_GROUPS[key])
        else:
            raise BadRequest(f"Unknown placeholder in naming convention: ${{{key}}}.")
        end = m.end()
    parts.append(re.escape(convention[end:]))
    if "(?P<shot_name>" not in "".join(parts):
        raise BadRequest("The naming convention needs ${shot_name}.")
    return re.compile("".join(parts), 0 if match_case else re.IGNORECASE)


def parse_cuts(raw: list[tuple[str, int, int, int]], pattern: re.Pattern[str]) -> list[Cut]:
    cuts = []
    for clip_name, frame_in, frame_out, nb_frames in raw:
        base = os.path.splitext(clip_name)[0]
        m = pattern.fullmatch(base) or pattern.fullmatch(clip_name)
        if m is None:
            raise BadRequest(f"No matched value while extracting shot informations: {clip_name!r} does not "
                             "fit the naming convention.")
        sequence = m.groupdict().get("sequence_name") or ""
        cuts.append(Cut(clip_name, sequence, m.group("shot_name"), frame_in, frame_out, nb_frames))
    return cuts


def _same(column: sa.ColumnElement[str], name: str, match_case: bool) -> sa.ColumnElement[bool]:
    return column == name if match_case else sa.func.lower(column) == name.lower()


class _Importer:
    def __init__(self, ctx: RequestContext, tx: Tx, project_id: str, episode_id: str | None, match_case: bool):
        self.ctx, self.tx, self.project_id, self.episode_id, self.match_case = ctx, tx, project_id, episode_id, match_case
        self.sequence_type = types.type_id(ctx.state, types.SEQUENCE)
        self.shot_type = types.type_id(ctx.state, types.SHOT)
        self.sequences: dict[str, str] = {}

    def _find(self, type_id: str, name: str, parent_id: str | None) -> Any:
        where = [E.project_id == self.project_id, E.entity_type_id == type_id, _same(E.name, name, self.match_case),
                 E.parent_id.is_(None) if parent_id is None else E.parent_id == parent_id]
        return self.tx.execute(ENTITY.select().where(*where).order_by(E.created_at)).first()

    def _create(self, kind: str, type_id: str, name: str, parent_id: str | None, extra: Row) -> Row:
        row = crud.insert(self.tx, ENTITY, {"name": name, "project_id": self.project_id, "entity_type_id": type_id,
                                            "parent_id": parent_id, "created_by": self.ctx.person_id,
                                            "description": "" if kind == types.SEQUENCE else None,
                                            "data": {}, **extra})
        row["type"] = kind
        entities.emit_new(self.ctx, self.tx, row)
        return row

    def sequence_id(self, name: str) -> str:
        key = name if self.match_case else name.lower()
        if key not in self.sequences:
            found = self._find(self.sequence_type, name, self.episode_id)
            self.sequences[key] = (found.id if found is not None else
                                   self._create(types.SEQUENCE, self.sequence_type, name, self.episode_id, {})["id"])
        return self.sequences[key]

    def shot(self, cut: Cut) -> tuple[Row, bool]:
        sequence_id = self.sequence_id(cut.sequence) if cut.sequence else None
        frames = {"frame_in": cut.frame_in, "frame_out": cut.frame_out}
        found = self._find(self.shot_type, cut.shot, sequence_id)
        if found is None:
            return self._create(types.SHOT, self.shot_type, cut.shot, sequence_id,
                                {"nb_frames": cut.nb_frames, "data": frames}), True
        current = ENTITY.to_dict(found)
        data = {**(current.get("data") or {}), **frames}
        crud.update_row(self.tx, ENTITY, current["id"], {"nb_frames": cut.nb_frames, "data": data})
        self.tx.emit("shot:update", {"shot_id": current["id"]}, project_id=self.project_id)
        return crud.load(self.tx.conn, ENTITY, current["id"]), False


def check_target(ctx: RequestContext, project_id: str, episode_id: str | None) -> str:
    """The project's name, once the caller may manage it and the episode belongs to it."""
    if not is_uuid(project_id) or (episode_id is not None and not is_uuid(episode_id)):
        raise NotFound()
    with ctx.read() as conn:
        name = conn.execute(sa.select(s.project.c.name).where(s.project.c.id == project_id)).scalar()
        if name is None:
            raise NotFound()
        perm.check_manager_project_access(ctx, conn, project_id)
        if episode_id is not None:
            episode = ENTITY.get(conn, episode_id)
            if (episode is None or episode["project_id"] != project_id
                    or types.json_type(ctx.state, conn, episode["entity_type_id"]) != types.EPISODE):
                raise NotFound()
    return str(name)


def import_cuts(ctx: RequestContext, project_id: str, episode_id: str | None, cuts: list[Cut],
                match_case: bool) -> Row:
    created: list[Row] = []
    updated: list[Row] = []
    with ctx.write() as tx:
        importer = _Importer(ctx, tx, project_id, episode_id, match_case)
        for cut in cuts:
            row, is_new = importer.shot(cut)
            (created if is_new else updated).append(row)
    return {"updated_shots": updated, "created_shots": created}
