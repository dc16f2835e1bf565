#!/usr/bin/env python3
"""Run the shared benchmark workload against a foxtrack it starts, and print ratios to Zou.

    python bench/run.py [--size small|medium|large] [--database-url URL] [--out FILE] [-- scenario args]

Starts ``foxtrack serve`` on a free port with a fresh data dir (SQLite by default), runs
``../shared/bench/scenario.py`` with the real gazu, then prints, per phase, foxtrack's seconds, Zou's
baseline seconds (``../shared/bench/results/zou-<size>.json``) and the speed-up (Zou / foxtrack).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FOXTRACK_SHARED", ROOT.parent / "shared"))
sys.path.insert(0, str(ROOT / "src"))

from foxtrack.testing import start_server  # noqa: E402


def ratios(baseline: dict, ours: dict) -> list[tuple[str, float | None, float | None, float | None, int]]:
    rows = []
    for name, phase in ours["phases"].items():
        base = baseline["phases"].get(name)
        ratio = base["seconds"] / phase["seconds"] if base and phase["seconds"] else None
        rows.append((name, phase["seconds"], base["seconds"] if base else None, ratio, phase["errors"]))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="medium", choices=["small", "medium", "large"])
    ap.add_argument("--database-url")
    ap.add_argument("--out", default=None)
    ap.add_argument("--keep-data", type=Path, help="data dir to keep after the run (for bench/floor.py)")
    ap.add_argument("rest", nargs="*", help="extra scenario.py arguments (after --)")
    args = ap.parse_args()
    out = Path(args.out or ROOT / "bench" / "results" / f"foxtrack-{args.size}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.keep_data:
        args.keep_data.mkdir(parents=True, exist_ok=True)
    server = start_server(database_url=args.database_url, data_dir=args.keep_data,
                          env={"FOXTRACK_BCRYPT_ROUNDS": "10"})
    try:
        cmd = [sys.executable, str(SHARED / "bench" / "scenario.py"), "--host", server.api, "--email", server.email,
               "--password", server.password, "--size", args.size, "--out", str(out),
               "--watch-pid", f"foxtrack={server.process.pid}", *args.rest]
        subprocess.run(cmd, check=False)
    finally:
        server.stop()
    ours = json.loads(out.read_text())
    baseline_path = SHARED / "bench" / "results" / f"zou-{args.size}.json"
    if not baseline_path.exists():
        print(f"no Zou baseline at {baseline_path}")
        return 0
    baseline = json.loads(baseline_path.read_text())
    print(f"\n| phase | foxtrack s | Zou s | speed-up | errors |\n|---|---|---|---|---|")
    for name, mine, base, ratio, errors in ratios(baseline, ours):
        r = f"{ratio:.1f}x" if ratio else "-"
        b = f"{base:.3f}" if base is not None else "-"
        print(f"| {name} | {mine:.3f} | {b} | {r} | {errors} |")
    t = ours["totals"]
    print(f"\ntotal: {t['wall_seconds']} s, {t['requests']} requests, errors {t['errors']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
