#!/usr/bin/env python3
"""Movie previews under load: do readers stay fast while movies are transcoded?

    python bench/movies.py [--count 20] [--seconds 60] [--size 1920x1080] [--readers 4] [--slots 1]

Starts ``foxtrack serve`` on a free port with a fresh data dir, seeds a project (1920x1080, 25 fps) with
shots and tasks, then:

1. *idle*: ``--readers`` threads (one gazu client each) run the read mix (get_shot, all_tasks_for_shot,
   get_task, all_comments_for_task) for ``--idle`` seconds;
2. *busy*: the same readers run while ``--count`` movies of ``--seconds`` (ffmpeg testsrc + sine, at
   ``--size``) are published with ``gazu.task.publish_preview`` and transcoded in the background,
   until every preview is ready.

Prints the readers' p50/p95 idle and busy (target: busy p95 within 2x of idle), the upload request
latency, and transcode throughput (seconds of movie per wall second), next to Zou's movie phase in
``../shared/bench/results/zou-medium.json`` (Zou transcodes in the request).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FOXTRACK_SHARED", ROOT.parent / "shared"))
sys.path.insert(0, str(ROOT / "src"))

import gazu  # noqa: E402

from foxtrack.media.ffmpeg import ffmpeg_exe  # noqa: E402
from foxtrack.testing import start_server  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def make_movie(path: Path, seconds: float, size: str) -> Path:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", str(seconds),
                    "-c:v", "libx264", "-preset", "ultrafast", "-crf", "23", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-shortest", str(path)], check=True)
    return path


class Readers:
    """``count`` threads running the read mix until stopped; latencies in ms."""

    def __init__(self, api: str, email: str, password: str, shots: list[dict[str, Any]],
                 tasks: list[dict[str, Any]], count: int):
        self.clients = []
        for _ in range(count):
            client = gazu.client.create_client(api)
            gazu.log_in(email, password, client=client)
            self.clients.append(client)
        self.shots, self.tasks = shots, tasks
        self.latencies: list[float] = []
        self.errors = 0
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()

    def _loop(self, index: int) -> None:
        client = self.clients[index]
        calls = [lambda i: gazu.shot.get_shot(self.shots[i % len(self.shots)]["id"], client=client),
                 lambda i: gazu.task.all_tasks_for_shot(self.shots[i % len(self.shots)], client=client),
                 lambda i: gazu.task.get_task(self.tasks[i % len(self.tasks)]["id"], client=client),
                 lambda i: gazu.task.all_comments_for_task(self.tasks[i % len(self.tasks)], client=client)]
        i = index * 7
        while not self.stop_flag.is_set():
            started = time.perf_counter()
            try:
                calls[i % len(calls)](i)
            except Exception:  # noqa: BLE001 - counted
                with self.lock:
                    self.errors += 1
            elapsed = (time.perf_counter() - started) * 1000
            with self.lock:
                self.latencies.append(elapsed)
            i += 1

    def run(self, until: Any) -> dict[str, float]:
        self.latencies, self.errors = [], 0
        self.stop_flag.clear()
        threads = [threading.Thread(target=self._loop, args=(n,), daemon=True) for n in range(len(self.clients))]
        started = time.perf_counter()
        for t in threads:
            t.start()
        until()
        self.stop_flag.set()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - started
        return {"requests": len(self.latencies), "errors": self.errors, "seconds": round(seconds, 2),
                "rps": round(len(self.latencies) / seconds, 1),
                "p50_ms": round(percentile(self.latencies, 50), 2),
                "p95_ms": round(percentile(self.latencies, 95), 2),
                "p99_ms": round(percentile(self.latencies, 99), 2)}


def seed(shots_count: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    project = gazu.project.new_project(f"Movies bench {int(time.time())}", "short")
    gazu.project.update_project({"id": project["id"], "resolution": "1920x1080", "fps": "25"})
    sequence = gazu.shot.new_sequence(project, "SQ01")
    task_types = [gazu.task.new_task_type(f"Bench {n} {int(time.time())}", for_entity="Shot") for n in range(4)]
    wip = gazu.task.get_task_status_by_short_name("wip")
    shots, tasks = [], []
    for n in range(shots_count):
        shot = gazu.shot.new_shot(project, sequence, f"SH{n:03d}")
        shots.append(shot)
        for task_type in task_types:
            task = gazu.task.new_task(shot, task_type)
            gazu.task.add_comment(task, wip, "first pass")
            tasks.append(task)
    return shots, tasks, wip


def transcode_one(task: dict[str, Any], status: dict[str, Any], movie: Path) -> float:
    started = time.perf_counter()
    _c, preview = gazu.task.publish_preview(task, status, comment="movie", preview_file_path=str(movie))
    ready = gazu.files.wait_for_preview_file(preview, timeout=600, poll_interval=0.2)
    assert ready["status"] == "ready", ready
    return time.perf_counter() - started


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=20, help="movies to upload")
    ap.add_argument("--seconds", type=float, default=60, help="length of each movie")
    ap.add_argument("--size", default="1920x1080", help="size of the uploaded movies")
    ap.add_argument("--readers", type=int, default=4)
    ap.add_argument("--idle", type=float, default=15, help="seconds of the idle read phase")
    ap.add_argument("--slots", type=int, default=1, help="FOXTRACK_MEDIA_WORKERS of the server")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "foxtrack-movies.json")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="foxtrack-movies-"))
    print(f"making a {args.seconds:g} s {args.size} movie and a 2 s 640x360 one ...", flush=True)
    movie = make_movie(work / "movie.mp4", args.seconds, args.size)
    small = make_movie(work / "small.mp4", 2, "640x360")
    server = start_server(env={"FOXTRACK_BCRYPT_ROUNDS": "4", "FOXTRACK_MEDIA_WORKERS": str(args.slots)}, timeout=60)
    result: dict[str, Any] = {"count": args.count, "seconds": args.seconds, "size": args.size,
                              "readers": args.readers, "slots": args.slots, "cpus": os.cpu_count()}
    try:
        gazu.set_host(server.api)
        gazu.log_in(server.email, server.password)
        shots, tasks, wip = seed(50)
        # Zou's phase: one 2 s 640x360 movie, published then waited for (Zou answers when done)
        result["small_movie_s"] = round(transcode_one(tasks[-1], wip, small), 2)
        readers = Readers(server.api, server.email, server.password, shots, tasks, args.readers)
        result["idle"] = readers.run(lambda: time.sleep(args.idle))
        print(f"idle: {result['idle']}", flush=True)

        uploads: list[float] = []
        started_at: list[float] = []

        def publish_all() -> None:
            previews = []
            for n in range(args.count):
                t0 = time.perf_counter()
                started_at.append(t0)
                _c, preview = gazu.task.publish_preview(tasks[n % len(tasks)], wip, comment=f"movie {n}",
                                                        preview_file_path=str(movie))
                uploads.append(time.perf_counter() - t0)
                previews.append(preview)
            for preview in previews:
                done = gazu.files.wait_for_preview_file(preview, timeout=3600, poll_interval=1)
                assert done["status"] == "ready", done
            result["transcode_wall_s"] = round(time.perf_counter() - started_at[0], 2)

        result["busy"] = readers.run(publish_all)
        print(f"busy: {result['busy']}", flush=True)
        result["upload_p50_ms"] = round(percentile(uploads, 50) * 1000, 1)
        result["upload_p95_ms"] = round(percentile(uploads, 95) * 1000, 1)
        total_movie = args.count * args.seconds
        result["throughput_movie_s_per_s"] = round(total_movie / result["transcode_wall_s"], 3)
        result["movies_per_minute"] = round(args.count * 60 / result["transcode_wall_s"], 2)
    finally:
        server.stop()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))

    zou_path = SHARED / "bench" / "results" / "zou-medium.json"
    zou = json.loads(zou_path.read_text())["phases"].get("create:previews_movie") if zou_path.exists() else None
    idle, busy = result["idle"]["p95_ms"], result["busy"]["p95_ms"]
    print(f"\nreaders ({args.readers}) p95: idle {idle} ms, during transcoding {busy} ms "
          f"-> x{busy / idle if idle else float('nan'):.2f} (target <= 2x); errors {result['busy']['errors']}")
    print(f"uploads: p50 {result['upload_p50_ms']} ms, p95 {result['upload_p95_ms']} ms (answered before transcoding)")
    print(f"transcoding: {args.count} x {args.seconds:g} s {args.size} in {result['transcode_wall_s']} s = "
          f"{result['throughput_movie_s_per_s']} s of movie per second ({result['movies_per_minute']} movies/min, "
          f"{args.slots} slot(s), {os.cpu_count()} CPUs)")
    line = f"2 s 640x360 movie, publish -> ready: foxtrack {result['small_movie_s']} s"
    if zou:
        line += f", Zou {zou['seconds']:.2f} s in the request ({zou.get('file', '')})"
    print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
