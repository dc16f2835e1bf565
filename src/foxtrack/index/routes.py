"""``GET /`` (API version), ``/status``, ``/status.txt``, ``/config``."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Request
from starlette.responses import PlainTextResponse, Response

from foxtrack import ZOU_COMPAT_VERSION
from foxtrack.core.context import app_state
from foxtrack.core.jsonutil import ok

router = APIRouter(tags=["index"])


@router.api_route("/", methods=["GET", "HEAD"])
def index() -> Response:
    """API name and version, as Zou answers them (gazu's get_api_version reads ``version``)."""
    return ok({"api": "Zou", "version": ZOU_COMPAT_VERSION})


def _database_up(request: Request) -> bool:
    try:
        with app_state(request).read() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001
        return False


@router.get("/status")
def status(request: Request) -> Response:
    """Health of the pieces; foxtrack embeds them, so they are up when the process is."""
    up = _database_up(request)
    return ok({"name": "Zou", "version": ZOU_COMPAT_VERSION, "database-up": up, "key-value-store-up": True,
               "event-stream-up": True, "job-queue-up": True, "indexer-up": True})


@router.get("/status.txt")
def status_txt(request: Request) -> Response:
    up = "up" if _database_up(request) else "down"
    return PlainTextResponse(f"name: Zou\nversion: {ZOU_COMPAT_VERSION}\ndatabase: {up}\n")


@router.get("/health")
def health() -> Response:
    """A cheap liveness probe."""
    return ok({"ok": True})


@router.get("/config")
def config(request: Request) -> Response:
    """Public configuration read by Kitsu's login page."""
    settings = app_state(request).settings
    return ok({"is_self_hosted": True, "crisp_token": "", "dark_theme_by_default": False,
               "indexer_configured": True, "saml_enabled": settings.saml_enabled,
               "saml_idp_name": settings.saml_idp_name if settings.saml_enabled else "",
               "oidc_enabled": settings.oidc_enabled,
               "oidc_idp_name": settings.oidc_idp_name if settings.oidc_enabled else "",
               "default_locale": "en_US", "default_timezone": "Europe/Paris",
               "enforce_2fa": settings.enforce_2fa, "movie_highdef_bitrate": 28, "movie_lowdef_bitrate": 6,
               # a production's preview account logs in with a password (projects.preview_account)
               "preview_accounts_enabled": settings.auth_strategy == "auth_local_classic"})
