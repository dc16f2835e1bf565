"""Episode statistics of a production (``data/projects/<id>/episodes/stats`` and ``/retake-stats``),
in Zou's shapes.

Both count the tasks of the shots of each episode (task -> shot -> sequence -> episode), keyed by
episode id and task type id, with ``all`` aggregating over episodes and over task types. Vendors
only count the tasks assigned to them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from foxtrack.core import permissions as perm
from foxtrack.core.context import RequestContext
from foxtrack.entities import queries as q
from foxtrack.entities.service import load_project

Row = dict[str, Any]

_ZERO = {"count": 0, "frames": 0, "drawings": 0}
DEFAULT_RETAKE_STATS: Row = {"max_retake_count": 0, "evolution": {}, "done": dict(_ZERO),
                             "retake": dict(_ZERO), "other": dict(_ZERO)}
DEFAULT_EVOLUTION_STATS: Row = {"done": dict(_ZERO), "retake": dict(_ZERO), "other": dict(_ZERO)}


def _assigned_only(ctx: RequestContext, project_id: str) -> str | None:
    """404 for an unknown project, 403 without access; the vendor whose tasks alone count, if any."""
    with ctx.read() as conn:
        load_project(conn, project_id)
        role = perm.check_project_access(ctx, conn, project_id)
    return ctx.person_id if role == perm.VENDOR else None


def _add(bucket: Row, count: int | None, frames: int | None, drawings: int | None) -> None:
    bucket["count"] += count or 0
    bucket["frames"] += frames or 0
    bucket["drawings"] += drawings or 0


def _status_entry(name: str, color: str) -> Row:
    return {"name": name, "color": color, **_ZERO}


def episode_stats(ctx: RequestContext, project_id: str) -> Row:
    """{episode_id | "all": {task_type_id | "all": {task_status_id: {name, color, count, frames,
    drawings}}}}: the tasks by status; frames are the shots' ``nb_frames``. Empty without tasks."""
    assignee = _assigned_only(ctx, project_id)
    with ctx.read() as conn:
        rows = q.episode_task_counts(conn, project_id, assignee)
    results: Row = {}
    for episode_id, task_type_id, task_status_id, name, color, count, drawings, frames in rows:
        episode = results.setdefault(episode_id, {})
        episode.setdefault(task_type_id, {})[task_status_id] = {
            "name": name, "color": color, "count": count, "frames": frames or 0, "drawings": drawings or 0}
        _add(episode.setdefault("all", {}).setdefault(task_status_id, _status_entry(name, color)),
             count, frames, drawings)
        overall = results.setdefault("all", {"all": {}})
        for type_key in (task_type_id, "all"):
            _add(overall.setdefault(type_key, {}).setdefault(task_status_id, _status_entry(name, color)),
                 count, frames, drawings)
    return results


def episode_retake_stats(ctx: RequestContext, project_id: str) -> Row:
    """{episode_id | "all": {task_type_id | "all": {max_retake_count, evolution, done, retake,
    other}}}: where the tasks stand now (done wins over retake) and, per episode, take by take
    (``evolution``: for take i, retake when the task was retaken at least i times)."""
    assignee = _assigned_only(ctx, project_id)
    with ctx.read() as conn:
        rows = [(str(r[0]), r[1], r[2], str(r[3]), r[4] or 0, bool(r[5]), bool(r[6]))
                for r in q.episode_task_rows(conn, project_id, assignee)]
    results: Row = {"all": {"all": copy.deepcopy(DEFAULT_RETAKE_STATS)}}
    for episode_id, drawings, frames, task_type_id, retake_count, is_done, is_retake in rows:
        for key1, key2 in (("all", task_type_id), (episode_id, "all"), (episode_id, task_type_id)):
            results.setdefault(key1, {}).setdefault(key2, copy.deepcopy(DEFAULT_RETAKE_STATS))
        for key1, key2 in (("all", "all"), ("all", task_type_id), (episode_id, "all"), (episode_id, task_type_id)):
            entry = results[key1][key2]
            entry["max_retake_count"] = max(entry["max_retake_count"], retake_count)
            state = "done" if is_done else "retake" if is_retake else "other"
            _add(entry[state], 1, frames, drawings)
    # the evolution needs each entry's final max retake count: a second pass
    for episode_id, drawings, frames, task_type_id, retake_count, is_done, _ in rows:
        _add_evolution(results, ((episode_id, "all"), (episode_id, task_type_id)), retake_count, is_done,
                       frames, drawings)
    return results


def _add_evolution(results: Row, keys: Iterable[tuple[str, str]], retake_count: int, is_done: bool,
                   frames: int | None, drawings: int | None) -> None:
    for key1, key2 in keys:
        entry = results[key1][key2]
        for take in range(1, entry["max_retake_count"] + 1):
            evolution = entry["evolution"].setdefault(str(take), copy.deepcopy(DEFAULT_EVOLUTION_STATS))
            state = "retake" if 0 < retake_count and take <= retake_count else "done" if is_done else "other"
            _add(evolution[state], 1, frames, drawings)
