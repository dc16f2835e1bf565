#!/usr/bin/env python3
"""The raw floor of the read phases: the SQL query plus JSON encoding alone, in process.

    python bench/floor.py DATA_DIR [--result bench/results/foxtrack-medium.json]

Opens the SQLite database a benchmark run left in DATA_DIR (``bench/run.py --keep-data DIR``),
times each read phase's essential query + ``orjson.dumps`` of its rows, and, given the run's
result file, prints how far each HTTP phase (per call) is from that floor.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from foxtrack.core.models import ENTITY, TASK  # noqa: E402
from foxtrack.db import schema as s  # noqa: E402
from foxtrack.db.engine import create_engine  # noqa: E402


def timed(fn: Callable[[], Any], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--result", type=Path)
    args = ap.parse_args()
    engine = create_engine(f"sqlite:///{(args.data_dir / 'foxtrack.db').resolve()}")
    with engine.connect() as conn:
        project_id = conn.execute(
            sa.select(s.project.c.id).order_by(s.project.c.created_at.desc()).limit(1)).scalar()
        type_id = {n: i for i, n in conn.execute(sa.select(s.entity_type.c.id, s.entity_type.c.name))}
        shot_ids = [r[0] for r in conn.execute(sa.select(s.entity.c.id).where(
            s.entity.c.project_id == project_id, s.entity.c.entity_type_id == type_id["Shot"]))]
        sample = random.Random(1).sample(shot_ids, min(50, len(shot_ids)))

        def all_shots() -> bytes:
            rows = conn.execute(ENTITY.select().where(s.entity.c.project_id == project_id,
                                                      s.entity.c.entity_type_id == type_id["Shot"]))
            return orjson.dumps(ENTITY.to_dicts(rows))

        def all_tasks() -> bytes:
            rows = TASK.to_dicts(conn.execute(TASK.select().where(s.task.c.project_id == project_id)))
            return orjson.dumps(rows)

        def shots_with_tasks() -> bytes:
            shots = ENTITY.to_dicts(conn.execute(ENTITY.select().where(
                s.entity.c.project_id == project_id, s.entity.c.entity_type_id == type_id["Shot"])))
            tasks = TASK.to_dicts(conn.execute(TASK.select().where(s.task.c.project_id == project_id)))
            links = conn.execute(sa.select(s.task_person_link.c.task_id, s.task_person_link.c.person_id)
                                 .join(s.task, s.task.c.id == s.task_person_link.c.task_id)
                                 .where(s.task.c.project_id == project_id)).all()
            by_task: dict[str, list[str]] = {}
            for t, p in links:
                by_task.setdefault(t, []).append(p)
            by_entity: dict[str, list[dict[str, Any]]] = {}
            for t in tasks:
                t["assignees"] = by_task.get(t["id"], [])
                by_entity.setdefault(t["entity_id"], []).append(t)
            for e in shots:
                e["tasks"] = by_entity.get(e["id"], [])
            return orjson.dumps(shots)

        it = iter(sample * 100)

        def one_shot() -> bytes:
            return orjson.dumps(ENTITY.to_dicts(conn.execute(ENTITY.select().where(s.entity.c.id == next(it)))))

        def tasks_for_shot() -> bytes:
            return orjson.dumps(TASK.to_dicts(conn.execute(TASK.select().where(s.task.c.entity_id == next(it)))))

        floors = {
            "read:all_shots_for_project": timed(all_shots, 5),
            "read:all_tasks_for_project": timed(all_tasks, 5),
            "ui:shots_with_tasks": timed(shots_with_tasks, 5),
            "read:get_shot": timed(one_shot, 200),
            "read:all_tasks_for_shot": timed(tasks_for_shot, 200),
        }
    result = json.loads(args.result.read_text()) if args.result else None
    print("| phase | floor ms/call | foxtrack ms/call | foxtrack / floor |\n|---|---|---|---|")
    for name, floor in floors.items():
        per_call = None
        if result and name in result["phases"]:
            p = result["phases"][name]
            per_call = p["seconds"] / max(1, p["ops"])
        pc = f"{per_call * 1000:.2f}" if per_call else "-"
        ratio = f"{per_call / floor:.1f}x" if per_call else "-"
        print(f"| {name} | {floor * 1000:.2f} | {pc} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
