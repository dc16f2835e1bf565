"""``/data/webhooks`` (admin): register, list, change, remove webhooks; read their deliveries."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from foxtrack.core import permissions as perm
from foxtrack.core.context import Ctx
from foxtrack.core.errors import BadRequest, NotFound, require_fields, validation_error
from foxtrack.core.http import JsonBody, query_int
from foxtrack.core.jsonutil import created, is_uuid, new_id, no_content, now, ok
from foxtrack.core.models import Model, check_values
from foxtrack.db import schema as s
from foxtrack.webhooks.delivery import forget_hooks

router = APIRouter(tags=["webhooks"])
WEBHOOK = Model("webhooks", s.webhook, "Webhook")
DELIVERY = Model("webhook-deliveries", s.webhook_delivery, "WebhookDelivery")
WRITABLE = ("name", "url", "secret", "events", "project_id", "active")


def _clean(body: dict[str, Any]) -> dict[str, Any]:
    values = {k: body[k] for k in WRITABLE if k in body}
    url = values.get("url")
    if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
        raise BadRequest("url must be an http(s) URL.")
    events = values.get("events")
    if events is not None and (not isinstance(events, list) or not all(isinstance(e, str) for e in events)):
        raise BadRequest("events must be a list of event names or patterns (e.g. 'task:*').")
    if values.get("project_id") is not None and not is_uuid(values["project_id"]):
        raise BadRequest("Malformed ID for project_id.")
    if "active" in values and not isinstance(values["active"], bool):
        raise BadRequest("active must be a boolean.")
    for key in ("name", "secret"):
        if values.get(key) is not None and not isinstance(values[key], str):
            raise validation_error({key: "Input should be a valid string"}, "Validation error.")
    check_values(s.webhook, values)
    return values


def _public(hook: dict[str, Any]) -> dict[str, Any]:
    hook = dict(hook)
    hook["has_secret"] = bool(hook.pop("secret", None))
    return hook


@router.get("/data/webhooks")
def list_webhooks(ctx: Ctx) -> Response:
    """All webhooks (admin)."""
    perm.require_admin(ctx)
    with ctx.read() as conn:
        return ok([_public(h) for h in WEBHOOK.to_dicts(conn.execute(WEBHOOK.select()))])


@router.post("/data/webhooks")
def create_webhook(payload: JsonBody, request: Request, ctx: Ctx) -> Response:
    """Register a webhook: ``{url, secret, events: ["task:*", ...], project_id?, name?}``."""
    perm.require_admin(ctx)
    body = payload
    require_fields(body, "url")
    values = _clean(body)
    stamp = now()
    row = {"id": new_id(), "created_at": stamp, "updated_at": stamp, "name": "", "secret": None, "events": [],
           "project_id": None, "active": True, "created_by": ctx.person_id, **values}
    with ctx.write() as tx:
        tx.insert(s.webhook, dict(**row))
        tx.after_commit(lambda: forget_hooks(ctx.state))
        hook = WEBHOOK.get(tx.conn, row["id"])
    return created(_public(hook or {}))


def _load(conn: Any, hook_id: str) -> dict[str, Any]:
    if not is_uuid(hook_id):
        raise NotFound()
    hook = WEBHOOK.get(conn, hook_id)
    if hook is None:
        raise NotFound()
    return hook


@router.get("/data/webhooks/{hook_id}")
def get_webhook(hook_id: str, ctx: Ctx) -> Response:
    """One webhook (admin)."""
    perm.require_admin(ctx)
    with ctx.read() as conn:
        return ok(_public(_load(conn, hook_id)))


@router.put("/data/webhooks/{hook_id}")
def update_webhook(payload: JsonBody, hook_id: str, request: Request, ctx: Ctx) -> Response:
    """Change a webhook's url, secret, filters or active flag (admin)."""
    perm.require_admin(ctx)
    values = _clean(payload)
    with ctx.write() as tx:
        _load(tx.conn, hook_id)
        if values:
            tx.update(s.webhook, {**values, "updated_at": now()}, s.webhook.c.id == hook_id)
            tx.after_commit(lambda: forget_hooks(ctx.state))
        return ok(_public(_load(tx.conn, hook_id)))


@router.delete("/data/webhooks/{hook_id}")
def delete_webhook(hook_id: str, ctx: Ctx) -> Response:
    """Remove a webhook and its delivery log (admin)."""
    perm.require_admin(ctx)
    with ctx.write() as tx:
        _load(tx.conn, hook_id)
        tx.delete(s.webhook_delivery, s.webhook_delivery.c.webhook_id == hook_id)
        tx.delete(s.webhook, s.webhook.c.id == hook_id)
        tx.after_commit(lambda: forget_hooks(ctx.state))
    return no_content()


@router.get("/data/webhooks/{hook_id}/deliveries")
def deliveries(hook_id: str, request: Request, ctx: Ctx) -> Response:
    """Delivery log of a webhook, newest first (``?status=failed`` filters)."""
    perm.require_admin(ctx)
    d = s.webhook_delivery
    with ctx.read() as conn:
        _load(conn, hook_id)
        stmt = DELIVERY.select().where(d.c.webhook_id == hook_id)
        status = request.query_params.get("status")
        if status:
            stmt = stmt.where(d.c.status == status)
        limit = min(query_int(request.query_params, "limit", 0, minimum=0) or 100, 1000)
        rows = conn.execute(stmt.order_by(d.c.created_at.desc()).limit(limit))
        return ok(DELIVERY.to_dicts(rows))
