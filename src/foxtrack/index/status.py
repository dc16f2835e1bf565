"""``/status/resources``, ``/status/influx``, ``/status/test-event`` and ``/stats``: the server's health
and usage figures, as Zou answers them."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from starlette.responses import Response

from foxtrack.core import permissions as perm
from foxtrack.core.context import Ctx, app_state
from foxtrack.core.jsonutil import ok
from foxtrack.db import schema as s

router = APIRouter(tags=["index"])

_CPU_SAMPLE_SECONDS = 0.25


def _cpu_times() -> list[tuple[int, int]]:
    """(busy, total) jiffies of each CPU, from /proc/stat (empty where there is none)."""
    try:
        lines = Path("/proc/stat").read_text().splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        name, *fields = line.split()
        if name.startswith("cpu") and name != "cpu":
            values = [int(v) for v in fields]
            idle = values[3] + (values[4] if len(values) > 4 else 0)
            out.append((sum(values) - idle, sum(values)))
    return out


def cpu_percent() -> list[float]:
    """Per-CPU use over a short sample, in percent (what psutil.cpu_percent(percpu=True) answers)."""
    before = _cpu_times()
    time.sleep(_CPU_SAMPLE_SECONDS)
    after = _cpu_times()
    out = []
    for (busy0, total0), (busy1, total1) in zip(before, after):
        span = total1 - total0
        out.append(round(100.0 * (busy1 - busy0) / span, 1) if span > 0 else 0.0)
    return out or [0.0] * (os.cpu_count() or 1)


def memory() -> dict[str, Any]:
    info: dict[str, int] = {}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            key, _, rest = line.partition(":")
            info[key] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    total = info.get("MemTotal", 0)
    available = info.get("MemAvailable", info.get("MemFree", 0))
    used = max(total - info.get("MemFree", 0) - info.get("Buffers", 0) - info.get("Cached", 0), 0)
    percent = round(100.0 * (total - available) / total, 1) if total else 0.0
    return {"total": total, "used": used, "available": available, "percent": percent}


def _health(request: Request) -> dict[str, bool]:
    from foxtrack.index.routes import _database_up

    up = _database_up(request)
    return {"database-up": up, "key-value-store-up": True, "event-stream-up": True, "job-queue-up": True,
            "indexer-up": True}


@router.get("/status/resources")
def status_resources(request: Request) -> Response:
    """CPU, memory and running background jobs of the server."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    with app_state(request).read() as conn:
        running = conn.execute(sa.select(sa.func.count()).select_from(s.job).where(s.job.c.state == "running")).scalar()
    return ok({"date": datetime.now().isoformat(),
               "cpu": {"percent": cpu_percent(),
                       "loadavg": {"last 1 min": load[0], "last 5 min": load[1], "last 10 min": load[2]}},
               "memory": memory(), "jobs": {"running_jobs": int(running or 0)}})


@router.get("/status/influx")
def status_influx(request: Request) -> Response:
    """The health flags as 0/1 with a timestamp, for InfluxDB's HTTP input."""
    flags: dict[str, Any] = {key: int(up) for key, up in _health(request).items()}
    flags["time"] = datetime.now(UTC).timestamp()
    return ok(flags)


@router.get("/status/test-event")
def status_test_event(request: Request) -> Response:
    """Send a ``main:test`` event to the listeners (not recorded), to check the event stream."""
    with app_state(request).write() as tx:
        tx.emit("main:test", {}, persist=False)
    return ok({"success": True})


@router.get("/stats")
def stats(ctx: Ctx) -> Response:
    """Counts of previews by kind and of comments (admins)."""
    perm.require_admin(ctx)
    pf = s.preview_file

    def previews(extension: str) -> sa.ScalarSelect[Any]:
        return sa.select(sa.func.count()).select_from(pf).where(pf.c.extension == extension).scalar_subquery()

    with ctx.read() as conn:
        row = conn.execute(sa.select(previews("mp4"), previews("png"), previews("obj"),
                                     sa.select(sa.func.count()).select_from(s.comment).scalar_subquery())).one()
    return ok({"number_of_video_previews": row[0], "number_of_picture_previews": row[1],
               "number_of_model_previews": row[2], "number_of_comments": row[3]})
