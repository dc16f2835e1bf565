#!/usr/bin/env python3
"""Event delivery under load: N Socket.IO listeners while comments with status changes are posted.

    python bench/events.py [--listeners 100] [--comments 500]

Starts a foxtrack, creates a project with shots and tasks, posts the comments once with no
listener (baseline), then connects N listeners (the way gazu.events connects) and posts them
again. Prints the phase's slowdown and the delivery latency of ``comment:new`` (from the moment
the posting client got its answer to the moment each listener received the event), p50/p95/max.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import threading
import time
from pathlib import Path

import gazu
import socketio

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from foxtrack.testing import start_server  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def post_comments(tasks: list[dict], statuses: list[dict], n: int, answered: dict[str, float]) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        comment = gazu.task.add_comment(tasks[i % len(tasks)], statuses[i % len(statuses)], f"note {i}")
        answered[comment["id"]] = time.time()
    return time.perf_counter() - t0


def listener_process(url: str, token: str, count: int, ready: "mp.Event", stop: "mp.Event", out: "mp.Queue") -> None:
    """``count`` lightweight Socket.IO listeners (Engine.IO 4 over a websocket, namespaces ``/``
    and ``/events``, the JWT in the Authorization header as gazu sends it) on one asyncio loop, so
    that the listeners cost the machine little; sends back (comment_id, arrival time) pairs."""
    import asyncio
    import json

    import websockets

    seen: list[tuple[str, float]] = []
    ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    prefix = '42/events,["comment:new",'

    async def one(opened: asyncio.Event) -> None:
        async with websockets.connect(ws_url, additional_headers={"Authorization": f"Bearer {token}"},
                                      max_size=None) as ws:
            await ws.recv()  # Engine.IO open
            await ws.send("40")
            await ws.send("40/events,")
            while True:
                message = await ws.recv()
                if isinstance(message, bytes):
                    continue
                if message == "2":
                    await ws.send("3")
                elif message.startswith("40/events"):
                    opened.set()
                elif message.startswith(prefix):
                    data = json.loads(message[len(prefix):-1])
                    seen.append((data.get("comment_id", ""), time.time()))

    async def run() -> None:
        events = [asyncio.Event() for _ in range(count)]
        tasks = [asyncio.create_task(one(e)) for e in events]
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), 60)
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        for t in tasks:
            t.cancel()

    asyncio.run(run())
    out.put(seen)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listeners", type=int, default=100)
    ap.add_argument("--comments", type=int, default=500)
    ap.add_argument("--procs", type=int, default=1, help="listener processes")
    args = ap.parse_args()
    server = start_server(env={"FOXTRACK_BCRYPT_ROUNDS": "4"})
    try:
        gazu.set_host(server.api)
        gazu.log_in(server.email, server.password)
        token = gazu.client.default_client.access_token
        project = gazu.project.new_project(f"events bench {int(time.time())}")
        seq = gazu.shot.new_sequence(project, "SQ01")
        anim = gazu.task.get_task_type_by_name("Animation")
        tasks = [gazu.task.new_task(gazu.shot.new_shot(project, seq, f"SH{i:03d}"), anim) for i in range(50)]
        statuses = [gazu.task.get_task_status_by_short_name(x) for x in ("wip", "wfa", "retake", "done")]

        baseline = post_comments(tasks, statuses, args.comments, {})

        procs, stops, outs = [], [], []
        share = [args.listeners // args.procs + (1 if i < args.listeners % args.procs else 0)
                 for i in range(args.procs)]
        ctx = mp.get_context("spawn")
        out: mp.Queue = ctx.Queue()
        stop = ctx.Event()
        readies = []
        for n in share:
            ready = ctx.Event()
            proc = ctx.Process(target=listener_process, args=(server.url, token, n, ready, stop, out))
            proc.start()
            procs.append(proc)
            readies.append(ready)
        for ready in readies:
            ready.wait(120)
        time.sleep(1.0)
        answered: dict[str, float] = {}
        loaded = post_comments(tasks, statuses, args.comments, answered)
        time.sleep(3.0)
        stop.set()
        arrivals: list[tuple[str, float]] = []
        for _ in procs:
            arrivals += out.get(timeout=60)
        for proc in procs:
            proc.join(30)
        expected = args.comments * args.listeners
        latencies = [(t - answered[k]) * 1000 for k, t in arrivals if k in answered]
        print(f"comments: {args.comments}, listeners: {args.listeners}")
        print(f"phase without listeners: {baseline:.2f} s; with listeners: {loaded:.2f} s "
              f"(slowdown {loaded / baseline:.2f}x)")
        print(f"deliveries: {len(latencies)} of {expected}; latency after the answer: "
              f"p50 {percentile(latencies, 0.5):.1f} ms, p95 {percentile(latencies, 0.95):.1f} ms, "
              f"max {max(latencies) if latencies else float('nan'):.1f} ms, "
              f"mean {statistics.mean(latencies) if latencies else float('nan'):.1f} ms")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
