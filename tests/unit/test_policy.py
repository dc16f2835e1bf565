"""The one permission policy (``foxtrack.core.policy``), on a fresh SQLite database per test: its
relations, its route and model tables, Zou's holes refused on purpose, and the CRUD's use of it."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from foxtrack.config import Settings
from foxtrack.core import policy
from foxtrack.core.context import AppState, RequestContext, unit_of_work
from foxtrack.core.errors import Forbidden
from foxtrack.core.events import EventBus
from foxtrack.crud import policy as crud_policy
from foxtrack.db import schema as s

ROLES = ("admin", "manager", "supervisor", "user", "vendor", "client", "user_noteam", "manager_noteam", "artist2")


@dataclass
class World:
    state: AppState
    ids: dict[str, str]

    def ctx(self, who: str) -> RequestContext:
        role = {"user_noteam": "user", "manager_noteam": "manager", "artist2": "user"}.get(who, who)
        return RequestContext(self.state, self.ids[who], role, False, {})

    def allowed(self, who: str, relations: tuple[str, ...], target: policy.Target) -> bool:
        ctx = self.ctx(who)
        with ctx.read() as conn:
            return policy.allowed(ctx, conn, relations, policy.complete(conn, target))

    def check(self, who: str, method: str, path: str) -> bool:
        """Whether the route rule lets ``who`` through (False: 403)."""
        try:
            policy.check(self.ctx(who), method, path)
        except Forbidden:
            return False
        return True


def _row(**values: Any) -> dict[str, Any]:
    stamp = datetime.datetime(2025, 1, 15)
    return {"id": str(uuid.uuid4()), "created_at": stamp, "updated_at": stamp, **values}


@pytest.fixture()
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    """One production: a team of seven (the supervisor in the animation department), a shot with an
    animation task (assigned to the artist and the vendor) and a modeling task, a comment by the
    artist; two accounts outside the team."""
    ids: dict[str, str] = {}
    with unit_of_work(engine) as tx:
        for who in ROLES:
            row = _row(first_name=who, last_name="x", email=f"{who}@policy.test",
                       role={"user_noteam": "user", "manager_noteam": "manager", "artist2": "user"}.get(who, who))
            tx.insert(s.person, row)
            ids[who] = row["id"]
        status = _row(name="Open")
        tx.insert(s.project_status, status)
        project = _row(name="Policy", project_status_id=status["id"])
        tx.insert(s.project, project)
        ids["project"] = project["id"]
        for who in ("admin", "manager", "supervisor", "user", "vendor", "client", "artist2"):
            tx.insert(s.project_person_link, {"project_id": project["id"], "person_id": ids[who]})
        department = _row(name="Animation")
        tx.insert(s.department, department)
        tx.insert(s.department_link, {"person_id": ids["supervisor"], "department_id": department["id"]})
        anim = _row(name="Anim", for_entity="Shot", department_id=department["id"])
        model = _row(name="Model", for_entity="Asset", department_id=None)
        tx.insert(s.task_type, [anim, model])
        ids.update(anim=anim["id"], model=model["id"])
        wip = _row(name="WIP", short_name="wip", color="#000000")
        tx.insert(s.task_status, wip)
        shot_type = _row(name="Shot")
        tx.insert(s.entity_type, shot_type)
        sequence = _row(name="SQ01", project_id=project["id"], entity_type_id=shot_type["id"])
        shot = _row(name="SH010", project_id=project["id"], entity_type_id=shot_type["id"])
        tx.insert(s.entity, [sequence, shot])
        ids.update(shot=shot["id"], sequence=sequence["id"])
        for name, task_type in (("anim_task", anim), ("model_task", model)):
            task = _row(name="main", project_id=project["id"], task_type_id=task_type["id"],
                        task_status_id=wip["id"], entity_id=shot["id"])
            tx.insert(s.task, task)
            ids[name] = task["id"]
        for who in ("user", "vendor"):
            tx.insert(s.task_person_link, {"task_id": ids["anim_task"], "person_id": ids[who]})
        comment = _row(object_id=ids["anim_task"], object_type="Task", person_id=ids["user"], text="hello")
        tx.insert(s.comment, comment)
        ids["comment"] = comment["id"]
    settings = Settings(data_dir=tmp_path / "data", secret_key="policy-test")
    yield World(AppState(settings=settings, engine=engine, bus=EventBus(), secret="policy-test"), ids)


def on_task(world: World, name: str) -> policy.Target:
    return policy.Target(project_id=world.ids["project"], task_id=world.ids[name], scoped=True)


def who_may(world: World, relations: tuple[str, ...], target: policy.Target) -> set[str]:
    return {who for who in ROLES if world.allowed(who, relations, target)}


# ----------------------------------------------------------------------------- relations

def test_admin_shortcut_needs_no_database() -> None:
    ctx = RequestContext(None, "someone", "admin", False, {})  # type: ignore[arg-type]
    assert policy.allowed(ctx, None, ("admin",), policy.Target())  # type: ignore[arg-type]
    assert policy.allowed(ctx, None, ("supervisor", "admin"), policy.Target())  # type: ignore[arg-type]


def test_task_creators_are_managers_and_the_departments_supervisors(world: World) -> None:
    assert who_may(world, policy.TASK_CREATORS, on_task(world, "anim_task")) == {"admin", "manager", "supervisor"}
    # the modeling task type is not of the supervisor's department
    assert who_may(world, policy.TASK_CREATORS, on_task(world, "model_task")) == {"admin", "manager"}
    # a task type given without a task (a task being created)
    creating = policy.Target(project_id=world.ids["project"], task_type_ids=(world.ids["model"],), scoped=True)
    assert who_may(world, policy.TASK_CREATORS, creating) == {"admin", "manager"}


def test_task_actors_add_the_assignees_but_no_client(world: World) -> None:
    assert who_may(world, policy.TASK_ACTORS, on_task(world, "anim_task")) == {
        "admin", "manager", "supervisor", "user", "vendor"}
    assert who_may(world, policy.TASK_ACTORS, on_task(world, "model_task")) == {"admin", "manager"}


def test_team_relations(world: World) -> None:
    team = policy.Target(project_id=world.ids["project"], scoped=True)
    assert who_may(world, ("member",), team) == {"admin", "manager", "supervisor", "user", "vendor", "client",
                                                 "artist2"}
    assert who_may(world, ("staff",), team) == {"admin", "manager", "supervisor", "user", "artist2"}
    assert who_may(world, ("not-client",), team) == {"admin", "manager", "supervisor", "user", "vendor", "artist2"}
    assert who_may(world, ("manager",), team) == {"admin", "manager"}
    # an object of no project: any manager; a project's object whose project is unknown: nobody
    assert who_may(world, ("manager",), policy.Target()) == {"manager", "manager_noteam"}
    assert who_may(world, ("manager",), policy.Target(scoped=True)) == set()
    # vendors see what they are assigned on
    assert who_may(world, ("vendor-assigned",), policy.Target(entity_id=world.ids["shot"])) == {
        "admin", "manager", "supervisor", "user", "vendor", "client", "artist2"}
    assert "vendor" not in who_may(world, ("vendor-assigned",), policy.Target(entity_id=world.ids["sequence"]))


def test_owner_and_self(world: World) -> None:
    mine = policy.Target(owner_id=world.ids["user"], person_id=world.ids["user"])
    assert who_may(world, ("owner",), mine) == {"user"}
    assert who_may(world, ("self",), mine) == {"user"}
    assert who_may(world, ("owner",), policy.Target()) == set()
    assert who_may(world, ("own-row",), policy.Target()) == set(ROLES)  # a personal row being created
    # nobody acts on itself under "!self", admins included
    assert not world.allowed("admin", ("!self", "admin"), policy.Target(person_id=world.ids["admin"]))
    assert world.allowed("admin", ("!self", "admin"), policy.Target(person_id=world.ids["user"]))


def test_unknown_relation_is_an_error(world: World) -> None:
    with pytest.raises(ValueError, match="unknown relation"):
        world.allowed("user", ("nobody-knows",), policy.Target())


def test_every_relation_of_the_tables_exists() -> None:
    named = {r for rels in [*policy.ROUTES.values(), *policy.MODELS.values()] for r in rels if r != "!self"}
    named |= {r for rule in crud_policy.LEGACY.values() for r in rule}
    assert named <= set(policy.RELATIONS), named - set(policy.RELATIONS)


# ----------------------------------------------------------------------------- routes

def test_route_matching() -> None:
    found = policy.rule_for("GET", "/api/pictures/thumbnails/projects/abc.png")
    assert found == (("member", "any-manager"), {"project_id": "abc"})
    assert policy.rule_for("GET", "/api/pictures/thumbnails/projects/abc") is None
    # the more literal rule wins over a path rest
    assert policy.rule_for("GET", "data/concepts/c1") == (("staff",), {"concept_id": "c1"})
    assert policy.rule_for("GET", "data/concepts/c1/tasks") == (("staff",), {"concept_id": "c1", "rest": "tasks"})
    assert policy.rule_for("POST", "data/concepts/c1") is None


def test_a_comment_is_read_by_its_team(world: World) -> None:
    """The hand-found hole: an artist outside the team read any comment with GET data/comments/{id}.
    The team's clients pass the policy: which comments they read is the comments service's."""
    path = f"/api/data/comments/{world.ids['comment']}"
    assert {who for who in ROLES if world.check(who, "GET", path)} == {
        "admin", "manager", "supervisor", "user", "vendor", "client", "artist2"}
    # an unknown comment is the route's 404, not the policy's 403
    assert world.check("user_noteam", "GET", f"/api/data/comments/{uuid.uuid4()}")


def test_zou_holes_are_refused(world: World) -> None:
    ids = world.ids
    # anyone deleted any sequence in Zou (hole 2)
    sequence = f"/api/data/sequences/{ids['sequence']}"
    assert {who for who in ROLES if world.check(who, "DELETE", sequence)} == {"admin", "manager"}
    # assignees removed previews from someone else's comment (hole 7); the preview's task is the comment's
    removal = f"/api/actions/tasks/{ids['anim_task']}/comments/{ids['comment']}/preview-files/{uuid.uuid4()}"
    assert {who for who in ROLES if world.check(who, "DELETE", removal)} == {"admin", "manager"}
    # the client wrote into a task's files (hole 6)
    working = f"/api/data/tasks/{ids['anim_task']}/working-files/new"
    assert {who for who in ROLES if world.check(who, "POST", working)} == {"admin", "manager", "supervisor", "user",
                                                                          "vendor"}
    # anyone created tasks through POST data/tasks (hole 1): the model rule of the CRUD and the engine
    policies = crud_policy.base_policies()
    tasks = policies.get("tasks")
    row = {"project_id": ids["project"], "task_type_id": ids["anim"], "entity_id": ids["shot"]}
    creators = set()
    for who in ROLES:
        ctx = world.ctx(who)
        with ctx.read() as conn:
            if crud_policy.allowed(ctx, conn, "tasks", tasks, tasks.create, row):
                creators.add(who)
    assert creators == {"admin", "manager", "supervisor"}


def test_every_hole_names_its_rule() -> None:
    """Each hole is refused by a rule of the route table, or (a body the route cannot see) of the model table."""
    for key, why in policy.HOLES.items():
        assert why, key
        assert key in policy.ROUTES or key == "POST data/tasks", key
    assert policy.MODELS[("tasks", "create")] == policy.TASK_CREATORS
    for key in ("PUT data/asset-instances/{asset_instance_id}", "POST data/entities/{entity_id}/tasks"):
        assert "member" not in policy.ROUTES[key] and "not-client" not in policy.ROUTES[key]


# ----------------------------------------------------------------------------- the CRUD

def test_the_table_decides_whatever_a_feature_registers() -> None:
    policies = crud_policy.Policies()
    policies.register("tasks", create="all", update="all")
    assert policies.get("tasks").create == policy.TASK_CREATORS
    assert policies.get("tasks").update == policy.TASK_CREATORS
    policies.register("departments", create="all")  # not in the table: the feature's rule
    assert policies.get("departments").create == "all"
    assert crud_policy.relations_of("project") == ("admin", "member")
    with pytest.raises(ValueError):
        crud_policy.relations_of("whoever")


def test_crud_rows_follow_the_policy(world: World) -> None:
    ids = world.ids
    policies = crud_policy.base_policies()
    spent = policies.get("time-spents")
    row = {"task_id": ids["anim_task"], "person_id": ids["user"]}
    deleters = set()
    for who in ROLES:
        ctx = world.ctx(who)
        with ctx.read() as conn:
            if crud_policy.allowed(ctx, conn, "time-spents", spent, spent.delete, row):
                deleters.add(who)
    assert deleters == {"admin", "manager", "user"}
