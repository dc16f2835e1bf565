"""The shared black-box conformance suite (it passes on the real Zou) run against foxtrack."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from foxtrack.testing import RunningServer


@pytest.mark.parametrize("tier", ["seed", "errors", "shapes"])
def test_conformance_tier(tier: str, server: RunningServer, shared_dir: Path) -> None:
    run = subprocess.run(
        [sys.executable, str(shared_dir / "conformance" / "run.py"), "--host", server.api, "--email", server.email,
         "--password", server.password, "--tier", tier],
        capture_output=True, text=True, timeout=600,
    )
    summary = re.search(r"(\d+) passed, (\d+) failed", run.stdout)
    assert summary, run.stdout[-3000:] + run.stderr[-3000:]
    failures = [line for line in run.stdout.splitlines() if line.startswith("FAIL")]
    assert int(summary.group(2)) == 0, "\n".join(failures)
    assert int(summary.group(1)) > 0
