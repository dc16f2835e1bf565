"""Routes of the comments feature (HTTP only: parse, authorise, call the service, shape the answer)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from foxtrack.comments import batch, client_comments, service
from foxtrack.comments.service import CommentInput
from foxtrack.core.context import Ctx
from foxtrack.core.errors import BadRequest
from foxtrack.core.filters import parse_bool
from foxtrack.core.http import JsonAny, JsonBody, json_any, json_body
from foxtrack.core.jsonutil import created, no_content, ok
from foxtrack.storage import storage_of
from foxtrack.storage.serve import serve
from foxtrack.storage.uploads import ordered_files, received_form

router = APIRouter(tags=["comments"])


def _is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("multipart/form-data")


@router.post("/actions/tasks/{task_id}/comment")
async def add_comment(task_id: str, request: Request, ctx: Ctx) -> Response:
    """Comment a task (JSON, or multipart with attachment files); may change the task status."""
    if _is_multipart(request):
        async with received_form(request, ctx.state) as form:
            f = form.fields
            data = CommentInput(
                task_status_id=f.get("task_status_id"), text=f.get("comment", ""), checklist=f.get("checklist"),
                links=f.get("links"), person_id=f.get("person_id"), created_at=f.get("created_at"),
                for_client=parse_bool(f["for_client"]) if f.get("for_client") else False,
                files=ordered_files(form),
            )
            return created(await run_in_threadpool(service.add_comment, ctx, task_id, data))
    body = await json_body(request)
    data = CommentInput(
        task_status_id=body.get("task_status_id"), text=body.get("comment") or body.get("text") or "",
        checklist=body.get("checklist"), links=body.get("links"), person_id=body.get("person_id"),
        created_at=body.get("created_at"), for_client=bool(body.get("for_client")),
    )
    return created(await run_in_threadpool(service.add_comment, ctx, task_id, data))


async def _batch(request: Request, ctx: Ctx, task_id: str | None = None, project_id: str | None = None,
                 array_body: bool = False) -> Response:
    """A batch of comments as gazu sends it (multipart: a ``comments`` JSON part and
    ``attachment_file-i-j`` / ``preview_file-i-j`` files) or as JSON (``{"comments": [...]}``, or a bare
    array for ``comment-many``)."""
    if _is_multipart(request):
        async with received_form(request, ctx.state) as form:
            raw = form.fields.get("comments")
            files = dict(form.files)
            if raw is None and "comments" in files:  # sent as a file part
                raw = files.pop("comments").path.read_text(errors="replace")
            comments = batch.parse_comments(raw)
            return created(await batch.batch_comments(ctx, comments, files, task_id, project_id))
    body = await json_any(request)
    if isinstance(body, dict) and not (array_body and "comments" not in body):
        raw_comments = body.get("comments")
    elif isinstance(body, list):
        raw_comments = body
    else:
        raise BadRequest("Request body must be a JSON array." if array_body
                         else "Missing required parameter: comments")
    return created(await batch.batch_comments(ctx, batch.parse_comments(raw_comments), {}, task_id, project_id))


@router.post("/actions/tasks/batch-comment")
async def batch_comment(request: Request, ctx: Ctx) -> Response:
    """Comment several tasks at once (each comment names its ``task_id``); one transaction."""
    return await _batch(request, ctx)


@router.post("/actions/tasks/{task_id}/batch-comment")
async def task_batch_comment(task_id: str, request: Request, ctx: Ctx) -> Response:
    """Post several comments on a task at once, with their attachments and previews; one transaction."""
    return await _batch(request, ctx, task_id=task_id)


@router.post("/actions/projects/{project_id}/tasks/comment-many")
async def comment_many(project_id: str, request: Request, ctx: Ctx) -> Response:
    """Comment many tasks of a project (a JSON array of comments with ``object_id``); one transaction."""
    return await _batch(request, ctx, project_id=project_id, array_body=True)


@router.post("/actions/projects/{project_id}/tasks/copy-client-comments")
def copy_client_comments(project_id: str, payload: JsonAny, ctx: Ctx) -> Response:
    """Copy the last client comment of each given task (``task_ids``, optional ``prefix``) into a new
    comment of the caller, status unchanged; 201 with the new comments."""
    return created(client_comments.copy_last_client_comments(ctx, project_id, payload))


@router.post("/actions/tasks/{task_id}/comments/{comment_id}/move")
def move_comment(payload: JsonBody, task_id: str, comment_id: str, request: Request, ctx: Ctx) -> Response:
    """Move a comment to another task of the same entity (``target_task_id``); answers the comment."""
    return ok(batch.move_comment(ctx, task_id, comment_id, payload))


@router.get("/data/tasks/{task_id}/comments")
def task_comments(task_id: str, ctx: Ctx) -> Response:
    """Comments of a task, newest first."""
    return ok(service.task_comments(ctx, task_id))


@router.get("/data/tasks/{task_id}/comments/{comment_id}")
def task_comment(task_id: str, comment_id: str, ctx: Ctx) -> Response:
    """One comment of a task."""
    return ok(service.task_comment(ctx, task_id, comment_id))


@router.delete("/data/tasks/{task_id}/comments/{comment_id}")
def delete_task_comment(task_id: str, comment_id: str, ctx: Ctx) -> Response:
    """Delete a comment (author or manager); the task status follows the remaining comments."""
    service.delete_task_comment(ctx, task_id, comment_id)
    return no_content()


@router.post("/data/tasks/{task_id}/comments/{comment_id}/reply")
def reply(payload: JsonBody, task_id: str, comment_id: str, request: Request, ctx: Ctx) -> Response:
    """Reply to a comment; answers the reply."""
    return ok(service.reply(ctx, task_id, comment_id, payload))


@router.delete("/data/tasks/{task_id}/comments/{comment_id}/reply/{reply_id}")
def delete_reply(task_id: str, comment_id: str, reply_id: str, ctx: Ctx) -> Response:
    """Delete a reply; answers the comment."""
    return ok(service.delete_reply(ctx, task_id, comment_id, reply_id))


@router.post("/data/tasks/{task_id}/comments/{comment_id}/ack")
def acknowledge(task_id: str, comment_id: str, ctx: Ctx) -> Response:
    """Acknowledge a comment (a second call removes the acknowledgement)."""
    return ok(service.acknowledge(ctx, task_id, comment_id))


@router.post("/actions/tasks/{task_id}/comments/{comment_id}/add-attachment")
async def add_attachment(task_id: str, comment_id: str, request: Request, ctx: Ctx) -> Response:
    """Attach files to an existing comment; answers the new attachment files."""
    async with received_form(request, ctx.state) as form:
        return created(await run_in_threadpool(service.add_attachments, ctx, task_id, comment_id, ordered_files(form)))


@router.delete("/data/tasks/{task_id}/comments/{comment_id}/attachments/{attachment_id}")
def delete_attachment(task_id: str, comment_id: str, attachment_id: str, ctx: Ctx) -> Response:
    """Remove an attachment file from a comment."""
    service.delete_attachment(ctx, task_id, comment_id, attachment_id)
    return no_content()


@router.get("/data/attachment-files/{attachment_id}/file/{file_name}")
async def download_attachment(attachment_id: str, file_name: str, request: Request, ctx: Ctx) -> Response:
    """Download an attachment file."""
    attachment = await run_in_threadpool(service.attachment_for_download, ctx, attachment_id)
    return await serve(request, storage_of(ctx.state), "files", "attachments", attachment_id,
                       attachment.get("mimetype") or "application/octet-stream", attachment.get("name") or file_name)


@router.get("/data/tasks/{task_id}/attachment-files")
def task_attachment_files(task_id: str, ctx: Ctx) -> Response:
    """Attachment files of the comments of a task."""
    return ok(service.attachment_files(ctx, task_id=task_id))


@router.get("/data/projects/{project_id}/attachment-files")
def project_attachment_files(project_id: str, ctx: Ctx) -> Response:
    """Attachment files of the comments of every task of a project."""
    return ok(service.attachment_files(ctx, project_id=project_id))
