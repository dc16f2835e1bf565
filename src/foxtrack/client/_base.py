"""Records: a normalised Kitsu dict with attribute access, bound to the project it came from."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from gazu.client import KitsuClient

from foxtrack.client._normalise import (
    normalise_comment,
    normalise_record,
    normalise_task_type,
)

if TYPE_CHECKING:
    from foxtrack.client._project import Project

__all__ = ["Comment", "Person", "Record", "TaskStatus", "TaskType"]


class Record:
    """A Kitsu record: every field of the server's answer is an attribute (``shot.nb_frames``).

    ``data`` is exposed as ``custom_data``. Records compare equal when they have the same type
    and id, so they can go in sets and be dict keys. ``record.raw`` is the answer as gazu gave it
    (use it to call gazu directly).
    """

    kind: ClassVar[str] = "Record"

    def __init__(self, project: Project, raw: Mapping[str, Any]) -> None:
        self._project = project
        self._raw = dict(raw)
        self._fields = self._normalise(raw)

    @staticmethod
    def _normalise(raw: Mapping[str, Any]) -> dict[str, Any]:
        return normalise_record(raw)

    @property
    def _client(self) -> KitsuClient:
        return self._project.connection.client

    @property
    def id(self) -> str:
        """The record's UUID."""
        return str(self._fields["id"])

    @property
    def name(self) -> str:
        """The record's name ("" for records without one)."""
        return str(self._fields.get("name") or "")

    @property
    def custom_data(self) -> dict[str, Any]:
        """The free metadata dict (Kitsu's ``data`` field)."""
        data: dict[str, Any] = self._fields["custom_data"]
        return data

    @property
    def project(self) -> Project:
        """The project handle this record was read through."""
        return self._project

    @property
    def raw(self) -> dict[str, Any]:
        """The record as the server sent it (un-normalised), e.g. to pass to gazu."""
        return dict(self._raw)

    def to_dict(self) -> dict[str, Any]:
        """The normalised fields as a plain dict."""
        return dict(self._fields)

    def get(self, field: str, default: Any = None) -> Any:
        """A field's value, or ``default`` when the server did not send it."""
        return self._fields.get(field, default)

    def __getattr__(self, field: str) -> Any:
        if field.startswith("_"):
            raise AttributeError(field)
        try:
            return self._fields[field]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field {field!r}") from None

    def __getitem__(self, field: str) -> Any:
        return self._fields[field]

    def __contains__(self, field: object) -> bool:
        return field in self._fields

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and isinstance(other, Record) and other.id == self.id

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.id))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, id={self._fields.get('id')!r})"


class Person(Record):
    """A person (artist, supervisor, bot...)."""

    kind = "Person"

    @property
    def name(self) -> str:
        """``full_name``, or first and last name joined."""
        full = self._fields.get("full_name")
        if full:
            return str(full)
        return " ".join(str(p) for p in (self._fields.get("first_name"), self._fields.get("last_name")) if p)

    @property
    def email(self) -> str:
        """The person's login email."""
        return str(self._fields.get("email") or "")


class TaskStatus(Record):
    """A task status (``todo``, ``wip``, ``wfa``, ``retake``, ``done``...)."""

    kind = "TaskStatus"

    @property
    def short_name(self) -> str:
        """The short name used in the UI and in lookups (``"wip"``)."""
        return str(self._fields.get("short_name") or "")


class TaskType(Record):
    """A task type (Layout, Animation...). ``for_shots`` tells whether it is a shot task type."""

    kind = "TaskType"

    @staticmethod
    def _normalise(raw: Mapping[str, Any]) -> dict[str, Any]:
        return normalise_task_type(raw)

    @property
    def for_shots(self) -> bool:
        """True for shot task types (``for_entity == "Shot"``)."""
        return bool(self._fields["for_shots"])


class Comment(Record):
    """A comment on a task, normalised: ``attachments`` (the attached files), ``checklist`` items
    with an ``id`` (their index) and ``previews`` with a ``name`` (the uploaded file's name)."""

    kind = "Comment"

    @staticmethod
    def _normalise(raw: Mapping[str, Any]) -> dict[str, Any]:
        return normalise_comment(raw)

    @property
    def name(self) -> str:
        """Comments have no name: the text stands for it."""
        return str(self._fields.get("text") or "")

    @property
    def text(self) -> str:
        """The comment's text (Markdown)."""
        return str(self._fields.get("text") or "")

    @property
    def attachments(self) -> list[dict[str, Any]]:
        """The attached files (``name``, ``extension``, ``size``...)."""
        files: list[dict[str, Any]] = self._fields["attachments"]
        return files

    @property
    def checklist(self) -> list[dict[str, Any]]:
        """Checklist items, ``{"id": index, "text": ..., "checked": ...}``."""
        items: list[dict[str, Any]] = self._fields["checklist"]
        return items

    @property
    def previews(self) -> list[dict[str, Any]]:
        """Preview files published with the comment (``name``, ``extension``, ``revision``...)."""
        previews: list[dict[str, Any]] = self._fields["previews"]
        return previews
