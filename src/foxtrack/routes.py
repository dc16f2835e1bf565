"""Every feature router, in matching order: specific routes first, the generic CRUD last."""

from __future__ import annotations

import importlib

from fastapi import APIRouter

# Feature packages; each exposes ``router``. The generic CRUD (``/data/<model>``) must come last
# because its paths would otherwise shadow the typed routes.
FEATURES = [
    "foxtrack.index.routes",
    "foxtrack.index.status",
    "foxtrack.index.docs",
    "foxtrack.auth.routes",
    "foxtrack.user.routes",
    "foxtrack.persons.routes",
    "foxtrack.projects.routes",
    "foxtrack.entities.routes",
    "foxtrack.casting.routes",
    "foxtrack.tasks.routes",
    "foxtrack.comments.routes",
    "foxtrack.previews.routes",
    "foxtrack.playlists.routes",
    "foxtrack.search.routes",
    "foxtrack.events_api.routes",
    "foxtrack.webhooks.routes",
    "foxtrack.files.routes",
    "foxtrack.csvio.routes",
    "foxtrack.planning.routes",
    "foxtrack.sync.routes",
    "foxtrack.shotgun.routes",
    "foxtrack.projects.bulk_routes",
    "foxtrack.tasks.bulk_routes",
    "foxtrack.user.subscription_routes",
    "foxtrack.persons.desktop_routes",
    "foxtrack.planning.reorder_routes",
    "foxtrack.files.lookup",
    "foxtrack.csvio.studio_routes",
    "foxtrack.casting.bulk",
    "foxtrack.concepts.routes",
    "foxtrack.user.to_check",
    "foxtrack.auth.change_password",
    "foxtrack.auth.app_login",
    "foxtrack.auth.sso_routes",
    "foxtrack.previews.backgrounds",
    "foxtrack.previews.annotated",
    "foxtrack.shared_playlists.attachments",
    "foxtrack.shared_playlists.routes",
    "foxtrack.timesheets.routes",
    "foxtrack.schedules.routes",
    "foxtrack.departments.routes",
    "foxtrack.projects.link_routes",
    "foxtrack.entities.sharing_routes",
    "foxtrack.planning.quota_shot_routes",
    "foxtrack.crud.routes",
]


def routers() -> list[APIRouter]:
    out = []
    for name in FEATURES:
        module = importlib.import_module(name)
        out.append(module.router)
    return out
