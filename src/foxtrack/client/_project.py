"""``Project``: the entry point of the entity API."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

import gazu

from foxtrack.client._base import Person, Record
from foxtrack.client._collections import (
    AssetCollection,
    AssetTypeCollection,
    EpisodeCollection,
    PersonCollection,
    SequenceCollection,
    ShotCollection,
    TaskStatusCollection,
    TaskTypeCollection,
)
from foxtrack.client._connection import Connection, settings_from_env
from foxtrack.client._errors import NotFound
from foxtrack.client._ids import IdLike, get_id, is_uuid
from foxtrack.client._tasks import Task

__all__ = ["Project"]


class Project(Record):
    """A production on a Kitsu-compatible tracker (foxtrack or Zou), and everything in it.

    >>> project = Project.from_env()                     # doctest: +SKIP
    >>> shot = project.shots.get(name="sq170_sh0224")    # doctest: +SKIP
    >>> task = shot.tasks.fetch("Anim3D")                # doctest: +SKIP
    """

    kind = "Project"

    def __init__(self, connection: Connection, raw: Mapping[str, Any]) -> None:
        self._connection = connection
        super().__init__(self, raw)

    @classmethod
    def connect(cls, url: str, *, project: str, login: str | None = None, password: str | None = None,
                token: str | None = None, ssl_verify: bool = True) -> Project:
        """Log in to ``url`` (ending with ``/api``) and open ``project`` (a name or an id).

        Give ``login`` and ``password`` (renewed automatically when the session expires) or a
        bot's ``token``.
        """
        connection = Connection(url, login=login, password=password, token=token, ssl_verify=ssl_verify)
        if is_uuid(project):
            raw = gazu.project.get_project(project, client=connection.client)
        else:
            raw = gazu.project.get_project_by_name(project, client=connection.client)
        if not raw:
            raise NotFound(f"no project named {project!r} on {url}")
        return cls(connection, raw)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Project:
        """Connect with ``TRACKER_URL``, ``TRACKER_LOGIN`` + ``TRACKER_PASSWORD`` (or
        ``TRACKER_TOKEN`` for a bot) and ``TRACKER_PROJECT``, the ADM pipeline's variables."""
        settings = settings_from_env(environ)
        token = settings["token"]
        return cls.connect(str(settings["url"]), project=str(settings["project"]),
                           login=None if token else settings["login"],
                           password=None if token else settings["password"], token=token)

    @property
    def connection(self) -> Connection:
        """The authenticated connection (``project.connection.client`` is a gazu ``KitsuClient``)."""
        return self._connection

    def refresh(self) -> Project:
        """The project as the server has it now (same connection)."""
        return Project(self._connection, gazu.project.get_project(self.id, client=self._connection.client))

    @property
    def shots(self) -> ShotCollection:
        """The project's shots."""
        return ShotCollection(self)

    @property
    def assets(self) -> AssetCollection:
        """The project's assets."""
        return AssetCollection(self)

    @property
    def sequences(self) -> SequenceCollection:
        """The project's sequences."""
        return SequenceCollection(self)

    @property
    def episodes(self) -> EpisodeCollection:
        """The project's episodes (TV shows)."""
        return EpisodeCollection(self)

    @property
    def asset_types(self) -> AssetTypeCollection:
        """The asset types in use in the project."""
        return AssetTypeCollection(self)

    @property
    def task_types(self) -> TaskTypeCollection:
        """The task types in use in the project."""
        return TaskTypeCollection(self)

    @property
    def task_statuses(self) -> TaskStatusCollection:
        """The studio's task statuses."""
        return TaskStatusCollection(self)

    @property
    def persons(self) -> PersonCollection:
        """The studio's people."""
        return PersonCollection(self)

    @cached_property
    def me(self) -> Person:
        """The person (or bot) the connection acts as."""
        return Person(self, self._connection.current_user())

    def task(self, task: IdLike) -> Task:
        """A task by id (or dict, or record)."""
        return Task(self, gazu.task.get_task(get_id(task), client=self._connection.client))

    # ----------------------------------------------------------------- name/id resolution

    def task_status_id(self, status: IdLike) -> str:
        """The id of a status given as a short name (``"wip"``), a name, a record or an id."""
        if isinstance(status, str) and not is_uuid(status):
            for candidate in self.task_statuses.all():
                if status in (candidate.short_name, candidate.name):
                    return candidate.id
            raise NotFound(f"no task status {status!r}")
        return get_id(status)

    def task_type_ids(self, task_type: IdLike, for_entity: str | None = None) -> set[str]:
        """The ids of the task types named ``task_type`` (or the id of the one given)."""
        if isinstance(task_type, str) and not is_uuid(task_type):
            types = gazu.task.all_task_types(client=self._connection.client)
            found = {t["id"] for t in types
                     if t["name"] == task_type and (for_entity is None or t.get("for_entity") == for_entity)}
            if not found and for_entity is None:
                raise NotFound(f"no task type named {task_type!r}")
            return found
        return {get_id(task_type)}

    def person_id(self, person: IdLike) -> str:
        """The id of a person given as a record, a dict, an id or an email."""
        if isinstance(person, str) and "@" in person:
            raw = gazu.person.get_person_by_email(person, client=self._connection.client)
            if not raw:
                raise NotFound(f"no person with email {person!r}")
            return str(raw["id"])
        return get_id(person)
