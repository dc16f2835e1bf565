"""Pins the public surface of ``foxtrack.client``: changing it must be a deliberate edit here."""

from __future__ import annotations

import inspect
from types import ModuleType

import foxtrack.client


def surface(module: ModuleType) -> list[str]:
    out = []
    for name in sorted(module.__all__):
        obj = getattr(module, name)
        if not inspect.isclass(obj):
            out.append(f"{name}{inspect.signature(obj)}")
            continue
        out.append(f"class {name}")
        for attr in sorted(vars(obj)):
            if attr.startswith("_"):
                continue
            member = inspect.getattr_static(obj, attr)
            if isinstance(member, property) or type(member).__name__ == "cached_property":
                out.append(f"{name}.{attr} [property]")
            elif isinstance(member, (classmethod, staticmethod)):
                out.append(f"{name}.{attr}{inspect.signature(getattr(obj, attr))}")
            elif callable(member):
                out.append(f"{name}.{attr}{inspect.signature(member)}")
    return out


def test_all_names_exist_and_are_sorted() -> None:
    assert list(foxtrack.client.__all__) == sorted(foxtrack.client.__all__)
    assert all(hasattr(foxtrack.client, name) for name in foxtrack.client.__all__)


def test_public_surface() -> None:
    assert surface(foxtrack.client) == EXPECTED


EXPECTED = [
    'class AmbiguousName',
    'class Asset',
    'Asset.asset_type [property]',
    'Asset.asset_type_id [property]',
    'Asset.casting [property]',
    'class AssetCollection',
    "AssetCollection.new(self, name: 'str', asset_type: 'IdLike', *, description: 'str | None' = None, custom_data: 'Mapping[str, Any] | None' = None) -> 'Asset'",
    "AssetCollection.record_type(project: 'Project', raw: 'Mapping[str, Any]') -> 'None'",
    'class AssetType',
    'AssetType.assets [property]',
    'class AssetTypeCollection',
    "AssetTypeCollection.new(self, name: 'str') -> 'AssetType'",
    "AssetTypeCollection.record_type(project: 'Project', raw: 'Mapping[str, Any]') -> 'None'",
    'class Casting',
    "Casting.all(self) -> 'list[CastingLink]'",
    "Casting.set(self, assets: 'Mapping[Any, int]') -> 'list[CastingLink]'",
    'class CastingLink',
    'class Collection',
    "Collection.all(self) -> 'list[R]'",
    "Collection.filter(self, **fields: 'Any') -> 'list[R]'",
    "Collection.get(self, name: 'str | None' = None, **fields: 'Any') -> 'R'",
    'class Comment',
    'Comment.attachments [property]',
    'Comment.checklist [property]',
    'Comment.name [property]',
    'Comment.previews [property]',
    'Comment.text [property]',
    'class ConfigurationError',
    'class Connection',
    "Connection.authenticate(self) -> 'None'",
    "Connection.current_user(self) -> 'dict[str, Any]'",
    'class Entity',
    'Entity.description [property]',
    'Entity.tasks [property]',
    "Entity.update(self, **fields: 'Any') -> 'Self'",
    'class EntityTasks',
    "EntityTasks.all(self) -> 'list[Task]'",
    "EntityTasks.fetch(self, task_type: 'IdLike', name: 'str | None' = None) -> 'Task'",
    "EntityTasks.new(self, task_type: 'IdLike', status: 'IdLike | None' = None, *, name: 'str' = 'main', assignees: 'Sequence[IdLike]' = ()) -> 'Task'",
    'class Episode',
    'Episode.sequences [property]',
    'class EpisodeCollection',
    "EpisodeCollection.new(self, name: 'str', *, custom_data: 'Mapping[str, Any] | None' = None) -> 'Episode'",
    "EpisodeCollection.record_type(project: 'Project', raw: 'Mapping[str, Any]') -> 'None'",
    'class NotFound',
    'class Person',
    'Person.email [property]',
    'Person.name [property]',
    'class PersonCollection',
    "PersonCollection.record_type(project: 'Project', raw: 'Mapping[str, Any]') -> 'None'",
    'class Project',
    'Project.asset_types [property]',
    'Project.assets [property]',
    "Project.connect(url: 'str', *, project: 'str', login: 'str | None' = None, password: 'str | None' = None, token: 'str | None' = None, ssl_verify: 'bool' = True) -> 'Project'",
    'Project.connection [property]',
    'Project.episodes [property]',
    "Project.from_env(environ: 'Mapping[str, str] | None' = None) -> 'Project'",
    'Project.me [property]',
    "Project.person_id(self, person: 'IdLike') -> 'str'",
    'Project.persons [property]',
    "Project.refresh(self) -> 'Project'",
    'Project.sequences [property]',
    'Project.shots [property]',
    "Project.task(self, task: 'IdLike') -> 'Task'",
    "Project.task_status_id(self, status: 'IdLike') -> 'str'",
    'Project.task_statuses [property]',
    "Project.task_type_ids(self, task_type: 'IdLike', for_entity: 'str | None' = None) -> 'set[str]'",
    'Project.task_types [property]',
    'class Record',
    'Record.custom_data [property]',
    "Record.get(self, field: 'str', default: 'Any' = None) -> 'Any'",
    'Record.id [property]',
    'Record.name [property]',
    'Record.project [property]',
    'Record.raw [property]',
    "Record.to_dict(self) -> 'dict[str, Any]'",
    'class Sequence',
    'Sequence.episode_id [property]',
    'Sequence.shots [property]',
    'class SequenceCollection',
    "SequenceCollection.new(self, name: 'str', episode: 'IdLike | None' = None, *, custom_data: 'Mapping[str, Any] | None' = None) -> 'Sequence'",
    "SequenceCollection.record_type(project: 'Project', raw: 'Mapping[str, Any]') -> 'None'",
    'class Shot',
    'Shot.casting [property]',
    'Shot.frame_in [property]',
    'Shot.frame_out [property]',
    'Shot.sequence [property]',
    'Shot.sequence_id [property]',
    'class ShotCollection',
    "ShotCollection.new(self, name: 'str', sequence: 'IdLike', *, nb_frames: 'int | None' = None, frame_in: 'int | None' = None, frame_out: 'int | None' = None, description: 'str | None' = None, custom_data: 'Mapping[str, Any] | None' = None) -> 'Shot'",
    "ShotCollection.record_type(project: 'Project', raw: 'Mapping[str, Any]') -> 'None'",
    'class Task',
    "Task.add_time_spent(self, duration: 'int', date: 'DateLike | None' = None, person: 'IdLike | None' = None) -> 'dict[str, Any]'",
    "Task.assign(self, person: 'IdLike') -> 'Task'",
    'Task.comments [property]',
    'Task.name [property]',
    'Task.nb_retakes [property]',
    "Task.refresh(self) -> 'Task'",
    "Task.set_time_spent(self, duration: 'int', date: 'DateLike | None' = None, person: 'IdLike | None' = None) -> 'dict[str, Any]'",
    'Task.status [property]',
    'Task.task_status_id [property]',
    'Task.task_type_id [property]',
    'class TaskComments',
    "TaskComments.all(self) -> 'list[Comment]'",
    "TaskComments.last(self) -> 'Comment | None'",
    "TaskComments.new(self, comment: 'str' = '', status: 'IdLike | None' = None, *, preview: 'PathLike | Sequence[PathLike] | None' = None, set_main_preview: 'bool' = False, attachments: 'PathLike | Sequence[PathLike] | None' = None, checklist: 'Sequence[str | Mapping[str, Any]] | None' = None, person: 'IdLike | None' = None) -> 'Comment'",
    'class TaskStatus',
    'TaskStatus.short_name [property]',
    'class TaskStatusCollection',
    "TaskStatusCollection.record_type(project: 'Project', raw: 'Mapping[str, Any]') -> 'None'",
    'class TaskType',
    'TaskType.for_shots [property]',
    'class TaskTypeCollection',
    "TaskTypeCollection.new(self, name: 'str', *, for_shots: 'bool' = True, color: 'str' = '#000000') -> 'TaskType'",
    "TaskTypeCollection.record_type(project: 'Project', raw: 'Mapping[str, Any]') -> 'None'",
    "get_id(value: 'IdLike') -> 'str'",
]
