"""The demo production: a small TV show with episodes, sequences, shots, assets, tasks, comments.

Seeded once (skipped when a project named like the demo exists), straight through the same insert
path the API uses, so the rows are what the API would have written.
"""

from __future__ import annotations

import random
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from foxtrack.core.context import Tx
from foxtrack.core.models import COMMENT, ENTITY, MODELS, PERSON, PROJECT, TASK
from foxtrack.crud.service import insert
from foxtrack.db import schema as s
from foxtrack.db.seed import create_admin, hash_password

DEMO_PROJECT = "Fox Tales"
ARTISTS = [("Ada", "Lovelace", "Animation"), ("Bob", "Ross", "Modeling"), ("Chloe", "Zhao", "Layout")]
ASSETS = {"Character": ["Fox", "Crow", "Badger"], "Prop": ["Lantern", "Kite"], "Environment": ["Forest", "Den"]}


def _id_by_name(tx: Tx, table: sa.Table, name: str, **extra: Any) -> str:
    stmt = sa.select(table.c.id).where(table.c.name == name, *(table.c[k] == v for k, v in extra.items()))
    found = tx.conn.execute(stmt).scalar()
    if found is None:
        raise LookupError(f"{table.name} {name!r} missing from the reference data")
    return str(found)


def seed_demo(engine: Engine, email: str, password: str, rounds: int = 12) -> bool:
    """Create the admin and, once, the demo production. Returns True when it was created now."""
    admin_id, _ = create_admin(engine, email, password, rounds)
    with engine.begin() as conn:
        if conn.execute(sa.select(s.project.c.id).where(s.project.c.name == DEMO_PROJECT)).first():
            return False
        tx = Tx(conn, admin_id)
        rng = random.Random(7)
        open_status = _id_by_name(tx, s.project_status, "Open")
        statuses = {row.short_name: row.id for row in conn.execute(sa.select(s.task_status.c.short_name, s.task_status.c.id))}
        shot_types = [_id_by_name(tx, s.task_type, n, for_entity="Shot") for n in ("Layout", "Animation", "Lighting")]
        asset_types_tt = [_id_by_name(tx, s.task_type, n, for_entity="Asset") for n in ("Modeling", "Rigging")]
        type_ids = {n: _id_by_name(tx, s.entity_type, n) for n in ("Episode", "Sequence", "Shot", *ASSETS)}
        people = [admin_id]
        artist_password = hash_password("artist-demo-1", rounds)
        for first, last, dept in ARTISTS:
            person = insert(tx, PERSON, {"first_name": first, "last_name": last, "role": "user",
                                         "email": f"{first.lower()}@foxtrack.demo", "password": artist_password},
                            {"departments": [_id_by_name(tx, s.department, dept)]})
            people.append(person["id"])
        project = insert(tx, PROJECT, {"name": DEMO_PROJECT, "production_type": "tvshow", "production_style": "3d",
                                       "project_status_id": open_status, "fps": "24"},
                         {"team": people, "task_types": shot_types + asset_types_tt,
                          "task_statuses": list(statuses.values()),
                          "asset_types": [type_ids[n] for n in ASSETS]})
        pid = project["id"]

        def entity(name: str, kind: str, parent: str | None = None, **values: Any) -> dict[str, Any]:
            return insert(tx, ENTITY, {"name": name, "project_id": pid, "entity_type_id": type_ids[kind],
                                       "parent_id": parent, "created_by": admin_id, "data": {}, **values})

        def task(entity_id: str, task_type_id: str) -> dict[str, Any]:
            status = rng.choice(["todo", "wip", "wfa", "done"])
            assignees = [rng.choice(people[1:])]
            row = insert(tx, TASK, {"project_id": pid, "entity_id": entity_id, "task_type_id": task_type_id,
                                    "task_status_id": statuses[status], "assigner_id": admin_id},
                         {"assignees": assignees})
            if status != "todo":
                insert(tx, COMMENT, {"object_id": row["id"], "object_type": "Task", "person_id": assignees[0],
                                     "task_status_id": statuses[status], "text": f"Moved to {status}.",
                                     "checklist": [], "links": [], "replies": [], "data": {}})
            return row

        for e in range(1, 3):
            episode = entity(f"E{e:02d}", "Episode")
            for q in range(1, 3):
                sequence = entity(f"SQ{q:02d}0", "Sequence", episode["id"])
                for n in range(1, 5):
                    shot = entity(f"SH{n:03d}0", "Shot", sequence["id"], nb_frames=48,
                                  data={"frame_in": 1001, "frame_out": 1048})
                    for tt in shot_types:
                        task(shot["id"], tt)
        for kind, names in ASSETS.items():
            for name in names:
                asset = entity(name, kind, description=f"{name} ({kind.lower()})")
                for tt in asset_types_tt:
                    task(asset["id"], tt)
        insert(tx, MODELS["playlists"], {"name": "Daily review", "project_id": pid, "for_entity": "shot",
                                         "shots": [], "created_by": admin_id})
        tx.flush_events()
    return True
