"""Entity types: the temporal kinds (Shot, Sequence...) and the asset types, by id and by name.

Every entity is a row of ``entity`` typed by ``entity_type_id``. Names are cached on the app
state (id -> name); the temporal types are part of the reference data (Zou creates them on first use).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from foxtrack.core.context import AppState
from foxtrack.core.jsonutil import new_id, now
from foxtrack.core.models import TEMPORAL_TYPES
from foxtrack.db import schema as s

SHOT, SEQUENCE, EPISODE, SCENE, EDIT, CONCEPT = TEMPORAL_TYPES
ASSET = "Asset"


def _reload(state: AppState, conn: Connection) -> None:
    state.entity_type_names.clear()
    state.entity_type_names.update({i: n for i, n in conn.execute(sa.select(s.entity_type.c.id, s.entity_type.c.name))})


def forget(state: AppState) -> None:
    """Drop the cache (an entity type was renamed or removed)."""
    state.entity_type_names.clear()


def _find(state: AppState, name: str) -> str | None:
    for type_id, type_name in state.entity_type_names.items():
        if type_name == name:
            return type_id
    return None


def type_id(state: AppState, name: str) -> str:
    """The id of the entity type ``name``, created when missing (its own short transaction)."""
    found = _find(state, name)
    if found is not None:
        return found
    with state.read() as conn:
        _reload(state, conn)
    found = _find(state, name)
    if found is not None:
        return found
    stamp = now()
    try:  # the temporal types exist from the start (reference data); this repairs a database without one
        with state.write() as tx:
            tx.insert(s.entity_type, {"id": new_id(), "name": name, "created_at": stamp, "updated_at": stamp,
                                      "archived": False})
    except IntegrityError:
        pass
    with state.read() as conn:
        _reload(state, conn)
    found = _find(state, name)
    assert found is not None
    return found


def temporal_ids(state: AppState) -> dict[str, str]:
    """{type name: id} of the six temporal types."""
    return {name: type_id(state, name) for name in TEMPORAL_TYPES}


def name_of(state: AppState, conn: Connection, entity_type_id: str) -> str:
    name = state.entity_type_names.get(entity_type_id)
    if name is None:
        _reload(state, conn)
        name = state.entity_type_names.get(entity_type_id, ASSET)
    return name


def json_type(state: AppState, conn: Connection, entity_type_id: str) -> str:
    """``type`` of an entity in JSON: the temporal type name, or "Asset"."""
    name = name_of(state, conn, entity_type_id)
    return name if name in TEMPORAL_TYPES else ASSET


def is_asset_type(state: AppState, conn: Connection, entity_type_id: str) -> bool:
    return name_of(state, conn, entity_type_id) not in TEMPORAL_TYPES


def asset_clause(state: AppState, column: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """``column`` (an entity_type_id) is an asset type. The ids are bound one parameter each, not as
    an expanding list: a statement with an expanding list is compiled again on every execution, and
    the with-tasks screens spent more on that than on their SQL."""
    ids = list(temporal_ids(state).values())
    return column.not_in([sa.literal(i, sa.String()) for i in ids]) if ids else column.not_in(ids)
