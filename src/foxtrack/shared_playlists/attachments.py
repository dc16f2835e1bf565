"""Files in the guest review API: a guest's comment attachments (add, remove), the attachments of
the comments guests may read, and the avatars of the people on the review page."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from starlette.responses import Response

from foxtrack.comments import service as comments
from foxtrack.core.context import AppState, app_state
from foxtrack.core.errors import NotFound
from foxtrack.core.http import json_body
from foxtrack.core.jsonutil import JSON, created, is_uuid, no_content
from foxtrack.core.models import COMMENT, MODELS, PERSON
from foxtrack.db import schema as s
from foxtrack.shared_playlists.service import (
    COMMENT_NOT_FOUND,
    COMMENTS_DISABLED,
    Refused,
    Share,
    _guest,
    _own_comment,
    _task_ids,
    open_link,
)
from foxtrack.storage import storage_of
from foxtrack.storage.serve import serve
from foxtrack.storage.uploads import Upload, ordered_files, received_form

Row = dict[str, Any]
BASE = "/shared/playlists/{token}"
ATTACHMENT = MODELS["attachment-files"]

router = APIRouter(tags=["shared"])


def add_attachments(state: AppState, share: Share, comment_id: str, guest_id: str | None,
                    files: list[Upload]) -> Row:
    """Attach files to a guest's own comment; answers the comment with its attachments."""
    if not share.link["can_comment"]:
        raise Refused(COMMENTS_DISABLED)
    ctx = _guest(state, share, {"guest_id": guest_id})
    comment = _own_comment(state, share, comment_id, ctx.person_id)
    comments.add_attachments(ctx, comment["object_id"], comment_id, files)
    with state.read() as conn:
        row = COMMENT.get(conn, comment_id) or {}
        return comments.decorate(conn, [row])[0]


def remove_attachment(state: AppState, share: Share, comment_id: str, attachment_id: str,
                      guest_id: str | None) -> None:
    if not share.link["can_comment"]:
        raise Refused(COMMENTS_DISABLED)
    ctx = _guest(state, share, {"guest_id": guest_id})
    comment = _own_comment(state, share, comment_id, ctx.person_id)
    with state.read() as conn:
        attachment = ATTACHMENT.get(conn, attachment_id) if is_uuid(attachment_id) else None
    if attachment is None or attachment.get("comment_id") != comment_id:
        raise Refused(COMMENT_NOT_FOUND, 404)
    comments.delete_attachment(ctx, comment["object_id"], comment_id, attachment_id)


def readable_attachment(state: AppState, share: Share, attachment_id: str) -> Row:
    """An attachment of a comment on one of the playlist's tasks that guests may read: a comment
    for the client, or a guest's."""
    missing = Refused("Attachment not found", 404)
    with state.read() as conn:
        attachment = ATTACHMENT.get(conn, attachment_id) if is_uuid(attachment_id) else None
        comment = COMMENT.get(conn, attachment["comment_id"]) if attachment and attachment.get("comment_id") else None
        if attachment is None or comment is None or comment.get("object_id") not in _task_ids(conn, share):
            raise missing
        author = PERSON.get(conn, comment["person_id"]) if comment.get("person_id") else None
        if not (comment.get("for_client") or (author and author.get("is_guest"))):
            raise missing
    return attachment


def visible_person(state: AppState, share: Share, person_id: str) -> None:
    """The people a review page shows: the production's team, the link's guests and the authors of
    comments on the playlist's tasks."""
    if not is_uuid(person_id):
        raise NotFound()
    link, c = s.project_person_link.c, s.comment.c
    with state.read() as conn:
        person = PERSON.get(conn, person_id)
        if person is None:
            raise NotFound()
        data = person.get("data")
        if person.get("is_guest") and isinstance(data, dict) and data.get("share_link_id") == share.link["id"]:
            return
        on_team = conn.execute(sa.select(link.person_id).where(
            link.project_id == share.playlist.get("project_id"), link.person_id == person_id)).first()
        task_ids = _task_ids(conn, share)
        author = task_ids and conn.execute(sa.select(c.id).where(
            c.object_id.in_(task_ids), c.person_id == person_id).limit(1)).first()
    if not on_team and not author:
        raise NotFound()


async def _share(request: Request, token: str) -> tuple[AppState, Share]:
    state = app_state(request)
    return state, await asyncio.to_thread(open_link, state, token, request.query_params.get("password"))


def _refused(exc: Refused) -> Response:
    return JSON({"error": exc.message}, status_code=exc.status)


@router.post(BASE + "/comments/{comment_id}/attachments")
async def post_attachments(token: str, comment_id: str, request: Request) -> Response:
    """Attach files to a guest's own comment (``guest_id`` in the form or the query string)."""
    state, share = await _share(request, token)
    async with received_form(request, state) as form:
        guest_id = form.fields.get("guest_id") or request.query_params.get("guest_id")
        try:
            comment = await asyncio.to_thread(add_attachments, state, share, comment_id, guest_id,
                                              ordered_files(form))
        except Refused as exc:
            return _refused(exc)
    return created(comment)


@router.delete(BASE + "/comments/{comment_id}/attachments/{attachment_id}")
async def delete_attachment(token: str, comment_id: str, attachment_id: str, request: Request) -> Response:
    """Remove an attachment of a guest's own comment (``{"guest_id"}``)."""
    state, share = await _share(request, token)
    body = await json_body(request)
    guest_id = body.get("guest_id") or request.query_params.get("guest_id")
    try:
        await asyncio.to_thread(remove_attachment, state, share, comment_id, attachment_id,
                                guest_id if isinstance(guest_id, str) else None)
    except Refused as exc:
        return _refused(exc)
    return no_content()


@router.get(BASE + "/attachment-files/{attachment_id}/file/{file_name}")
async def attachment_file(token: str, attachment_id: str, file_name: str, request: Request) -> Response:
    """Download an attachment of a comment guests may read."""
    state, share = await _share(request, token)
    try:
        attachment = await asyncio.to_thread(readable_attachment, state, share, attachment_id)
    except Refused as exc:
        return _refused(exc)
    return await serve(request, storage_of(state), "files", "attachments", attachment_id,
                       attachment.get("mimetype") or "application/octet-stream", attachment.get("name") or file_name)


@router.get(BASE + "/pictures/thumbnails/persons/{file_name}")
async def person_thumbnail(token: str, file_name: str, request: Request) -> Response:
    """The avatar of someone the review page shows (``<person id>.png``)."""
    state, share = await _share(request, token)
    person_id = file_name.removesuffix(".png")
    await asyncio.to_thread(visible_person, state, share, person_id)
    return await serve(request, storage_of(state), "pictures", "thumbnails", person_id, "image/png")
