"""The model registry: how each table is named in URLs, typed in JSON and serialised.

Serialisation is a tight loop over a precomputed column list: a row becomes a dict, timestamps are
cut to Zou's second precision, ``type`` is added. Collection relationships (``relations=true``)
are fetched in one query per relationship for the whole page of rows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from foxtrack.core.errors import validation_error
from foxtrack.core.http import NUL_MESSAGE, nul_path
from foxtrack.db import schema as s

INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # an INTEGER column on PostgreSQL


@dataclass(frozen=True)
class ColumnCheck:
    """What a stored value must satisfy beyond its Python type, the same on SQLite and PostgreSQL:
    Zou's column size for strings, no NUL in text or JSON, an INTEGER's range."""

    kind: str  # "str" (sized), "text", "json" or "int"
    max_length: int | None = None

    def problem(self, value: Any) -> tuple[str, str] | None:
        """(sub-field, message) of what is wrong with ``value``, or None."""
        if self.kind == "json":
            path = nul_path(value)
            return None if path is None else (path, NUL_MESSAGE)
        if self.kind == "int":
            if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
                bound = f"less than or equal to {INT_MAX}" if value > 0 else f"greater than or equal to {INT_MIN}"
                return "", f"Input should be {bound}"
            return None
        if isinstance(value, str):
            if "\x00" in value:
                return "", NUL_MESSAGE
            if self.max_length is not None and len(value) > self.max_length:
                return "", f"String should have at most {self.max_length} characters"
        return None


@functools.cache
def column_checks(table: sa.Table) -> dict[str, ColumnCheck]:
    """The checks of a table's writable columns, computed once per table."""
    checks: dict[str, ColumnCheck] = {}
    for col in table.c:
        t = col.type
        if isinstance(t, sa.JSON):
            checks[col.name] = ColumnCheck("json")
        elif isinstance(t, sa.String):  # Text too; a length only where the column has one
            checks[col.name] = ColumnCheck("str" if t.length else "text", t.length)
        elif isinstance(t, sa.Integer) and not isinstance(t, sa.BigInteger):
            checks[col.name] = ColumnCheck("int")
    return checks


def check_values(table: sa.Table, values: Mapping[str, Any]) -> None:
    """400 (Zou's "Validation error." with ``data.errors``) naming every value ``table`` cannot
    store as given: too long for its column, holding a NUL, out of an INTEGER's range."""
    checks = column_checks(table)
    errors: dict[str, str] = {}
    for key, value in values.items():
        check = checks.get(key)
        if check is None or value is None:
            continue
        found = check.problem(value)
        if found is not None:
            sub, message = found
            errors[f"{key}.{sub}" if sub else key] = message
    if errors:
        raise validation_error(errors, "Validation error.")


@dataclass(frozen=True)
class Relation:
    """A many-to-many relationship stored in a link table, serialised as a list of ids."""

    table: sa.Table
    local: str
    remote: str


@dataclass
class Model:
    path: str
    table: sa.Table
    type_name: str
    hidden: frozenset[str] = frozenset()
    relations: dict[str, Relation] = field(default_factory=dict)
    # extra keys computed from the row dict (e.g. a person's full_name)
    computed: Callable[[dict[str, Any]], None] | None = None

    def __post_init__(self) -> None:
        self.columns = [c for c in self.table.c if c.name not in self.hidden and c.name != "seq"]
        # plain str keys (SQLAlchemy's quoted_name is a str subclass orjson serialises slowly)
        self.keys = [str(c.name) for c in self.columns]
        self.ts_keys = [str(c.name) for c in self.columns if c.info.get("ts")]
        self.column_names = {c.name for c in self.table.c}
        # Built once: statements are immutable, and building a 20-column select costs more than
        # running it. ``by_id`` binds its parameter at execution.
        # selecting the table itself (when no column is hidden) keeps statements derived from
        # this one cheap: SQLAlchemy expands a table once, a list of 20 columns on every .where()
        self._select = (sa.select(self.table) if len(self.columns) == len(self.table.c)
                        else sa.select(*self.columns))
        self._by_id = self._select.where(self.table.c.id == sa.bindparam("_model_id"))
        self._relation_statements: dict[tuple[tuple[str, ...], bool], Any] = {}

    def select(self) -> sa.Select[Any]:
        return self._select

    def to_dict(self, row: Row[Any] | Sequence[Any], type_name: str | None = None) -> dict[str, Any]:
        d = dict(zip(self.keys, row))
        for k in self.ts_keys:
            v = d[k]
            if v:
                d[k] = v[:19]
        d["type"] = type_name or self.type_name
        if self.computed is not None:
            self.computed(d)
        return d

    def to_dicts(self, rows: Iterable[Row[Any]]) -> list[dict[str, Any]]:
        keys, ts_keys, type_name, computed = self.keys, self.ts_keys, self.type_name, self.computed
        out = []
        for row in rows:
            d = dict(zip(keys, row))
            for k in ts_keys:
                v = d[k]
                if v:
                    d[k] = v[:19]
            d["type"] = type_name
            if computed is not None:
                computed(d)
            out.append(d)
        return out

    def add_relations(self, conn: Connection, items: list[dict[str, Any]], names: Iterable[str] | None = None) -> None:
        """Attach collection relationships as id lists: one statement for all the relationships
        asked for (a ``UNION ALL`` of one ``SELECT`` each), per chunk of rows."""
        if not items:
            return
        wanted = tuple(names) if names is not None else tuple(self.relations)
        if not wanted:
            return
        ids = [i["id"] for i in items]
        grouped: list[dict[str, list[str]]] = [{i: [] for i in ids} for _ in wanted]
        # SQLite binds each branch's list on its own: keep a statement under 999 parameters
        for chunk in _chunks(ids, max(1, 900 // len(wanted))):
            single = len(chunk) == 1
            stmt = self._relations_statement(wanted, single)
            params = {"_relation_id": chunk[0]} if single else {"_relation_ids": chunk}
            if len(wanted) == 1:
                for left, right in conn.execute(stmt, params):
                    grouped[0][left].append(right)
            else:
                for which, left, right in conn.execute(stmt, params):
                    grouped[which][left].append(right)
        for name, by_id in zip(wanted, grouped):
            for item in items:
                item[name] = by_id[item["id"]]

    def _relations_statement(self, names: tuple[str, ...], single: bool) -> Any:
        """The statement reading ``names`` for one row (an equality: an expanding IN is rewritten
        on each execution) or for a list of rows; built once per shape."""
        key = (names, single)
        stmt = self._relation_statements.get(key)
        if stmt is None:
            branches = []
            for which, name in enumerate(names):
                rel = self.relations[name]
                local, remote = rel.table.c[rel.local], rel.table.c[rel.remote]
                where = (local == sa.bindparam("_relation_id") if single
                         else local.in_(sa.bindparam("_relation_ids", expanding=True)))
                columns = [local, remote] if len(names) == 1 else [sa.literal(which).label("relation"), local, remote]
                branches.append(sa.select(*columns).where(where))
            stmt = branches[0] if len(branches) == 1 else sa.union_all(*branches)
            self._relation_statements[key] = stmt
        return stmt

    def get(self, conn: Connection, id_: str) -> dict[str, Any] | None:
        row = conn.execute(self._by_id, {"_model_id": id_}).first()
        return self.to_dict(row) if row is not None else None


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _full_name(d: dict[str, Any]) -> None:
    d["full_name"] = f"{d.get('first_name') or ''} {d.get('last_name') or ''}".strip()


PERSON_HIDDEN = frozenset(
    {
        "password",
        "totp_secret",
        "totp_last_step",
        "email_otp_secret",
        "fido_credentials",
        "otp_recovery_codes",
        "jti",
        "login_failed_attemps",
        "last_login_failed",
    }
)

R = Relation

PERSON = Model(
    "persons",
    s.person,
    "Person",
    hidden=PERSON_HIDDEN,
    relations={"departments": R(s.department_link, "person_id", "department_id")},
    computed=_full_name,
)
PROJECT = Model(
    "projects",
    s.project,
    "Project",
    relations={
        "team": R(s.project_person_link, "project_id", "person_id"),
        "asset_types": R(s.project_asset_type_link, "project_id", "asset_type_id"),
        "task_types": R(s.project_task_type_link, "project_id", "task_type_id"),
        "task_statuses": R(s.project_task_status_link, "project_id", "task_status_id"),
        "status_automations": R(s.project_status_automation_link, "project_id", "status_automation_id"),
        "preview_background_files": R(
            s.project_preview_background_file_link, "project_id", "preview_background_file_id"
        ),
    },
)
ENTITY = Model(
    "entities",
    s.entity,
    "Entity",
    relations={"entities_out": R(s.entity_link, "entity_in_id", "entity_out_id")},
)
TASK = Model("tasks", s.task, "Task", relations={"assignees": R(s.task_person_link, "task_id", "person_id")})
COMMENT = Model(
    "comments",
    s.comment,
    "Comment",
    relations={
        "previews": R(s.comment_preview_link, "comment_id", "preview_file_id"),
        "mentions": R(s.comment_mentions, "comment_id", "person_id"),
        "department_mentions": R(s.comment_department_mentions, "comment_id", "department_id"),
        "acknowledgements": R(s.comment_acknoledgments, "comment_id", "person_id"),
    },
)
ENTITY_TYPE = Model(
    "entity-types",
    s.entity_type,
    "EntityType",
    relations={"task_types": R(s.task_type_asset_type_link, "asset_type_id", "task_type_id")},
)
METADATA_DESCRIPTOR = Model(
    "metadata-descriptors",
    s.metadata_descriptor,
    "MetadataDescriptor",
    relations={"departments": R(s.department_metadata_descriptor_link, "metadata_descriptor_id", "department_id")},
)

MODELS: dict[str, Model] = {
    m.path: m
    for m in [
        PERSON,
        PROJECT,
        ENTITY,
        TASK,
        COMMENT,
        ENTITY_TYPE,
        METADATA_DESCRIPTOR,
        Model("organisations", s.organisation, "Organisation"),
        Model("studios", s.studio, "Studio"),
        Model("departments", s.department, "Department"),
        Model("project-status", s.project_status, "ProjectStatus"),
        Model("task-types", s.task_type, "TaskType"),
        Model("task-status", s.task_status, "TaskStatus"),
        Model("file-status", s.file_status, "FileStatus"),
        Model("output-types", s.output_type, "OutputType"),
        Model("softwares", s.software, "Software"),
        Model("hardware-items", s.hardware_item, "HardwareItem"),
        Model("custom-actions", s.custom_action, "CustomAction"),
        Model("status-automations", s.status_automation, "StatusAutomation"),
        Model("preview-background-files", s.preview_background_file, "PreviewBackgroundFile"),
        Model("milestones", s.milestone, "Milestone"),
        Model("schedule-items", s.schedule_item, "ScheduleItem"),
        Model("entity-links", s.entity_link, "EntityLink"),
        Model("asset-instances", s.asset_instance, "AssetInstance"),
        Model("preview-files", s.preview_file, "PreviewFile"),
        Model("attachment-files", s.attachment_file, "AttachmentFile"),
        Model("notifications", s.notification, "Notification"),
        Model("subscriptions", s.subscription, "Subscription"),
        Model("news", s.news, "News"),
        Model("time-spents", s.time_spent, "TimeSpent"),
        Model("day-offs", s.day_off, "DayOff"),
        Model("playlists", s.playlist, "Playlist"),
        Model("working-files", s.working_file, "WorkingFile"),
        Model("output-files", s.output_file, "OutputFile"),
        Model("search-filters", s.search_filter, "SearchFilter"),
        Model("search-filter-groups", s.search_filter_group, "SearchFilterGroup"),
        Model("events", s.api_event, "ApiEvent"),
        Model("build-jobs", s.build_job, "BuildJob"),
        Model("chats", s.chat, "Chat",
              relations={"participants": R(s.chat_participant, "chat_id", "person_id")}),
        Model("chat-messages", s.chat_message, "ChatMessage"),
        Model("plugins", s.plugin, "Plugin"),
    ]
}

ASSET_TYPE = Model("asset-types", s.entity_type, "AssetType")
LOGIN_LOG = Model("login-logs", s.login_log, "LoginLog")

# Entity types that are not asset types (Zou's TEMPORAL_ENTITY_TYPE_NAMES).
TEMPORAL_TYPES = ("Shot", "Sequence", "Episode", "Scene", "Edit", "Concept")


def model(path: str) -> Model:
    return MODELS[path]
