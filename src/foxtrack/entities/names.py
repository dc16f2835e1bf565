"""Full entity names as Kitsu shows them in news, notifications and chats.

A shot reads ``Episode / Sequence / Shot`` (``Sequence / Shot`` outside episodes), a sequence
``Episode / Sequence``, an episode its name, and anything else (assets, but also edits, scenes and
concepts, as Zou does) ``Type / Name``. Each name comes with the episode it belongs to: the
grand-parent of a shot, the parent of a sequence, the ``source_id`` of the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from foxtrack.db import schema as s

__all__ = ["FullName", "full_entity_names"]


class FullName(NamedTuple):
    name: str
    episode_id: str | None


class _Entity(NamedTuple):
    id: str
    name: str
    parent_id: str | None
    source_id: str | None
    type_name: str


def _load(conn: Connection, ids: Iterable[str | None], known: dict[str, _Entity]) -> dict[str, _Entity]:
    wanted = sorted({i for i in ids if i and i not in known})
    e, t = s.entity, s.entity_type
    for start in range(0, len(wanted), 900):
        rows = conn.execute(sa.select(e.c.id, e.c.name, e.c.parent_id, e.c.source_id, t.c.name)
                            .join(t, t.c.id == e.c.entity_type_id).where(e.c.id.in_(wanted[start:start + 900])))
        for row in rows:
            known[row[0]] = _Entity(*row)
    return known


def full_entity_names(conn: Connection, entity_ids: Iterable[str | None]) -> dict[str, FullName]:
    """{entity id: (full name, episode id)} for the entities that exist (three queries at most)."""
    known: dict[str, _Entity] = {}
    ids = {i for i in entity_ids if i}
    _load(conn, ids, known)
    parent_ids = {known[i].parent_id for i in ids if i in known}
    _load(conn, parent_ids, known)
    _load(conn, (known[p].parent_id for p in parent_ids if p is not None and p in known), known)
    return {i: _full_name(known[i], known) for i in ids if i in known}


def _full_name(entity: _Entity, known: dict[str, _Entity]) -> FullName:
    parent = known.get(entity.parent_id) if entity.parent_id else None
    if entity.type_name == "Shot":
        if parent is None:
            return FullName(entity.name, None)
        episode = known.get(parent.parent_id) if parent.parent_id else None
        if episode is None:
            return FullName(f"{parent.name} / {entity.name}", None)
        return FullName(f"{episode.name} / {parent.name} / {entity.name}", episode.id)
    if entity.type_name == "Episode":
        return FullName(entity.name, None)
    if entity.type_name == "Sequence":
        if parent is None:
            return FullName(entity.name, None)
        return FullName(f"{parent.name} / {entity.name}", parent.id)
    return FullName(f"{entity.type_name} / {entity.name}", entity.source_id)
