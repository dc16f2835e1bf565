"""The features of the app, in one table: each one's router and, where it has some, its rules for
the generic CRUD. ``create_app`` builds both from it, so the app is the same whatever module a script
imported first: nothing registers itself as a side effect of being imported."""

from __future__ import annotations

import importlib
from typing import NamedTuple

from fastapi import APIRouter

from foxtrack.crud.policy import Policies, base_policies


class Feature(NamedTuple):
    routes: str  # a module exposing ``router``
    crud: str | None = None  # a module exposing ``register_crud(policies)``


# In matching order: specific routes first; the generic CRUD (``/data/<model>``) last, because its
# paths would otherwise shadow the typed routes. CRUD rules apply in this order too, after the base ones.
FEATURES = [
    Feature("foxtrack.index.routes"),
    Feature("foxtrack.index.status"),
    Feature("foxtrack.index.docs"),
    Feature("foxtrack.auth.routes"),
    Feature("foxtrack.user.routes"),
    Feature("foxtrack.persons.routes", crud="foxtrack.persons.service"),
    Feature("foxtrack.projects.routes", crud="foxtrack.projects.service"),
    Feature("foxtrack.entities.routes", crud="foxtrack.entities.policies"),
    Feature("foxtrack.casting.routes"),
    Feature("foxtrack.tasks.routes", crud="foxtrack.tasks.service"),
    Feature("foxtrack.comments.routes", crud="foxtrack.comments.service"),
    # before previews.routes: its pictures/thumbnails/{kind}/... would take the background thumbnails
    Feature("foxtrack.previews.backgrounds"),
    Feature("foxtrack.previews.routes", crud="foxtrack.previews.service"),
    Feature("foxtrack.playlists.routes", crud="foxtrack.playlists.service"),
    Feature("foxtrack.search.routes"),
    Feature("foxtrack.events_api.routes"),
    Feature("foxtrack.webhooks.routes"),
    Feature("foxtrack.files.routes", crud="foxtrack.files.routes"),
    Feature("foxtrack.csvio.routes"),
    Feature("foxtrack.planning.routes", crud="foxtrack.planning.models"),
    Feature("foxtrack.sync.routes"),
    Feature("foxtrack.shotgun.routes"),
    Feature("foxtrack.projects.bulk_routes"),
    Feature("foxtrack.tasks.bulk_routes"),
    Feature("foxtrack.user.subscription_routes"),
    Feature("foxtrack.persons.desktop_routes"),
    Feature("foxtrack.planning.reorder_routes"),
    Feature("foxtrack.files.lookup"),
    Feature("foxtrack.csvio.studio_routes"),
    Feature("foxtrack.casting.bulk"),
    Feature("foxtrack.concepts.routes"),
    Feature("foxtrack.user.to_check"),
    Feature("foxtrack.auth.change_password"),
    Feature("foxtrack.auth.app_login"),
    Feature("foxtrack.auth.sso_routes"),
    Feature("foxtrack.previews.annotated"),
    Feature("foxtrack.shared_playlists.attachments"),
    Feature("foxtrack.shared_playlists.routes"),
    Feature("foxtrack.timesheets.routes"),
    Feature("foxtrack.schedules.routes", crud="foxtrack.schedules.models"),
    Feature("foxtrack.departments.routes"),
    Feature("foxtrack.projects.link_routes"),
    Feature("foxtrack.entities.sharing_routes"),
    Feature("foxtrack.planning.quota_shot_routes"),
    Feature("foxtrack.crud.routes"),
]


def routers() -> list[APIRouter]:
    return [importlib.import_module(feature.routes).router for feature in FEATURES]


def crud_policies() -> Policies:
    """Every model's CRUD rules: the base ones, then each feature's."""
    policies = base_policies()
    for feature in FEATURES:
        if feature.crud:
            importlib.import_module(feature.crud).register_crud(policies)
    return policies
