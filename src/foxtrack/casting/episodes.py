"""The casting of an episode follows the casting of its shots, as in Zou.

* An asset cast in a shot is cast in the shot's episode too (one occurence, the shot link's label),
  unless the episode already has it.
* An asset removed from a shot leaves the episode once no other shot of the episode has it.
* An asset removed from an episode is removed from every shot of the episode.

Episode links made this way emit ``asset:update`` (not ``entity-link:new``), as Zou does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from foxtrack.core.context import Tx
from foxtrack.core.jsonutil import new_id, now
from foxtrack.core.rawsql import in_ids
from foxtrack.db import schema as s
from foxtrack.entities import removal

__all__ = ["cast_in_episode", "cast_many_in_episode", "detach_unused", "drop_from_shots", "shot_episode_id"]

E, L = s.entity, s.entity_link
# entity aliases built once: an alias builds its column collection (every column) when first used
_SEQ_ALIAS = s.entity.alias("seq")


def shot_episode_id(tx: Tx, shot: dict[str, Any]) -> str | None:
    """The episode of a shot (the parent of its sequence), or None outside episodes."""
    if not shot.get("parent_id"):
        return None
    episode_id: str | None = tx.execute(sa.select(E.c.parent_id).where(E.c.id == shot["parent_id"])).scalar()
    return episode_id


def _episode_shots(episode_id: str, shot_type_id: str) -> sa.Select[tuple[str]]:
    seq = _SEQ_ALIAS
    return sa.select(E.c.id).where(E.c.entity_type_id == shot_type_id,
                                   E.c.parent_id.in_(sa.select(seq.c.id).where(seq.c.parent_id == episode_id)))


def cast_in_episode(tx: Tx, episode_id: str, asset_id: str, label: str, project_id: str) -> None:
    """Link the asset to the episode when it is not yet."""
    cast_many_in_episode(tx, episode_id, {asset_id: label}, project_id)


def cast_many_in_episode(tx: Tx, episode_id: str, labels: dict[str, str], project_id: str) -> None:
    """Link to the episode the assets (id: label) it does not hold yet: one lookup, one insert."""
    if not labels:
        return
    present = set(tx.execute(sa.select(L.c.entity_out_id).where(
        L.c.entity_in_id == episode_id, in_ids(L.c.entity_out_id, list(labels)))).scalars())
    missing = [asset_id for asset_id in labels if asset_id not in present]
    if not missing:
        return
    stamp = now()
    tx.insert(L, [{"id": new_id(), "created_at": stamp, "updated_at": stamp, "entity_in_id": episode_id,
                   "entity_out_id": asset_id, "nb_occurences": 1, "label": labels[asset_id]} for asset_id in missing])
    removal.recount_casting(tx, [episode_id])
    for asset_id in missing:
        tx.emit("asset:update", {"asset_id": asset_id}, project_id=project_id)


def detach_unused(tx: Tx, episode_id: str, asset_ids: Iterable[str], shot_type_id: str, project_id: str) -> None:
    """Unlink from the episode the assets that no shot of the episode has any more."""
    shots = _episode_shots(episode_id, shot_type_id)
    for asset_id in asset_ids:
        still_cast = tx.execute(sa.select(L.c.id).where(L.c.entity_out_id == asset_id, L.c.entity_in_id.in_(shots))
                                .limit(1)).first()
        if still_cast is not None:
            continue
        if not tx.delete(L, L.c.entity_in_id == episode_id, L.c.entity_out_id == asset_id):
            continue
        removal.recount_casting(tx, [episode_id])
        tx.emit("episode:casting-update", {"episode_id": episode_id, "nb_entities_out": _count(tx, episode_id),
                                           "added_asset_ids": [], "removed_asset_ids": [asset_id]},
                project_id=project_id)
        tx.emit("asset:update", {"asset_id": asset_id}, project_id=project_id)


def drop_from_shots(tx: Tx, episode_id: str, asset_ids: list[str], shot_type_id: str, project_id: str) -> None:
    """Remove the assets from the casting of every shot of the episode (one event per link, as Zou)."""
    if not asset_ids:
        return
    links = tx.execute(sa.select(L.c.id, L.c.entity_in_id, L.c.entity_out_id)
                       .where(L.c.entity_out_id.in_(asset_ids),
                              L.c.entity_in_id.in_(_episode_shots(episode_id, shot_type_id)))
                       .order_by(L.c.entity_in_id, L.c.entity_out_id)).all()
    for link_id, shot_id, asset_id in links:
        tx.delete(L, L.c.id == link_id)
        removal.recount_casting(tx, [shot_id])
        tx.emit("shot:casting-update", {"shot_id": shot_id, "nb_entities_out": _count(tx, shot_id),
                                        "added_asset_ids": [], "removed_asset_ids": [asset_id]},
                project_id=project_id)


def _count(tx: Tx, entity_id: str) -> int:
    return int(tx.execute(sa.select(E.c.nb_entities_out).where(E.c.id == entity_id)).scalar() or 0)
