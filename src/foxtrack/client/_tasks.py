"""Tasks, the tasks of an entity and the comments of a task."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import gazu

from foxtrack.client._base import Comment, Record
from foxtrack.client._errors import NotFound
from foxtrack.client._ids import IdLike
from foxtrack.client._normalise import normalise_task

if TYPE_CHECKING:
    from foxtrack.client._entities import Entity

__all__ = ["EntityTasks", "Task", "TaskComments"]

PathLike = str | os.PathLike[str]
DateLike = str | dt.date


class Task(Record):
    """A task: one task type's work on a shot, an asset, a sequence...

    ``nb_retakes`` counts the retakes (Kitsu's ``retake_count``); ``comments`` posts and reads
    the task's comments.

    >>> task = shot.tasks.fetch("Animation")            # doctest: +SKIP
    >>> task.comments.new(comment="Blocking done", status="wfa")  # doctest: +SKIP
    """

    kind = "Task"

    @staticmethod
    def _normalise(raw: Mapping[str, Any]) -> dict[str, Any]:
        return normalise_task(raw)

    @property
    def name(self) -> str:
        """The task type's name when the server sent it (``"Animation"``), else the task's own."""
        task_type = self._fields.get("task_type")
        if isinstance(task_type, Mapping) and task_type.get("name"):
            return str(task_type["name"])
        return str(self._fields.get("task_type_name") or self._fields.get("name") or "")

    @property
    def nb_retakes(self) -> int:
        """How many times the task went back to a retake status."""
        return int(self._fields["nb_retakes"])

    @property
    def task_type_id(self) -> str:
        """The task type's id."""
        return str(self._fields["task_type_id"])

    @property
    def task_status_id(self) -> str:
        """The current status's id."""
        return str(self._fields["task_status_id"])

    @property
    def status(self) -> str:
        """The current status's short name (``"wip"``)."""
        return self._project.task_statuses.get(id=self.task_status_id).short_name

    @property
    def comments(self) -> TaskComments:
        """The task's comments: ``.all()``, ``.last()``, ``.new(...)``."""
        return TaskComments(self)

    def refresh(self) -> Task:
        """The task as the server has it now."""
        return Task(self._project, gazu.task.get_task(self.id, client=self._client))

    def assign(self, person: IdLike) -> Task:
        """Assign ``person`` (a Person, an id, a dict or an email) and return the updated task."""
        gazu.task.assign_task(self.id, self._project.person_id(person), client=self._client)
        return self.refresh()

    def add_time_spent(self, duration: int, date: DateLike | None = None, person: IdLike | None = None) -> dict[str, Any]:
        """Add ``duration`` to the time ``person`` (default: the connected user) spent on ``date``
        (default: today). Kitsu's web UI counts in minutes; the value is stored as given."""
        return self._time_spent(gazu.task.add_time_spent, duration, date, person)

    def set_time_spent(self, duration: int, date: DateLike | None = None, person: IdLike | None = None) -> dict[str, Any]:
        """Replace the time ``person`` spent on ``date`` by ``duration`` (see ``add_time_spent``)."""
        return self._time_spent(gazu.task.set_time_spent, duration, date, person)

    def _time_spent(self, call: Any, duration: int, date: DateLike | None, person: IdLike | None) -> dict[str, Any]:
        day = (date or dt.date.today()).isoformat() if not isinstance(date, str) else date
        person_id = self._project.person_id(person) if person is not None else self._project.me.id
        result: dict[str, Any] = call(self.id, person_id, day, duration, client=self._client)
        return result


def _paths(value: PathLike | Sequence[PathLike] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        return [os.fspath(value)]
    return [os.fspath(v) for v in value]


class TaskComments:
    """The comments of one task, newest first."""

    def __init__(self, task: Task) -> None:
        self._task = task

    def all(self) -> list[Comment]:
        """Every comment of the task, newest first."""
        raws = gazu.task.all_comments_for_task(self._task.id, client=self._task.project.connection.client)
        return [Comment(self._task.project, raw) for raw in raws]

    def last(self) -> Comment | None:
        """The newest comment, or None."""
        comments = self.all()
        return comments[0] if comments else None

    def new(self, comment: str = "", status: IdLike | None = None, *,
            preview: PathLike | Sequence[PathLike] | None = None, set_main_preview: bool = False,
            attachments: PathLike | Sequence[PathLike] | None = None,
            checklist: Sequence[str | Mapping[str, Any]] | None = None,
            person: IdLike | None = None) -> Comment:
        """Post a comment, optionally changing the status and publishing previews.

        ``status`` is a short name (``"wip"``), a TaskStatus or an id; by default the task keeps
        its status. Each ``preview`` path is uploaded as a new revision attached to the comment;
        with ``set_main_preview`` the last one becomes the entity's thumbnail. ``attachments``
        are files joined to the comment. Returns the comment as the server lists it (previews
        and attachments included).

        >>> task.comments.new(comment="Ready", status="wfa", preview=["/tmp/render.png"],
        ...                   set_main_preview=True)             # doctest: +SKIP
        """
        project = self._task.project
        client = project.connection.client
        status_id = project.task_status_id(status) if status is not None else self._task.task_status_id
        items = [{"text": i, "checked": False} if isinstance(i, str) else dict(i) for i in checklist or []]
        posted = gazu.task.add_comment(
            self._task.id, status_id, comment=comment, client=client, checklist=items or None,
            attachments=_paths(attachments) or None,
            person=project.person_id(person) if person is not None else None)
        previews = [gazu.task.add_preview(self._task.id, posted["id"], path, client=client) for path in _paths(preview)]
        if set_main_preview and previews:
            gazu.task.set_main_preview(previews[-1], client=client)
        for comment_row in self.all():
            if comment_row.id == posted["id"]:
                return comment_row
        return Comment(project, posted)


class EntityTasks:
    """The tasks of one shot, asset, sequence or episode."""

    _LISTERS = {
        "Shot": gazu.task.all_tasks_for_shot,
        "Asset": gazu.task.all_tasks_for_asset,
        "Sequence": gazu.task.all_tasks_for_sequence,
        "Episode": gazu.task.all_tasks_for_episode,
    }

    def __init__(self, entity: Entity) -> None:
        self._entity = entity

    def all(self) -> list[Task]:
        """Every task of the entity."""
        project = self._entity.project
        lister = self._LISTERS[self._entity.kind]
        return [Task(project, raw) for raw in lister(self._entity.id, client=project.connection.client)]

    def fetch(self, task_type: IdLike, name: str | None = None) -> Task:
        """The entity's task of ``task_type`` (a name like ``"Anim3D"``, a TaskType or an id).

        ``name`` picks one when the entity has several tasks of that type. Raises ``NotFound``.
        """
        type_ids = self._entity.project.task_type_ids(task_type)
        for task in self.all():
            if task.task_type_id in type_ids and (name is None or task.get("name") == name):
                return task
        raise NotFound(f"{self._entity!r} has no {task_type!r} task" + (f" named {name!r}" if name else ""))

    def new(self, task_type: IdLike, status: IdLike | None = None, *, name: str = "main",
            assignees: Sequence[IdLike] = ()) -> Task:
        """Create the entity's task of ``task_type`` (or return the existing one of that name)."""
        project = self._entity.project
        type_ids = project.task_type_ids(task_type, for_entity=self._entity.kind) or project.task_type_ids(task_type)
        type_id = sorted(type_ids)[0]
        raw = gazu.task.new_task(
            self._entity.raw, type_id, name=name, client=project.connection.client,
            task_status={"id": project.task_status_id(status)} if status is not None else None,
            assignees=[project.person_id(p) for p in assignees])
        return Task(project, raw)
