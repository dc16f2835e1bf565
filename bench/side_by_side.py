#!/usr/bin/env python3
"""The shared scenario side by side: the Zou anchor, foxtrack on SQLite and foxtrack on PostgreSQL,
in alternating rounds on the same machine; prints the per-phase medians and the ratio table.

    python bench/side_by_side.py [--size small] [--rounds 2] [--targets zou,sqlite,pg[,pgredis]]
                                 [--foxtrack-src LABEL=DIR ...] [--out-dir DIR]
    python bench/side_by_side.py --table DIR      # the table of runs already recorded in DIR
    python bench/side_by_side.py --out-dir DIR --first-round 2 --rounds 1 ...   # one more round in DIR

Each round runs every target once, in order (Zou is reset first with ``../shared/zou-anchor/reset.sh``;
each foxtrack gets a fresh data dir, or a fresh PostgreSQL database on 127.0.0.1:5432; ``pgredis`` is
PostgreSQL with Redis on ``FOXTRACK_BENCH_REDIS``, default 127.0.0.1:6379, under a key prefix of
its own: the production setup, where the response cache is on as with SQLite); a ``-nocache`` suffix
(``sqlite-nocache``) runs a backend with the response cache off. Other
engineers load the machine: alternating rounds spreads that load over every target, and each run's
load average (start and end) is recorded with the machine's CPU model. ``--foxtrack-src
before=/tmp/ft-before/src`` adds targets ``sqlite@before`` (and ``pg@before``) run from another
source tree (``PYTHONPATH``), to compare two foxtracks in the same rounds.

Raw scenario outputs go to ``--out-dir`` (``<target>-<round>.json``) with ``machine.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FOXTRACK_SHARED", ROOT.parent / "shared"))
ANCHOR = SHARED / "zou-anchor"
ZOU_HOST = "http://127.0.0.1:5000"
ZOU_EMAIL, ZOU_PASSWORD = "admin@example.com", "mysecretpassword"
sys.path.insert(0, str(ROOT / "src"))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def scenario(host: str, email: str, password: str, size: str, out: Path, watch: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, str(SHARED / "bench" / "scenario.py"), "--host", host, "--email", email,
           "--password", password, "--size", size, "--out", str(out)]
    for w in watch:
        cmd += ["--watch-pid", w]
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def run_zou(size: str, out: Path) -> dict[str, Any]:
    subprocess.run([str(ANCHOR / "reset.sh")], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pid_file = Path(os.environ.get("ANCHOR_DIR", "/tmp/zou-anchor")) / "run" / "zou.pid"
    watch = [f"zou={pid_file.read_text().strip()}"] if pid_file.exists() else []
    return scenario(ZOU_HOST, ZOU_EMAIL, ZOU_PASSWORD, size, out, watch)


def run_foxtrack(backend: str, src: str | None, size: str, out: Path) -> dict[str, Any]:
    from foxtrack.testing import drop_postgres, postgres_url, start_server

    env = {"FOXTRACK_BCRYPT_ROUNDS": "10"}
    if backend.endswith("-nocache"):
        backend = backend.removesuffix("-nocache")
        env["FOXTRACK_RESPONSE_CACHE"] = "false"
    if src:
        env["PYTHONPATH"] = src
    if backend == "pgredis":
        env["FOXTRACK_REDIS_URL"] = os.environ.get("FOXTRACK_BENCH_REDIS", "redis://127.0.0.1:6379/0")
        env["FOXTRACK_REDIS_PREFIX"] = f"bench-{os.getpid()}-{time.time():.0f}"
    url = None
    if backend in ("pg", "pgredis"):
        url = postgres_url()
        if url is None:
            raise SystemExit("no PostgreSQL on 127.0.0.1:5432")
    server = start_server(database_url=url, env=env, timeout=60)
    try:
        return scenario(server.api, server.email, server.password, size, out, [f"foxtrack={server.process.pid}"])
    finally:
        server.stop()
        if url:
            drop_postgres(url)
        if "FOXTRACK_REDIS_URL" in env:
            import redis

            client = redis.Redis.from_url(env["FOXTRACK_REDIS_URL"])
            for key in client.scan_iter(match=env["FOXTRACK_REDIS_PREFIX"] + "*"):
                client.delete(key)


def load_runs(directory: Path) -> dict[str, list[dict[str, Any]]]:
    runs: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(directory.glob("*-[0-9]*.json")):
        target = path.stem.rsplit("-", 1)[0]
        runs.setdefault(target, []).append(json.loads(path.read_text()))
    return runs


def medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    phases: dict[str, list[float]] = {}
    for run in runs:
        for name, phase in run["phases"].items():
            phases.setdefault(name, []).append(phase["seconds"])
        phases.setdefault("whole run", []).append(run["totals"]["wall_seconds"])
    return {name: statistics.median(values) for name, values in phases.items()}


def table(runs: dict[str, list[dict[str, Any]]]) -> str:
    targets = [t for t in runs if t != "zou"]
    zou = medians(runs["zou"]) if "zou" in runs else {}
    ours = {t: medians(runs[t]) for t in targets}
    names = list(dict.fromkeys([n for t in targets for n in ours[t]] + list(zou)))
    names = [n for n in names if n != "whole run"] + ["whole run"]
    head = ["phase"] + (["Zou s"] if zou else []) + [f"{t} s" for t in targets]
    head += [f"Zou/{t}" for t in targets] if zou else []
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in names:
        cells = [name]
        if zou:
            cells.append(f"{zou[name]:.2f}" if name in zou else "-")
        cells += [f"{ours[t][name]:.2f}" if name in ours[t] else "-" for t in targets]
        if zou:
            for t in targets:
                z, o = zou.get(name), ours[t].get(name)
                cells.append(f"{z / o:.1f}x" if z and o else "-")
        lines.append("| " + " | ".join(cells) + " |")
    counts = {t: [round(r["totals"]["wall_seconds"], 1) for r in rs] for t, rs in runs.items()}
    errors = {t: [r["totals"]["errors"] for r in rs] for t, rs in runs.items()}
    lines.append(f"\nwhole runs (s): {counts}\nerrors: {errors}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="small", choices=["small", "medium", "large"])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--first-round", type=int, default=1, help="number of the first round (to add rounds to a folder)")
    ap.add_argument("--targets", default="zou,sqlite,pg")
    ap.add_argument("--foxtrack-src", action="append", default=[], metavar="LABEL=DIR")
    ap.add_argument("--out-dir", type=Path)
    ap.add_argument("--table", type=Path, help="print the table of a recorded directory and stop")
    args = ap.parse_args()
    if args.table:
        print(table(load_runs(args.table)))
        return 0
    out_dir = args.out_dir or ROOT / "bench" / "results" / f"side-by-side-{args.size}-{time.strftime('%Y%m%d-%H%M')}"
    out_dir.mkdir(parents=True, exist_ok=True)
    targets: list[tuple[str, str | None]] = []
    for name in args.targets.split(","):
        targets.append((name, None))
        if name != "zou":
            targets += [(f"{name}@{label}", src) for label, src in (s.split("=", 1) for s in args.foxtrack_src)]
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    machine: dict[str, Any] = {"cpu_model": cpu_model(), "cpus": os.cpu_count(), "size": args.size,
                               "foxtrack_commit": commit, "foxtrack_src": args.foxtrack_src,
                               "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "runs": []}
    if (out_dir / "machine.json").exists():  # more rounds in a folder: its record goes on
        machine["runs"] = json.loads((out_dir / "machine.json").read_text()).get("runs", [])
    for round_no in range(args.first_round, args.first_round + args.rounds):
        for name, src in targets:
            out = out_dir / f"{name}-{round_no}.json"
            before = os.getloadavg()
            t0 = time.monotonic()
            if name == "zou":
                result = run_zou(args.size, out)
            else:
                result = run_foxtrack(name.split("@")[0], src, args.size, out)
            machine["runs"].append({"target": name, "round": round_no, "seconds": round(time.monotonic() - t0, 1),
                                    "loadavg_start": before, "loadavg_end": os.getloadavg(),
                                    "wall_seconds": result["totals"]["wall_seconds"]})
            (out_dir / "machine.json").write_text(json.dumps(machine, indent=2))
            print(f"round {round_no} {name}: {result['totals']['wall_seconds']} s (load {before[0]:.1f})", flush=True)
    text = table(load_runs(out_dir))
    (out_dir / "table.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
