"""A small declarative production written straight into a foxtrack database (no HTTP)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from foxtrack.core.context import Tx
from foxtrack.core.models import ENTITY, MODELS, PERSON, PROJECT, TASK
from foxtrack.crud.service import insert
from foxtrack.db import schema as s
from foxtrack.db.seed import hash_password

__all__ = ["Seed", "seed_database"]


@dataclass(frozen=True)
class Seed:
    """What the ``tracker`` fixture puts in its database.

    ``sequences`` maps sequence names to shot names; for a ``tvshow``, ``episodes`` maps episode
    names to such a mapping. ``assets`` maps asset type names to asset names. ``task_types`` maps
    task type names to what they apply to (``"Shot"`` or ``"Asset"``); missing ones are created.
    With ``tasks`` every shot and asset gets a ``todo`` task of each matching task type.
    ``people`` are artists (``email``, optional ``first_name``, ``last_name``, ``role``,
    ``password``; the default password is ``Seed.people_password``).
    """

    project: str = "Test Project"
    production_type: str = "short"
    sequences: Mapping[str, Sequence[str]] = field(default_factory=lambda: {"sq170": ["sq170_sh0224"]})
    episodes: Mapping[str, Mapping[str, Sequence[str]]] = field(default_factory=dict)
    assets: Mapping[str, Sequence[str]] = field(default_factory=lambda: {"Character": ["Hero"]})
    task_types: Mapping[str, str] = field(default_factory=lambda: {"Anim3D": "Shot", "Modeling": "Asset"})
    people: Sequence[Mapping[str, str]] = field(
        default_factory=lambda: [{"email": "artist@example.com", "first_name": "Ada", "last_name": "Artist"}])
    people_password: str = "artist-password"
    tasks: bool = True

    @classmethod
    def of(cls, value: Seed | Mapping[str, Any] | None) -> Seed:
        """A Seed from a Seed, a dict of its fields (unknown keys are an error) or None (default)."""
        if value is None:
            return cls()
        if isinstance(value, Seed):
            return value
        known = {f.name for f in fields(cls)}
        unknown = set(value) - known
        if unknown:
            raise TypeError(f"unknown seed keys {sorted(unknown)}; use {sorted(known)}")
        return cls(**value)


def _one(tx: Tx, table: sa.Table, **where: Any) -> str | None:
    found = tx.conn.execute(sa.select(table.c.id).where(*(table.c[k] == v for k, v in where.items()))).scalar()
    return None if found is None else str(found)


def seed_database(engine: Engine, seed: Seed, admin_id: str, rounds: int = 4) -> dict[str, str]:
    """Write ``seed`` and return ids by name: ``"project"``, each sequence, episode, shot, asset,
    asset type, task type, status short name, person email, and ``"<shot or asset>/<task type>"``
    for tasks."""
    ids: dict[str, str] = {}
    with engine.begin() as conn:
        tx = Tx(conn, admin_id)
        statuses = {str(r.short_name): str(r.id) for r in conn.execute(sa.select(s.task_status.c.short_name, s.task_status.c.id))}
        ids.update(statuses)
        task_types: dict[str, str] = {}
        for name, for_entity in seed.task_types.items():
            found = _one(tx, s.task_type, name=name, for_entity=for_entity)
            task_types[name] = found or insert(tx, MODELS["task-types"], {
                "name": name, "short_name": name[:4].lower(), "for_entity": for_entity, "color": "#999999",
                "priority": len(task_types) + 1})["id"]
        ids.update(task_types)
        kinds: dict[str, str] = {}
        for name in ("Episode", "Sequence", "Shot", *seed.assets):
            kinds[name] = _one(tx, s.entity_type, name=name) or insert(tx, MODELS["entity-types"], {"name": name})["id"]
        people = [admin_id]
        password = hash_password(seed.people_password, rounds)
        for person in seed.people:
            values = {"first_name": "", "last_name": "", "role": "user", **person}
            values["password"] = hash_password(values["password"], rounds) if "password" in person else password
            people.append(ids.setdefault(person["email"], insert(tx, PERSON, values)["id"]))
        project = insert(tx, PROJECT, {
            "name": seed.project, "production_type": seed.production_type, "production_style": "3d", "fps": "24",
            "project_status_id": _one(tx, s.project_status, name="Open")},
            {"team": people, "task_types": list(task_types.values()), "task_statuses": list(statuses.values()),
             "asset_types": [kinds[name] for name in seed.assets]})
        ids["project"] = project_id = project["id"]

        def entity(name: str, kind: str, parent: str | None = None, **values: Any) -> str:
            row = insert(tx, ENTITY, {"name": name, "project_id": project_id, "entity_type_id": kinds[kind],
                                      "parent_id": parent, "created_by": admin_id, "data": {}, **values})
            ids[name] = row["id"]
            if seed.tasks:
                for type_name, for_entity in seed.task_types.items():
                    if for_entity == ("Shot" if kind == "Shot" else "Asset" if kind in seed.assets else None):
                        ids[f"{name}/{type_name}"] = insert(tx, TASK, {
                            "name": "main", "project_id": project_id, "entity_id": row["id"],
                            "task_type_id": task_types[type_name], "task_status_id": statuses["todo"],
                            "assigner_id": admin_id}, {"assignees": []})["id"]
            return str(row["id"])

        def sequences(mapping: Mapping[str, Sequence[str]], episode_id: str | None) -> None:
            for sequence_name, shot_names in mapping.items():
                sequence_id = entity(sequence_name, "Sequence", episode_id)
                for shot_name in shot_names:
                    entity(shot_name, "Shot", sequence_id, nb_frames=0, data={})

        for episode_name, mapping in seed.episodes.items():
            sequences(mapping, entity(episode_name, "Episode"))
        sequences(seed.sequences, None)
        for type_name, asset_names in seed.assets.items():
            ids[type_name] = kinds[type_name]
            for asset_name in asset_names:
                entity(asset_name, type_name)
        tx.flush_events()
    return ids
