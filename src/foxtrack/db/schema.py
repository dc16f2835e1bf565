"""The schema: SQLAlchemy Core tables whose columns are Zou's, so JSON rows match Kitsu's.

Conventions, chosen for speed on both SQLite and PostgreSQL:
* ids are UUID strings (36 chars);
* timestamps are naive-UTC ISO strings with microseconds (``2024-01-15T10:30:00.123456``): they
  sort as text, order ties in the same second correctly, and are cut to Zou's 19 characters when
  serialised; dates are ``YYYY-MM-DD``;
* JSON columns are JSONB on PostgreSQL and JSON text on SQLite.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def Id(**kw: Any) -> sa.Column[Any]:
    return sa.Column("id", sa.String(36), primary_key=True, **kw)


def Ref(name: str, target: str, nullable: bool = True, index: bool = True) -> sa.Column[Any]:
    # Foreign keys are declared for documentation and PostgreSQL integrity; deletion order is
    # owned by the services, as in Zou.
    return sa.Column(name, sa.String(36), sa.ForeignKey(f"{target}.id"), nullable=nullable, index=index)


def Uid(name: str, nullable: bool = True, index: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.String(36), nullable=nullable, index=index)


def Ts(name: str, nullable: bool = True, index: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.String(26), nullable=nullable, index=index, info={"ts": True})


def Str(name: str, length: int = 255, nullable: bool = True, default: Any = None, **kw: Any) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length), nullable=nullable, default=default, **kw)


def Text(name: str, default: Any = None) -> sa.Column[Any]:
    return sa.Column(name, sa.Text(), default=default)


def Bool(name: str, default: bool | None = False) -> sa.Column[Any]:
    return sa.Column(name, sa.Boolean(), default=default)


def Int(name: str, default: int | None = None, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.Integer(), default=default, nullable=nullable)


class FloatNumber(sa.Float[float]):
    """A float column read back as a Python float on every backend: SQLite hands back an int for a
    whole number stored in a column of integer affinity (databases made before 0004), and Zou's
    floats are serialised as ``960.0``, never ``960``."""

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        return _as_float


def _as_float(value: Any) -> float | None:
    return None if value is None else float(value)


def Float(name: str, default: float | None = None, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, FloatNumber(), default=default, nullable=nullable)


def Json(name: str, default: Any = None) -> sa.Column[Any]:
    return sa.Column(name, JSONType, default=default)


def stamps() -> list[sa.Column[Any]]:
    return [Ts("created_at", nullable=False, index=True), Ts("updated_at", nullable=False)]


@functools.cache
def column_defaults(table: sa.Table) -> dict[str, Any]:
    """Python-side defaults of a table's columns (None where there is none), so an inserted row and
    the JSON answered for it agree without a re-read. Ids and timestamps are the caller's. Callers
    spread it into a new dict; never mutate it."""
    out: dict[str, Any] = {}
    for col in table.c:
        if col.name in ("id", "created_at", "updated_at", "seq"):
            continue
        default = col.default
        scalar = default is not None and getattr(default, "is_scalar", False)
        out[col.name] = default.arg if scalar else None  # type: ignore[union-attr]
    return out


def table(name: str, *cols: Any) -> sa.Table:
    return sa.Table(name, metadata, Id(), *stamps(), *cols)


def link(name: str, left: tuple[str, str], right: tuple[str, str], *extra: Any) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column(left[0], sa.String(36), sa.ForeignKey(f"{left[1]}.id"), primary_key=True),
        sa.Column(right[0], sa.String(36), sa.ForeignKey(f"{right[1]}.id"), primary_key=True, index=True),
        *extra,
    )


# ----------------------------------------------------------------------------- people

organisation = table(
    "organisation",
    Str("name", 80, nullable=False),
    Float("hours_by_day", 8.0),
    Bool("has_avatar"),
    Bool("use_original_file_name"),
    Bool("timesheets_locked"),
    Bool("format_duration_in_hours"),
    Bool("hd_by_default"),
    Str("chat_token_slack", 80, default=""),
    Str("chat_webhook_mattermost", 80, default=""),
    Str("chat_token_discord", 80, default=""),
    Bool("dark_theme_by_default"),
)

studio = table("studio", Str("name", 80, nullable=False, unique=True), Str("color", 7), Bool("archived"))

department = table("department", Str("name", 80, nullable=False, unique=True), Str("color", 7), Bool("archived"))

person = table(
    "person",
    Str("first_name", 80, nullable=False),
    Str("last_name", 80, nullable=False),
    Str("email", 255, index=True),
    Str("phone", 30, default=""),
    Str("country", 2),
    Str("contract_type", 30, default="open-ended"),
    Bool("active", True),
    Bool("archived"),
    Str("last_presence", 10),
    Str("password", 255),
    Str("desktop_login", 80, default=""),
    Int("login_failed_attemps", 0),
    Ts("last_login_failed"),
    Bool("totp_enabled"),
    Str("totp_secret", 32),
    Int("totp_last_step"),  # the last TOTP time step accepted: a code works once (migration 0011)
    Bool("email_otp_enabled"),
    Str("email_otp_secret", 32),
    Bool("fido_enabled"),
    Json("fido_credentials"),
    Json("otp_recovery_codes"),
    Str("preferred_two_factor_authentication", 30),
    Int("shotgun_id"),
    Str("timezone", 50, default="Europe/Paris"),
    Str("locale", 10, default="en_US"),
    Json("data"),
    Str("role", 30, default="user"),
    Bool("has_avatar"),
    Bool("notifications_enabled"),
    Bool("notifications_slack_enabled"),
    Str("notifications_slack_userid", 60, default=""),
    Bool("notifications_mattermost_enabled"),
    Str("notifications_mattermost_userid", 60, default=""),
    Bool("notifications_discord_enabled"),
    Str("notifications_discord_userid", 60, default=""),
    Bool("is_bot"),
    Bool("is_guest"),
    Str("jti", 60, index=True),
    Str("expiration_date", 10),
    Bool("is_generated_from_ldap"),
    Str("ldap_uid", 60),
    Ref("studio_id", "studio"),
    Str("position", 60, default="artist"),
    Str("seniority", 60, default="mid"),
    Int("daily_salary", 0),
    Bool("use_12_hour_clock"),
    Str("display_date_format", 30, default="YYYY-MM-DD"),
    Ts("preview_open_until"),
    Ts("preview_opened_at"),
    Uid("preview_project_id"),
)

department_link = link("department_link", ("person_id", "person"), ("department_id", "department"))

revoked_token = sa.Table(
    "revoked_token",
    metadata,
    sa.Column("jti", sa.String(64), primary_key=True),
    Ts("expires_at"),
)

# Zou's login log (origin web|script), extended into the account's audit: failed logins (``reason``,
# and the ``email`` tried when no account has it) and other account events (``event``: 2FA changes,
# password changes and resets, logouts)
login_log = table(
    "login_log", Ref("person_id", "person"), Str("ip_address", 60), Str("origin", 30), Bool("success", True),
    Str("event", 30, default="login", server_default="login"), Str("reason", 80), Str("email", 255),
)

# one row per login (its refresh token's jti): what a password change revokes
auth_session = table(
    "auth_session", Ref("person_id", "person", nullable=False), Ts("expires_at"), Ts("revoked_at"),
    Str("origin", 30), Str("ip_address", 60),
)

# short-lived secrets of the account flows, stored hashed where they are codes (email one-time codes,
# password reset tokens) or as issued (WebAuthn challenges); each is used once
auth_challenge = table(
    "auth_challenge", Ref("person_id", "person", nullable=False), Str("kind", 30, nullable=False),
    Str("secret", 255, nullable=False), Ts("expires_at", nullable=False), Ts("used_at"),
)

# ----------------------------------------------------------------------------- reference data

project_status = table("project_status", Str("name", 20, nullable=False, unique=True), Str("color", 7))

task_type = table(
    "task_type",
    Str("name", 40, nullable=False),
    Str("short_name", 20, default=""),
    Text("description"),
    Str("color", 7, default="#FFFFFF"),
    Int("priority", 1),
    Str("for_entity", 30, default="Asset"),
    Bool("allow_timelog", True),
    Bool("archived"),
    Int("shotgun_id"),
    Ref("department_id", "department"),
    sa.UniqueConstraint("name", "for_entity", "department_id"),
)

task_status = table(
    "task_status",
    Str("name", 40, nullable=False),
    Str("short_name", 10, nullable=False, unique=True),
    Text("description"),
    Str("color", 7, nullable=False, default="#f5f5f5"),
    Int("priority", 1),
    Bool("is_done"),
    Bool("is_artist_allowed", True),
    Bool("is_client_allowed", True),
    Bool("is_retake"),
    Bool("is_feedback_request"),
    Bool("is_default"),
    Bool("is_wip"),
    Bool("for_concept"),
    Bool("archived"),
    Int("shotgun_id"),
)

entity_type = table(
    "entity_type",
    Str("name", 30, nullable=False, unique=True),
    Str("short_name", 20),
    Text("description"),
    Bool("archived"),
)
task_type_asset_type_link = link(
    "task_type_asset_type_link", ("asset_type_id", "entity_type"), ("task_type_id", "task_type")
)

file_status = table("file_status", Str("name", 40, nullable=False, unique=True), Str("color", 7))
output_type = table("output_type", Str("name", 40, nullable=False, unique=True), Str("short_name", 20))
software = table(
    "software",
    Str("name", 40, nullable=False, unique=True),
    Str("short_name", 20),
    Bool("archived"),
    Str("version", 20),
    Str("file_extension", 20),
    Json("secondary_extensions"),
    Int("monthly_cost", 0),
    Int("inventory_amount", 0),
)
hardware_item = table(
    "hardware_item",
    Str("name", 40, nullable=False, unique=True),
    Str("short_name", 20),
    Int("monthly_cost", 0),
    Int("inventory_amount", 0),
)
custom_action = table(
    "custom_action",
    Str("name", 80, nullable=False),
    Str("url", 400),
    Str("entity_type", 40, default="all"),
    Bool("is_ajax"),
)
status_automation = table(
    "status_automation",
    Str("entity_type", 40, default="asset"),
    Uid("in_task_type_id"),
    Uid("in_task_status_id"),
    Str("out_field_type", 40, default="status"),
    Uid("out_task_type_id"),
    Uid("out_task_status_id"),
    Bool("import_last_revision"),
    Bool("archived"),
)
preview_background_file = table(
    "preview_background_file",
    Str("name", 40, nullable=False),
    Bool("archived"),
    Bool("is_default"),
    Str("original_name", 250),
    Str("extension", 6),
    Int("file_size", 0),
)

# ----------------------------------------------------------------------------- projects

project = table(
    "project",
    Str("name", 80, nullable=False, unique=True),
    Str("code", 80),
    Text("description"),
    Json("file_tree"),
    Json("data"),
    Bool("has_avatar"),
    Str("fps", 10, default="25"),
    Str("ratio", 10, default="16:9"),
    Str("resolution", 12, default="1920x1080"),
    Str("production_type", 20, default="short"),
    Str("production_style", 20, default="2d3d"),
    Str("start_date", 10),
    Str("end_date", 10),
    Int("man_days"),
    Int("nb_episodes", 0),
    Int("episode_span", 0),
    Int("max_retakes", 0),
    Bool("is_clients_isolated"),
    Bool("is_preview_download_allowed"),
    Bool("is_set_preview_automated"),
    Str("homepage", 80, default="assets"),
    Bool("is_publish_default_for_artists"),
    Bool("is_bot_collaboration_enabled"),
    Bool("is_single_preview_per_revision"),
    Bool("is_frame_in_numbering"),
    Bool("is_client_stats_visible"),
    Bool("is_client_task_list_visible"),
    Bool("is_client_task_panel_visible"),
    Int("revision_padding", 3),
    Int("hd_bitrate_compression"),
    Int("ld_bitrate_compression"),
    Int("shotgun_id"),
    Ref("project_status_id", "project_status"),
    Uid("default_preview_background_file_id"),
    Uid("from_schedule_version_id"),
)

project_person_link = link(
    "project_person_link", ("project_id", "project"), ("person_id", "person"), Str("role", 30)
)
project_task_type_link = link(
    "project_task_type_link", ("project_id", "project"), ("task_type_id", "task_type"), Int("priority")
)
project_task_status_link = link(
    "project_task_status_link",
    ("project_id", "project"),
    ("task_status_id", "task_status"),
    Int("priority"),
    Json("roles_for_board"),
    Bool("is_client_allowed", None),  # None: the studio's value on the task status
)
project_task_type_software_link = sa.Table(
    "project_task_type_software_link",
    metadata,
    sa.Column("project_id", sa.String(36), sa.ForeignKey("project.id"), primary_key=True),
    # PostgreSQL drops a link with its task type or software, as Zou does; reads join both.
    sa.Column("task_type_id", sa.String(36), sa.ForeignKey("task_type.id", ondelete="CASCADE"), primary_key=True,
              index=True),
    sa.Column("software_id", sa.String(36), sa.ForeignKey("software.id", ondelete="CASCADE"), primary_key=True,
              index=True),
)
project_asset_type_link = link(
    "project_asset_type_link", ("project_id", "project"), ("asset_type_id", "entity_type")
)
project_status_automation_link = link(
    "project_status_automation_link", ("project_id", "project"), ("status_automation_id", "status_automation")
)
project_preview_background_file_link = link(
    "project_preview_background_file_link",
    ("project_id", "project"),
    ("preview_background_file_id", "preview_background_file"),
)

metadata_descriptor = table(
    "metadata_descriptor",
    Ref("project_id", "project", nullable=False),
    Str("entity_type", 60, default="Asset"),
    Uid("task_type_id"),
    Str("name", 120, nullable=False),
    Str("data_type", 60, default="string"),
    Str("field_name", 120, nullable=False),
    Json("choices"),
    Bool("for_client"),
    Int("position"),
)
department_metadata_descriptor_link = link(
    "department_metadata_descriptor_link",
    ("metadata_descriptor_id", "metadata_descriptor"),
    ("department_id", "department"),
)

milestone = table(
    "milestone",
    Str("date", 10),
    Str("name", 40),
    Ref("project_id", "project"),
    Uid("task_type_id"),
)
schedule_item = table(
    "schedule_item",
    Str("start_date", 10),
    Str("end_date", 10),
    Int("man_days"),
    Ref("project_id", "project"),
    Uid("task_type_id"),
    Uid("object_id"),
)

# ----------------------------------------------------------------------------- entities

entity = table(
    "entity",
    Str("name", 160, nullable=False),
    Str("code", 160),
    Text("description"),
    Int("shotgun_id"),
    Bool("canceled"),
    Int("nb_frames"),
    Int("nb_entities_out", 0),
    Bool("is_casting_standby"),
    Bool("is_shared"),
    Str("status", 20, default="running"),
    Ref("project_id", "project", nullable=False),
    Ref("entity_type_id", "entity_type", nullable=False),
    Uid("parent_id", index=True),
    Uid("source_id", index=True),
    Uid("preview_file_id"),
    Json("data"),
    Uid("ready_for"),
    Uid("created_by"),
    # lists of one kind in a project, and the name lookups of get-or-create
    sa.Index("ix_entity_project_type_name", "project_id", "entity_type_id", "name"),
)

entity_link = table(
    "entity_link",
    Uid("entity_in_id", nullable=False, index=True),
    Uid("entity_out_id", nullable=False, index=True),
    Int("nb_occurences", 1),
    Str("label", 80, default=""),
    Json("data"),
    sa.UniqueConstraint("entity_in_id", "entity_out_id"),
)
entity_concept_link = link("entity_concept_link", ("entity_in_id", "entity"), ("entity_out_id", "entity"))

asset_instance = table(
    "asset_instance",
    Uid("asset_id", index=True),
    Str("name", 80),
    Int("number"),
    Str("description", 200),
    Bool("active", True),
    Json("data"),
    Uid("scene_id"),
    Uid("target_asset_id"),
)

# ----------------------------------------------------------------------------- tasks and review

task = table(
    "task",
    Str("name", 80, nullable=False, default="main"),
    Text("description"),
    Int("priority", 0),
    Int("difficulty", 3),
    Float("duration", 0.0),
    Float("estimation", 0.0),
    Int("completion_rate", 0),
    Int("retake_count", 0),
    Int("sort_order", 0),
    Ts("start_date"),
    Ts("due_date"),
    Ts("real_start_date"),
    Ts("end_date"),
    Ts("done_date"),
    Ts("last_comment_date"),
    Int("nb_assets_ready", 0),
    Int("nb_drawings", 0),
    Json("data"),
    Int("shotgun_id"),
    Ref("project_id", "project", nullable=False),
    Ref("task_type_id", "task_type", nullable=False),
    Ref("task_status_id", "task_status", nullable=False),
    Ref("entity_id", "entity", nullable=False),
    Uid("assigner_id"),
    Uid("last_preview_file_id"),
    # entity first: the lookups "this entity's task of that type" use the prefix of this index
    sa.UniqueConstraint("entity_id", "task_type_id", "name", "project_id"),
)
task_person_link = link("task_person_link", ("task_id", "task"), ("person_id", "person"))

comment = table(
    "comment",
    Int("shotgun_id"),
    Uid("object_id", nullable=False, index=True),
    Str("object_type", 80, default="Task"),
    Text("text", default=""),
    Json("data"),
    Json("replies"),
    Json("checklist"),
    Bool("pinned"),
    Bool("for_client"),
    Json("links"),
    Uid("task_status_id"),
    Uid("person_id", index=True),
    Uid("editor_id"),
    Uid("preview_file_id"),
)
comment_preview_link = link("comment_preview_link", ("comment_id", "comment"), ("preview_file_id", "preview_file"))
comment_mentions = link("comment_mentions", ("comment_id", "comment"), ("person_id", "person"))
comment_department_mentions = link(
    "comment_department_mentions", ("comment_id", "comment"), ("department_id", "department")
)
comment_acknoledgments = link("comment_acknoledgments", ("comment_id", "comment"), ("person_id", "person"))

preview_file = table(
    "preview_file",
    Str("name", 250),
    Str("original_name", 250),
    Int("revision", 1),
    Int("position", 1),
    Str("extension", 6),
    Text("description"),
    Str("path", 400),
    Str("source", 40),
    Int("file_size", 0),
    Str("status", 20, default="processing"),
    Str("validation_status", 20, default="neutral"),
    Json("annotations"),
    Int("width", 0),
    Int("height", 0),
    Float("duration", 0),
    Json("data"),
    Int("shotgun_id"),
    Bool("is_movie"),
    Str("url", 600),
    Str("uploaded_movie_url", 600),
    Str("uploaded_movie_name", 150),
    Str("token_in", 40),
    Str("token_out", 40),
    Uid("task_id", index=True),
    Uid("person_id"),
    Uid("source_file_id"),
)

attachment_file = table(
    "attachment_file",
    Str("name", 250),
    Int("size"),
    Str("extension", 12),
    Str("mimetype", 255),
    Uid("comment_id", index=True),
    Uid("reply_id"),
    Uid("chat_message_id"),
)

notification = table(
    "notification",
    Bool("read"),
    Bool("change"),
    Str("type", 30),
    Uid("person_id", index=True),
    Uid("author_id"),
    Uid("comment_id"),
    Uid("task_id"),
    Uid("playlist_id"),
    Uid("reply_id"),
)

subscription = table(
    "subscription", Uid("person_id", index=True), Uid("task_id", index=True), Uid("entity_id"), Uid("task_type_id")
)

news = table(
    "news",
    Bool("change"),
    Uid("author_id"),
    Uid("comment_id"),
    Uid("task_id", index=True),
    Uid("preview_file_id"),
    Uid("project_id", index=True),
)

time_spent = table(
    "time_spent",
    Float("duration", nullable=False),
    Str("date", 10, nullable=False),
    Ref("task_id", "task", nullable=False),
    Ref("person_id", "person", nullable=False),
    sa.UniqueConstraint("person_id", "task_id", "date"),
)

day_off = table(
    "day_off",
    Str("date", 10, nullable=False),
    Str("end_date", 10),
    Text("description"),
    Ref("person_id", "person", nullable=False),
)

playlist = table(
    "playlist",
    Str("name", 80, nullable=False),
    Json("shots"),
    Ref("project_id", "project"),
    Uid("episode_id"),
    Uid("task_type_id"),
    Bool("for_client"),
    Str("for_entity", 10, default="shot"),
    Bool("is_for_all"),
    Uid("created_by"),
)

build_job = table(
    "build_job",
    Str("status", 20, default="running"),
    Str("job_type", 20, default="movie"),
    Ts("ended_at"),
    Uid("playlist_id", index=True),
)

playlist_share_link = table(
    "playlist_share_link",
    Str("token", 64, nullable=False, unique=True),
    Uid("playlist_id", index=True),
    Uid("created_by"),
    Ts("expiration_date"),
    Bool("is_active", True),
    Bool("can_comment", True),
    Str("password", 255),
)

working_file = table(
    "working_file",
    Str("shotgun_id", 20),
    Str("name", 250),
    Text("description"),
    Str("comment", 250),
    Int("revision"),
    Int("size"),
    Int("checksum"),
    Str("path", 400),
    Json("data"),
    Str("validation_status", 20, default="neutral"),
    Uid("task_id", index=True),
    Uid("entity_id"),
    Uid("person_id"),
    Uid("software_id"),
)

output_file = table(
    "output_file",
    Str("shotgun_id", 20),
    Str("name", 250),
    Bool("canceled"),
    Int("size"),
    Int("checksum"),
    Text("description"),
    Str("comment", 250),
    Str("extension", 10),
    Int("revision"),
    Str("representation", 20),
    Int("nb_elements", 1),
    Str("source", 40),
    Str("path", 400),
    Json("data"),
    Str("quality", 20),
    Uid("file_status_id"),
    Uid("entity_id"),
    Uid("asset_instance_id"),
    Uid("output_type_id"),
    Uid("task_type_id"),
    Uid("person_id"),
    Uid("source_file_id"),
    Uid("temporal_entity_id"),
)

search_filter = table(
    "search_filter",
    Str("list_type", 80),
    Str("entity_type", 80),
    Str("name", 200, default=""),
    Str("search_query", 500, default=""),
    Bool("is_shared"),
    Uid("person_id", index=True),
    Uid("project_id"),
    Uid("department_id"),
    Uid("search_filter_group_id"),
)
search_filter_group = table(
    "search_filter_group",
    Str("list_type", 80),
    Str("entity_type", 80),
    Str("name", 200, default=""),
    Str("color", 8, default=""),
    Bool("is_shared"),
    Uid("person_id", index=True),
    Uid("project_id"),
    Uid("department_id"),
)

# ----------------------------------------------------------------------------- events

api_event = table(
    "api_event",
    Str("name", 80, nullable=False, index=True),
    Uid("user_id"),
    Uid("project_id"),
    Json("data"),
    sa.Column("seq", sa.BigInteger(), nullable=True, index=True),
    sa.Index("ix_api_event_project_created", "project_id", "created_at"),
)

# ----------------------------------------------------------------------------- webhooks (foxtrack)

webhook = table(
    "webhook",
    Str("name", 120, default=""),
    Str("url", 1000, nullable=False),
    Str("secret", 200),
    Json("events"),
    Uid("project_id"),
    Bool("active", True),
    Uid("created_by"),
)

webhook_delivery = table(
    "webhook_delivery",
    Uid("webhook_id", nullable=False, index=True),
    Uid("event_id"),
    Str("event_name", 80),
    Json("payload"),
    Str("status", 20, default="pending"),
    Int("attempts", 0),
    Int("response_status"),
    Text("error"),
    Ts("next_attempt_at"),
    Ts("delivered_at"),
)

# ----------------------------------------------------------------------------- planning (templates, budgets)

project_template = table(
    "project_template",
    Str("name", 80, nullable=False, unique=True),
    Text("description"),
    Str("fps", 10, default="25"),
    Str("ratio", 10, default="16:9"),
    Str("resolution", 12, default="1920x1080"),
    Str("production_type", 20, default="short"),
    Str("production_style", 20, default="2d3d"),
    Int("max_retakes", 0),
    Bool("is_clients_isolated"),
    Bool("is_client_stats_visible", True),
    Bool("is_client_task_list_visible", True),
    Bool("is_client_task_panel_visible", True),
    Bool("is_preview_download_allowed"),
    Bool("is_set_preview_automated"),
    Bool("is_publish_default_for_artists"),
    Bool("is_single_preview_per_revision"),
    Bool("is_frame_in_numbering"),
    Int("revision_padding", 0),
    Str("homepage", 80, default="assets"),
    Int("hd_bitrate_compression"),
    Int("ld_bitrate_compression"),
    Json("file_tree"),
    Json("data"),
    Json("metadata_descriptors"),
    Uid("default_preview_background_file_id"),
)
project_template_task_type_link = table(
    "project_template_task_type_link",
    Ref("project_template_id", "project_template", nullable=False),
    Ref("task_type_id", "task_type", nullable=False),
    Int("priority"),
    Int("hd_bitrate_compression"),
    Int("ld_bitrate_compression"),
    Bool("is_client_visible", True),
    sa.UniqueConstraint("project_template_id", "task_type_id"),
)
project_template_task_status_link = table(
    "project_template_task_status_link",
    Ref("project_template_id", "project_template", nullable=False),
    Ref("task_status_id", "task_status", nullable=False),
    Int("priority"),
    Json("roles_for_board"),
    Bool("is_client_allowed", None),
    sa.UniqueConstraint("project_template_id", "task_status_id"),
)
project_template_asset_type_link = link(
    "project_template_asset_type_link", ("project_template_id", "project_template"), ("asset_type_id", "entity_type")
)
project_template_status_automation_link = link(
    "project_template_status_automation_link",
    ("project_template_id", "project_template"),
    ("status_automation_id", "status_automation"),
)
project_template_preview_background_file_link = link(
    "project_template_preview_background_file_link",
    ("project_template_id", "project_template"),
    ("preview_background_file_id", "preview_background_file"),
)

salary_scale = table(
    "salary_scale",
    Ref("department_id", "department"),
    Str("position", 30, default="artist"),
    Str("seniority", 30, default="mid"),
    Int("salary", 0),
)
budget = table(
    "budget",
    Ref("project_id", "project", nullable=False),
    Int("revision", 1),
    Str("name", 255, nullable=False),
    Str("currency", 3, default="USD"),
)
budget_entry = table(
    "budget_entry",
    Ref("budget_id", "budget", nullable=False),
    Uid("department_id"),
    Uid("person_id"),
    Str("start_date", 10),
    Int("months_duration"),
    Float("daily_salary"),
    Str("position", 30),
    Str("seniority", 30),
    Json("exceptions"),
)

# shots (and scenes) an asset instance appears in
asset_instance_link = link("asset_instance_link", ("entity_id", "entity"), ("asset_instance_id", "asset_instance"))

# ----------------------------------------------------------------------------- chats, desktop logins

# one chat per entity (object_type "entity"); last_message is the time of the newest message
chat = table("chat", Uid("object_id", nullable=False, index=True), Str("object_type", 80, default="entity"),
             Ts("last_message"))
chat_participant = link("chat_participant", ("chat_id", "chat"), ("person_id", "person"))
chat_message = table("chat_message", Ref("chat_id", "chat", nullable=False), Ref("person_id", "person"),
                     Text("text"))
desktop_login_log = table("desktop_login_log", Ref("person_id", "person", nullable=False), Ts("date", index=True))

# ----------------------------------------------------------------------------- concept folders

# the folders a production's concepts are sorted in; a concept names its folder through its parent_id
concept_folder = table(
    "concept_folder",
    Str("name", 80, nullable=False),
    Ref("project_id", "project", nullable=False),
    Uid("created_by"),
    sa.UniqueConstraint("project_id", "name", name="concept_folder_uc"),
)

# ----------------------------------------------------------------------------- plugins, import errors

# what Zou's plugin manager records of an installed plugin (foxtrack installs none; the CRUD serves them)
plugin = table(
    "plugin",
    Str("plugin_id", 80, nullable=False, unique=True, index=True),
    Str("name", 80, nullable=False, index=True),
    Text("description"),
    Str("version", 50, nullable=False),
    Str("maintainer_name", 200, nullable=False),
    Str("maintainer_email", 255),
    Str("website", 255),
    Str("license", 80, nullable=False),
    Str("revision", 12),
    Bool("frontend_project_enabled"),
    Bool("frontend_studio_enabled"),
    Str("icon", 255),
)
# entries an import could not take (ShotGrid sync scripts post them to /import/shotgun/errors)
data_import_error = table("data_import_error", Json("event_data"), Str("source", 20))

# ----------------------------------------------------------------------------- background work (foxtrack.jobs)

# the queue of transcodes, playlist builds and webhook deliveries; the records the API shows stay in
# preview_file, build_job and webhook_delivery
job = table(
    "job",
    Str("kind", 40, nullable=False),
    Str("target_id", 64, index=True),
    Str("state", 12, nullable=False, default="queued"),
    Int("attempts", 0, nullable=False),
    Int("max_attempts", 3, nullable=False),
    Ts("run_after", nullable=False),
    Ts("lease_until"),
    Str("worker", 120),
    Text("last_error"),
    Json("payload"),
    sa.Index("ix_job_state_kind_run_after", "state", "kind", "run_after"),
)

# ----------------------------------------------------------------------------- schedules, studio budget links

# a saved copy of a production's schedule (Zou's production_schedule_version and its task links)
production_schedule_version = table(
    "production_schedule_version",
    Str("name", 80, nullable=False),
    Ref("project_id", "project", nullable=False),
    Uid("production_schedule_from", index=True),
    Bool("locked"),
    Bool("canceled"),
    sa.UniqueConstraint("name", "project_id", name="production_schedule_version_uc"),
)
production_schedule_version_task_link = table(
    "production_schedule_version_task_link",
    Ref("production_schedule_version_id", "production_schedule_version", nullable=False),
    Ref("task_id", "task", nullable=False),
    Ts("start_date"),
    Ts("due_date"),
    Float("estimation", 0.0),
    sa.UniqueConstraint("production_schedule_version_id", "task_id", name="production_schedule_version_task_link_uc"),
)
production_schedule_version_task_link_person_link = link(
    "production_schedule_version_task_link_person_link",
    ("production_schedule_version_task_link_id", "production_schedule_version_task_link"),
    ("person_id", "person"),
)
# which hardware and software each department uses, for budget forecasts
hardware_item_department_link = table(
    "hardware_item_department_link",
    Ref("department_id", "department", nullable=False),
    Ref("hardware_item_id", "hardware_item", nullable=False),
    sa.UniqueConstraint("hardware_item_id", "department_id", name="hardware_item_department_link_uc"),
)
software_department_link = table(
    "software_department_link",
    Ref("department_id", "department", nullable=False),
    Ref("software_id", "software", nullable=False),
    sa.UniqueConstraint("department_id", "software_id", name="software_department_link_uc"),
)
