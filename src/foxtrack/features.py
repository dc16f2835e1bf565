"""Each feature's rules for the generic CRUD, gathered explicitly (the routers are listed in
``foxtrack.routes``). ``create_app`` builds both, so the app is the same whatever module a script
imported first: nothing registers itself as a side effect of being imported."""

from __future__ import annotations

from foxtrack.crud.policy import Policies, base_policies


def crud_policies() -> Policies:
    """Every model's CRUD rules: the base ones, then each feature's."""
    from foxtrack.comments import service as comments
    from foxtrack.entities import policies as entities
    from foxtrack.files import routes as files
    from foxtrack.persons import service as persons
    from foxtrack.planning import models as planning
    from foxtrack.playlists import service as playlists
    from foxtrack.previews import service as previews
    from foxtrack.projects import service as projects
    from foxtrack.schedules import models as schedules
    from foxtrack.tasks import service as tasks

    policies = base_policies()
    for feature in (persons, projects, entities, tasks, comments, previews, playlists, files, planning, schedules):
        feature.register_crud(policies)
    return policies
