"""Hit rate of the response cache while artists post comments in one project of three.

Three projects (a sequence, ``--shots`` shots and 4 tasks each); then ``--rounds`` times: a comment
on a task of the first project, and one read of each Kitsu screen for each project (the shot list
with tasks, the project's sequences, its tasks) plus ``data/user/context``. Each answer is counted a
hit when the cache answered without running the handler: a shim loaded in the server process
(``sitecustomize``) watches the cache's inner app, so the same count works on foxtrack versions
that send no ``X-Foxtrack-Cache`` header. Run it once per foxtrack source tree to compare them:

    PYTHONPATH=<a foxtrack checkout>/src .venv/bin/python bench/cache_hits.py [--rounds 100]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import gazu
import requests

SHIM = '''
import contextvars
computed = contextvars.ContextVar("bench_computed", default=None)
try:
    from foxtrack.core import response_cache as _rc
except Exception:  # not a foxtrack process
    _rc = None
if _rc is not None:
    _init, _call = _rc.ResponseCache.__init__, _rc.ResponseCache.__call__

    def __init__(self, app, state):
        async def inner(scope, receive, send, _app=app):
            flag = computed.get()
            if flag is not None:
                flag[0] = True
            await _app(scope, receive, send)
        _init(self, inner, state)

    async def __call__(self, scope, receive, send):
        flag = [False]
        token = computed.set(flag)

        async def tagged(message):
            if message["type"] == "http.response.start" and not flag[0] and scope["type"] == "http":
                message = {**message, "headers": [*message.get("headers", []), (b"x-bench-hit", b"1")]}
            await send(message)
        try:
            await _call(self, scope, receive, tagged)
        finally:
            computed.reset(token)

    _rc.ResponseCache.__init__, _rc.ResponseCache.__call__ = __init__, __call__
'''


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--shots", type=int, default=20)
    args = ap.parse_args()
    shim_dir = Path(tempfile.mkdtemp(prefix="foxtrack-bench-shim-"))
    (shim_dir / "sitecustomize.py").write_text(SHIM)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(shim_dir), os.environ.get("PYTHONPATH", "")])
    from foxtrack.testing import start_server

    server = start_server(env={"FOXTRACK_MEDIA_WORKERS": "1"})
    try:
        client = gazu.client.create_client(server.api)
        gazu.log_in(server.email, server.password, client=client)
        task_types = [gazu.task.new_task_type(f"TT{i} {uuid.uuid4().hex[:4]}", client=client) for i in range(4)]
        status = gazu.task.get_task_status_by_short_name("wip", client=client)
        projects, tasks = [], []
        for p in range(3):
            project = gazu.project.new_project(f"Hits {p} {uuid.uuid4().hex[:6]}", client=client)
            sequence = gazu.shot.new_sequence(project, "SQ01", client=client)
            for i in range(args.shots):
                shot = gazu.shot.new_shot(project, sequence, f"SH{i:03d}", client=client)
                for task_type in task_types:
                    task = gazu.task.new_task(shot, task_type, client=client)
                    if p == 0:
                        tasks.append(task)
            projects.append(project["id"])
        reader = requests.Session()
        auth = {"Authorization": f"Bearer {client.access_token}"}
        counts: dict[str, list[int]] = {}
        started = time.perf_counter()
        for r in range(args.rounds):
            gazu.task.add_comment(tasks[r % len(tasks)], status, f"note {r}", client=client)
            reads = [("user/context", "/data/user/context", {})]
            for n, project_id in enumerate(projects):
                label = "project with comments" if n == 0 else "other projects"
                reads += [(label, "/data/shots/with-tasks", {"project_id": project_id}),
                          (label, f"/data/projects/{project_id}/sequences", {}),
                          (label, "/data/tasks", {"project_id": project_id})]
            for label, path, params in reads:
                answer = reader.get(f"{server.api}{path}", params=params, headers=auth, timeout=30)
                answer.raise_for_status()
                hit, total = counts.setdefault(label, [0, 0])
                counts[label] = [hit + (answer.headers.get("x-bench-hit") == "1"), total + 1]
        seconds = time.perf_counter() - started
    finally:
        server.stop()
    hits = sum(h for h, _ in counts.values())
    total = sum(t for _, t in counts.values())
    print(f"\n| answers | hits | reads | hit rate |\n|---|---|---|---|")
    for label, (h, t) in counts.items():
        print(f"| {label} | {h} | {t} | {h / t:.0%} |")
    print(f"| all | {hits} | {total} | {hits / total:.0%} |")
    print(f"\n{args.rounds} rounds (1 comment + {total // args.rounds} reads) in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
