"""The event catalog: every event foxtrack records, with the payload keys its listeners rely on.

Names and payloads are Zou's (``zou.md`` §6.3). A change records its events through ``Tx.emit``, which
refuses a name that is not here or a payload that lacks a required key: the catalog is the one list of
what clients (gazu.events, the Kitsu UI, webhooks) can receive.

Generic names come from the schema: every table has ``<table>:new|update|delete`` (underscores as
dashes, ``{<table>_id}``), as Zou's generic CRUD emits them, and ``<table_name>:new`` with the
underscores kept, as Zou's get-or-create by name emits it (``output_type:new``, ``file_status:new``).
"""

from __future__ import annotations

from dataclasses import dataclass

from foxtrack.db import schema as s

__all__ = ["CATALOG", "EventType", "UnknownEvent", "check"]


class UnknownEvent(RuntimeError):
    """A change tried to record an event that the catalog does not describe (a programming error)."""


@dataclass(frozen=True)
class EventType:
    name: str
    keys: frozenset[str] = frozenset()
    persist: bool = True


ENTITY_KINDS = ("asset", "shot", "sequence", "episode", "scene", "edit", "concept")

# name -> required payload keys (beyond ``project_id``, added when the change belongs to a project)
_NAMED: dict[str, tuple[str, ...]] = {
    # entities and breakdown
    "asset:casting-update": ("asset_id",),
    "asset:new-link": ("asset_in", "asset_out"),
    "asset:remove-link": ("asset_in", "asset_out"),
    "shot:casting-update": ("shot_id",),
    "episode:casting-update": ("episode_id",),
    "sequence:casting-update": ("sequence_id",),
    "edit:casting-update": ("edit_id",),
    "shot:add-to-scene": ("shot_id",),
    "shot:remove-from-scene": ("shot_id",),
    "asset_instance:add-to-shot": ("asset_instance_id",),
    "asset_instance:remove-from-shot": ("asset_instance_id",),
    # tasks
    "task:assign": ("task_id", "person_id"),
    "task:unassign": ("task_id", "person_id"),
    "task:status-changed": ("task_id", "new_task_status_id", "previous_task_status_id"),
    "task:to-review": ("task_id",),
    "task:update-casting-stats": ("task_id",),
    # comments and previews
    "comment:reply": ("comment_id", "reply_id", "task_id"),
    "comment:delete-reply": ("comment_id", "reply_id", "task_id"),
    "comment:acknowledge": ("comment_id", "person_id"),
    "comment:unacknowledge": ("comment_id", "person_id"),
    "preview-file:add-file": ("preview_file_id",),
    "preview-file:set-main": ("preview_file_id",),
    "preview-file:annotation-update": ("preview_file_id",),
    "preview-background-file:add-file": ("preview_background_file_id",),
    # playlists and review
    "playlist:add_entity": ("playlist_id",),
    "playlist:share-link-new": ("playlist_id",),
    "playlist:share-link-delete": ("playlist_id",),
    # people, projects, planning
    "project-template:apply": (),
    "metadata-descriptor:reorder": (),
    "budget:create": ("budget_id",),
    "budget-entry:create": ("budget_id", "budget_entry_id"),
    "production_schedule_version:update": (),
    "notification:read": ("notification_id",),
    "notification:unread": ("notification_id",),
    "notification:all-read": (),
    "main:test": (),
}
_NOT_PERSISTED = {"comment:acknowledge", "comment:unacknowledge", "chat:joined", "chat:left", "chat:new-message",
                  "chat:deleted-message", "main:test"}
_CHAT = {"chat:joined": ("chat_id", "person_id"), "chat:left": ("chat_id", "person_id"),
         "chat:new-message": ("chat_id", "chat_message_id"), "chat:deleted-message": ("chat_id",)}


def _build() -> dict[str, EventType]:
    out: dict[str, EventType] = {}
    prefixes = {table.replace("_", "-") for table in s.metadata.tables} | set(ENTITY_KINDS) | {"asset-type"}
    for prefix in sorted(prefixes):
        key = f"{prefix.replace('-', '_')}_id"
        for verb in ("new", "update", "delete"):
            out[f"{prefix}:{verb}"] = EventType(f"{prefix}:{verb}", frozenset({key}))
        # budgets speak create, thumbnails set-thumbnail
        out[f"{prefix}:set-thumbnail"] = EventType(f"{prefix}:set-thumbnail", frozenset({key}))
    for table in s.metadata.tables:  # Zou's get-or-create by name emits the table name as it is
        if "_" in table:
            out[f"{table}:new"] = EventType(f"{table}:new", frozenset({f"{table}_id"}))
    for name, keys in {**_NAMED, **_CHAT}.items():
        # a generic name keeps its generic payload: the CRUD emits it with the id alone
        assert name not in out, f"{name} is a generic event"
        out[name] = EventType(name, frozenset(keys), persist=name not in _NOT_PERSISTED)
    # generic payloads Zou sends for these carry more than the id; the id stays required
    out["task:delete"] = EventType("task:delete", frozenset({"task_id"}))
    return out


CATALOG: dict[str, EventType] = _build()


def check(name: str, payload: dict[str, object]) -> EventType:
    """The catalog entry of ``name``; raises ``UnknownEvent`` for a name or a payload it does not describe."""
    found = CATALOG.get(name)
    if found is None:
        raise UnknownEvent(f"event {name!r} is not in the catalog")
    if not found.keys <= payload.keys():
        raise UnknownEvent(f"event {name!r} lacks {sorted(found.keys - payload.keys())}")
    return found
