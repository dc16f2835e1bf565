"""Shots, assets, sequences, episodes, asset types and casting."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Self

import gazu

from foxtrack.client._base import Record
from foxtrack.client._ids import get_id
from foxtrack.client._tasks import EntityTasks

__all__ = ["Asset", "AssetType", "Casting", "CastingLink", "Entity", "Episode", "Sequence", "Shot"]


class Entity(Record):
    """Something tasks hang on: a shot, an asset, a sequence or an episode."""

    @property
    def tasks(self) -> EntityTasks:
        """The entity's tasks: ``.all()``, ``.fetch("Animation")``, ``.new(...)``."""
        return EntityTasks(self)

    @property
    def description(self) -> str:
        """The description ("" when empty)."""
        return str(self._fields.get("description") or "")

    def update(self, **fields: Any) -> Self:
        """Change fields on the server and return the updated record (``custom_data`` is sent as
        Kitsu's ``data``; Zou and foxtrack merge it into the existing keys).

        >>> shot.update(nb_frames=120, custom_data={"camera": "cam_A"})   # doctest: +SKIP
        """
        body = dict(fields)
        if "custom_data" in body:
            body["data"] = body.pop("custom_data")
        raw = gazu.client.put(f"data/entities/{self.id}", body, client=self._client)
        return type(self)(self._project, {**self._raw, **raw})


@dataclass(frozen=True)
class CastingLink:
    """One asset cast in one shot, ``nb_occurences`` times."""

    shot_id: str
    shot_name: str
    asset_id: str
    asset_name: str
    nb_occurences: int
    fields: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


class Casting:
    """The breakdown seen from a shot (the assets in it) or an asset (the shots using it).

    Iterate it, or call ``all()``; on a shot, ``set({asset: count})`` replaces the casting.
    """

    def __init__(self, entity: Shot | Asset) -> None:
        self._entity = entity

    def all(self) -> list[CastingLink]:
        """Every link, read from the server now."""
        entity = self._entity
        client = entity.project.connection.client
        if isinstance(entity, Shot):
            rows = gazu.casting.get_shot_casting(entity.raw, client=client)
            return [CastingLink(entity.id, entity.name, r["asset_id"], r.get("asset_name") or "",
                                int(r.get("nb_occurences") or 1), dict(r)) for r in rows]
        rows = gazu.casting.get_asset_cast_in(entity.id, client=client)
        return [CastingLink(r["shot_id"], r.get("shot_name") or "", entity.id, entity.name,
                            int(r.get("nb_occurences") or 1), dict(r)) for r in rows]

    def __iter__(self) -> Iterator[CastingLink]:
        return iter(self.all())

    def set(self, assets: Mapping[Any, int]) -> list[CastingLink]:
        """Replace a shot's casting by ``{asset (record, dict or id): nb_occurences}``."""
        if not isinstance(self._entity, Shot):
            raise TypeError("set the casting from the shot side (shot.casting.set({asset: 1}))")
        body = [{"asset_id": get_id(asset), "nb_occurences": int(count)} for asset, count in assets.items()]
        shot = self._entity
        # gazu annotates the casting as a dict, but sends (and the server expects) a list
        gazu.casting.update_shot_casting(shot.project.id, shot.id, body, client=shot.project.connection.client)  # type: ignore[arg-type]
        return self.all()


class Shot(Entity):
    """A shot. ``frame_in``/``frame_out`` are read from the fields or from ``custom_data``."""

    kind = "Shot"

    @property
    def sequence_id(self) -> str | None:
        """The parent sequence's id."""
        value = self._fields.get("sequence_id") or self._fields.get("parent_id")
        return str(value) if value else None

    @property
    def sequence(self) -> Sequence:
        """The parent sequence."""
        return self._project.sequences.get(id=self.sequence_id)

    @property
    def frame_in(self) -> int | None:
        """First frame, or None."""
        value = self._fields.get("frame_in", self.custom_data.get("frame_in"))
        return int(value) if value is not None else None

    @property
    def frame_out(self) -> int | None:
        """Last frame, or None."""
        value = self._fields.get("frame_out", self.custom_data.get("frame_out"))
        return int(value) if value is not None else None

    @property
    def casting(self) -> Casting:
        """The assets cast in this shot."""
        return Casting(self)


class Asset(Entity):
    """An asset (character, prop, environment...)."""

    kind = "Asset"

    @property
    def asset_type_id(self) -> str:
        """The asset type's id (Kitsu's ``entity_type_id``)."""
        return str(self._fields["entity_type_id"])

    @property
    def asset_type(self) -> AssetType:
        """The asset type."""
        return self._project.asset_types.get(id=self.asset_type_id)

    @property
    def casting(self) -> Casting:
        """The shots this asset is cast in."""
        return Casting(self)


class Sequence(Entity):
    """A sequence of shots, inside an episode for TV shows."""

    kind = "Sequence"

    @property
    def episode_id(self) -> str | None:
        """The parent episode's id (None outside TV shows)."""
        value = self._fields.get("episode_id") or self._fields.get("parent_id")
        return str(value) if value else None

    @property
    def shots(self) -> list[Shot]:
        """The sequence's shots."""
        return self._project.shots.filter(sequence=self)


class Episode(Entity):
    """An episode of a TV show."""

    kind = "Episode"

    @property
    def sequences(self) -> list[Sequence]:
        """The episode's sequences."""
        return self._project.sequences.filter(episode=self)


class AssetType(Record):
    """An asset type (Character, Prop...)."""

    kind = "AssetType"

    @property
    def assets(self) -> list[Asset]:
        """The project's assets of this type."""
        return self._project.assets.filter(asset_type=self)
