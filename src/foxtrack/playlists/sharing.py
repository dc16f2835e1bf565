"""Share links of a playlist: a token (with an optional expiration date and password) that lets a
guest review it. Removing a link deactivates it."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.core.errors import BadRequest, NotFound, validation_error
from foxtrack.core.filters import parse_bool
from foxtrack.core.jsonutil import is_uuid, normalize_datetime
from foxtrack.core.models import MODELS, Model
from foxtrack.crud import service as crud
from foxtrack.db import schema as s
from foxtrack.tasks import queries as tq

Row = dict[str, Any]
PLAYLIST = MODELS["playlists"]
SHARE_LINK = Model("playlist-share-links", s.playlist_share_link, "PlaylistShareLink",
                   hidden=frozenset({"password"}))


def _shape(conn: sa.Connection, links: list[Row]) -> list[Row]:
    ids = [link["id"] for link in links]
    t = s.playlist_share_link
    protected = {r[0] for r in conn.execute(sa.select(t.c.id).where(t.c.id.in_(ids), t.c.password.is_not(None)))}
    for link in links:
        link["has_password"] = link["id"] in protected
    return links


def _playlist(ctx: RequestContext, conn: sa.Connection, playlist_id: str) -> Row:
    if not is_uuid(playlist_id):
        raise NotFound()
    playlist = PLAYLIST.get(conn, playlist_id)
    if playlist is None:
        raise NotFound()
    perm.check_supervisor_project_access(ctx, conn, playlist.get("project_id"))
    return playlist


def share_links(ctx: RequestContext, playlist_id: str) -> list[Row]:
    """The active share links of a playlist, oldest first."""
    t = s.playlist_share_link
    with ctx.read() as conn:
        _playlist(ctx, conn, playlist_id)
        links = SHARE_LINK.to_dicts(conn.execute(SHARE_LINK.select().where(t.c.playlist_id == playlist_id,
                                                                           t.c.is_active.is_(True))
                                                 .order_by(t.c.created_at, t.c.id)))
        return _shape(conn, links)


def parse_share_body(body: Row) -> Row:
    """``{expiration_date?, password?, can_comment?}`` checked; the password is still clear text."""
    values: Row = {"can_comment": True, "expiration_date": None, "password": None}
    if body.get("can_comment") is not None:
        raw = body["can_comment"]
        try:
            values["can_comment"] = raw if isinstance(raw, bool) else parse_bool(str(raw))
        except BadRequest as exc:
            raise validation_error({"can_comment": "Input should be a valid boolean, unable to interpret input"},
                                   "Validation error.") from exc
    expiration = body.get("expiration_date")
    if expiration not in (None, ""):
        text = str(expiration)
        try:
            stamp = normalize_datetime(text)
        except ValueError as exc:
            raise BadRequest(f"{text} is not a valid ISO 8601 date") from exc
        if stamp is None:
            raise BadRequest(f"{text} is not a valid ISO 8601 date")
        if len(text.strip()) == 10:  # a day: valid until its end
            stamp = stamp[:10] + "T23:59:59"
        values["expiration_date"] = stamp
    password = body.get("password")
    if password not in (None, ""):
        if not isinstance(password, str):
            raise validation_error({"password": "Input should be a valid string"}, "Validation error.")
        values["password"] = password
    return values


def new_share_link(ctx: RequestContext, playlist_id: str, values: Row) -> Row:
    """A new link; ``values["password"]`` is already hashed (or None)."""
    with ctx.write() as tx:
        playlist = _playlist(ctx, tx.conn, playlist_id)
        row = {"token": str(uuid.uuid4()), "playlist_id": playlist_id, "created_by": ctx.person_id,
               "is_active": True, **values}
        link = crud.insert(tx, SHARE_LINK, row)
        tx.emit("playlist:share-link-new", {"playlist_id": playlist_id, "share_link_id": link["id"]},
                project_id=playlist.get("project_id"))
        return _shape(tx.conn, [link])[0]


def remove_share_link(ctx: RequestContext, playlist_id: str, token: str) -> Row:
    """Deactivate a link; answers it."""
    t = s.playlist_share_link
    with ctx.write() as tx:
        playlist = _playlist(ctx, tx.conn, playlist_id)
        found = tx.execute(sa.select(t.c.id).where(t.c.playlist_id == playlist_id, t.c.token == token,
                                                   t.c.is_active.is_(True))).scalar()
        if found is None:
            raise NotFound()
        crud.update_row(tx, SHARE_LINK, found, {"is_active": False})
        tx.emit("playlist:share-link-delete", {"playlist_id": playlist_id, "share_link_id": found},
                project_id=playlist.get("project_id"))
        return _shape(tx.conn, [tq.load(tx.conn, SHARE_LINK, found)])[0]
