"""Clean-up: ``clean-auth-tokens``, ``remove-old-data``, ``reset-search-index``.

Old rows are removed in batches (one unit of work each), so a table of millions of events neither
holds one huge transaction nor blocks the server's writers for long.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from foxtrack.admin._progress import Progress, Silent
from foxtrack.admin.errors import AdminError
from foxtrack.core.context import AppState
from foxtrack.db import schema as s
from foxtrack.jobs import Queue

BATCH = 2000
# what ``remove-old-data`` removes, as Zou's: events, notifications and login logs
OLD_DATA = (s.api_event, s.notification, s.login_log, s.desktop_login_log)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _remove_batches(state: AppState, table: sa.Table, where: sa.ColumnElement[bool], key: sa.Column[Any],
                    progress: Progress) -> int:
    with state.read() as conn:
        total = int(conn.execute(sa.select(sa.func.count()).select_from(table).where(where)).scalar() or 0)
    progress.start(table.name, total)
    removed = 0
    while removed < total:
        with state.write() as tx:
            ids = list(tx.execute(sa.select(key).where(where).limit(BATCH)).scalars())
            if not ids:
                break
            done = tx.delete(table, key.in_(ids))
        removed += done
        progress.advance(done)
    return removed


def clean_auth_tokens(state: AppState, progress: Progress | None = None) -> dict[str, int]:
    """Forget revoked tokens that have expired anyway (they can no longer be used)."""
    t = s.revoked_token
    expired = sa.and_(t.c.expires_at.is_not(None), t.c.expires_at < _stamp(dt.datetime.now(dt.UTC)))
    return {"revoked_token": _remove_batches(state, t, expired, t.c.jti, progress or Silent())}


def remove_old_data(state: AppState, days: int, progress: Progress | None = None) -> dict[str, int]:
    """Remove events, notifications, login logs and finished jobs older than ``days`` days."""
    if days < 1:
        raise AdminError("--days must be at least 1.")
    before = _stamp(dt.datetime.now(dt.UTC) - dt.timedelta(days=days))
    progress = progress or Silent()
    out = {}
    for table in OLD_DATA:
        out[table.name] = _remove_batches(state, table, table.c.created_at < before, table.c.id, progress)
    with state.write() as tx:
        out["job"] = Queue().purge(tx, before)
    return out


def reset_search_index(state: AppState) -> dict[str, int]:
    """foxtrack's search has no separate index to rebuild (it reads the tables through their indexes,
    unlike Zou's Meilisearch): refresh the planner statistics of the searched tables and count what
    each index of the search route would find."""
    with state.engine.connect() as conn:
        for table in (s.person, s.entity):
            conn.exec_driver_sql(f"ANALYZE {table.name}")
        conn.commit()
        asset_types = sa.select(s.entity_type.c.id).where(
            s.entity_type.c.name.not_in(("Shot", "Sequence", "Episode", "Scene", "Edit", "Concept")))
        shot_type = sa.select(s.entity_type.c.id).where(s.entity_type.c.name == "Shot")
        count = sa.select(sa.func.count()).select_from(s.entity)
        return {
            "persons": int(conn.execute(sa.select(sa.func.count()).select_from(s.person)
                                        .where(s.person.c.is_bot.is_not(True))).scalar() or 0),
            "assets": int(conn.execute(count.where(s.entity.c.entity_type_id.in_(asset_types))).scalar() or 0),
            "shots": int(conn.execute(count.where(s.entity.c.entity_type_id.in_(shot_type))).scalar() or 0),
        }
