"""The collections a project exposes: ``project.shots``, ``.assets``, ``.sequences``..."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import gazu

from foxtrack.client._base import Person, Record, TaskStatus, TaskType
from foxtrack.client._entities import Asset, AssetType, Episode, Sequence, Shot
from foxtrack.client._errors import AmbiguousName, NotFound
from foxtrack.client._ids import HasId, IdLike, get_id, is_uuid

if TYPE_CHECKING:
    from foxtrack.client._project import Project

__all__ = [
    "AssetCollection", "AssetTypeCollection", "Collection", "EpisodeCollection", "PersonCollection",
    "SequenceCollection", "ShotCollection", "TaskStatusCollection", "TaskTypeCollection",
]

R = TypeVar("R", bound=Record)


def _matches(record: Record, key: str, expected: Any) -> bool:
    if key == "custom_data" and isinstance(expected, Mapping):
        return all(record.custom_data.get(k) == v for k, v in expected.items())
    if isinstance(expected, (Mapping, HasId)) or (is_uuid(expected) and key != "id" and not key.endswith("_id")):
        # a record (or its id) given for a relation: compare with the "<key>_id" field
        actual = getattr(record, f"{key}_id", None)
        return actual is not None and actual == get_id(expected)
    return bool(record.get(key, getattr(record, key, None)) == expected)


class Collection(Generic[R]):
    """Records of one kind in a project, read through gazu on each call (no stale cache)."""

    record_type: type[R]

    def __init__(self, project: Project) -> None:
        self._project = project

    @property
    def _client(self) -> Any:
        return self._project.connection.client

    def _fetch(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def all(self) -> list[R]:
        """Every record, sorted by name."""
        records = [self.record_type(self._project, raw) for raw in self._fetch()]
        return sorted(records, key=lambda r: r.name)

    def __iter__(self) -> Iterator[R]:
        return iter(self.all())

    def filter(self, **fields: Any) -> list[R]:
        """Records whose fields equal the given values.

        A record (or dict, or id) given for a relation matches on its id
        (``project.shots.filter(sequence=sq)``); ``custom_data={...}`` matches a subset.
        """
        return [r for r in self.all() if all(_matches(r, k, v) for k, v in fields.items())]

    def get(self, name: str | None = None, **fields: Any) -> R:
        """The one record with this ``name`` (and other fields); ``get(id=...)`` works too.

        Raises ``NotFound`` when nothing matches, ``AmbiguousName`` when several do.
        """
        if name is not None:
            fields["name"] = name
        found = self.filter(**fields)
        what = ", ".join(f"{k}={v!r}" for k, v in fields.items())
        if not found:
            raise NotFound(f"no {self.record_type.__name__} with {what} in {self._project.name!r}")
        if len(found) > 1:
            raise AmbiguousName(f"{len(found)} {self.record_type.__name__}s match {what}; add a filter")
        return found[0]


class ShotCollection(Collection[Shot]):
    """The project's shots."""

    record_type = Shot

    def _fetch(self) -> list[dict[str, Any]]:
        shots: list[dict[str, Any]] = gazu.shot.all_shots_for_project(self._project.id, client=self._client)
        return shots

    def new(self, name: str, sequence: IdLike, *, nb_frames: int | None = None, frame_in: int | None = None,
            frame_out: int | None = None, description: str | None = None,
            custom_data: Mapping[str, Any] | None = None) -> Shot:
        """Create a shot in ``sequence`` (a Sequence, an id or a sequence name).

        Frame range goes in ``custom_data`` as Kitsu keeps it there.

        >>> project.shots.new("sq170_sh0230", "sq170", nb_frames=48, frame_in=1001, frame_out=1048)  # doctest: +SKIP
        """
        sequence_id = self._project.sequences.get(name=sequence).id if isinstance(sequence, str) and not is_uuid(sequence) else get_id(sequence)
        data = dict(custom_data or {})
        if frame_in is not None:
            data["frame_in"] = frame_in
        if frame_out is not None:
            data["frame_out"] = frame_out
        body: dict[str, Any] = {"name": name, "sequence_id": sequence_id, "data": data}
        if nb_frames is not None:
            body["nb_frames"] = nb_frames
        if description is not None:
            body["description"] = description
        raw = gazu.client.post(f"data/projects/{self._project.id}/shots", body, client=self._client)
        return Shot(self._project, raw)


class AssetCollection(Collection[Asset]):
    """The project's assets."""

    record_type = Asset

    def _fetch(self) -> list[dict[str, Any]]:
        assets: list[dict[str, Any]] = gazu.asset.all_assets_for_project(self._project.id, client=self._client)
        return assets

    def new(self, name: str, asset_type: IdLike, *, description: str | None = None,
            custom_data: Mapping[str, Any] | None = None) -> Asset:
        """Create an asset of ``asset_type`` (an AssetType, an id or a type name like "Character")."""
        type_id = (self._project.asset_types.get(name=asset_type).id
                   if isinstance(asset_type, str) and not is_uuid(asset_type) else get_id(asset_type))
        raw = gazu.asset.new_asset(self._project.id, type_id, name, description=description,
                                   extra_data=dict(custom_data or {}), client=self._client)
        return Asset(self._project, raw)


class SequenceCollection(Collection[Sequence]):
    """The project's sequences."""

    record_type = Sequence

    def _fetch(self) -> list[dict[str, Any]]:
        sequences: list[dict[str, Any]] = gazu.shot.all_sequences_for_project(self._project.id, client=self._client)
        return sequences

    def new(self, name: str, episode: IdLike | None = None, *, custom_data: Mapping[str, Any] | None = None) -> Sequence:
        """Create a sequence (in ``episode`` for a TV show: an Episode, an id or a name)."""
        episode_id = None
        if episode is not None:
            episode_id = (self._project.episodes.get(name=episode).id
                          if isinstance(episode, str) and not is_uuid(episode) else get_id(episode))
        sequence = Sequence(self._project, gazu.shot.new_sequence(self._project.id, name, episode=episode_id,
                                                                   client=self._client))
        return sequence.update(custom_data=dict(custom_data)) if custom_data else sequence


class EpisodeCollection(Collection[Episode]):
    """The project's episodes (TV shows)."""

    record_type = Episode

    def _fetch(self) -> list[dict[str, Any]]:
        episodes: list[dict[str, Any]] = gazu.shot.all_episodes_for_project(self._project.id, client=self._client)
        return episodes

    def new(self, name: str, *, custom_data: Mapping[str, Any] | None = None) -> Episode:
        """Create an episode."""
        episode = Episode(self._project, gazu.shot.new_episode(self._project.id, name, client=self._client))
        return episode.update(custom_data=dict(custom_data)) if custom_data else episode


class AssetTypeCollection(Collection[AssetType]):
    """The asset types the project uses."""

    record_type = AssetType

    def _fetch(self) -> list[dict[str, Any]]:
        types: list[dict[str, Any]] = gazu.asset.all_asset_types_for_project(self._project.id, client=self._client)
        return types

    def new(self, name: str) -> AssetType:
        """Create the asset type (or reuse the studio's one of that name) and add it to the project."""
        raw = gazu.asset.new_asset_type(name, client=self._client)
        gazu.project.add_asset_type(self._project.id, raw["id"], client=self._client)
        return AssetType(self._project, raw)


class TaskTypeCollection(Collection[TaskType]):
    """The task types the project uses."""

    record_type = TaskType

    def _fetch(self) -> list[dict[str, Any]]:
        wanted = set(self._project.refresh().get("task_types") or [])
        types: list[dict[str, Any]] = gazu.task.all_task_types(client=self._client)
        return [t for t in types if t["id"] in wanted]

    def new(self, name: str, *, for_shots: bool = True, color: str = "#000000") -> TaskType:
        """Create the task type (or reuse the studio's one) and add it to the project."""
        raw = gazu.task.new_task_type(name, color=color, for_entity="Shot" if for_shots else "Asset",
                                      client=self._client)
        priority = len(self._project.refresh().get("task_types") or []) + 1
        gazu.project.add_task_type(self._project.id, raw["id"], priority, client=self._client)
        return TaskType(self._project, raw)


class TaskStatusCollection(Collection[TaskStatus]):
    """The studio's task statuses (``get(short_name="wip")``)."""

    record_type = TaskStatus

    def _fetch(self) -> list[dict[str, Any]]:
        statuses: list[dict[str, Any]] = gazu.task.all_task_statuses(client=self._client)
        return statuses


class PersonCollection(Collection[Person]):
    """The studio's people (``get(email="ada@studio.com")``)."""

    record_type = Person

    def _fetch(self) -> list[dict[str, Any]]:
        persons: list[dict[str, Any]] = gazu.person.all_persons(client=self._client)
        return persons
