"""The app is built from explicit pieces: whatever a script imports first, ``create_app`` makes the same
routes and the same CRUD rules, and services called directly find every feature's rules."""

from __future__ import annotations

import os
import subprocess
import sys

FINGERPRINT = """
import {first}
import tempfile
from pathlib import Path
from foxtrack.app import create_app
from foxtrack.config import Settings
from foxtrack.crud.policy import policies_of

app = create_app(Settings(data_dir=Path(tempfile.mkdtemp())), prepare_database=False)
from fastapi import FastAPI
state = app
while not isinstance(state, FastAPI):  # through the ASGI wrappers (prefix, cache, Socket.IO)
    state = next(getattr(state, a) for a in ("app", "other_asgi_app") if hasattr(state, a))
routes = sorted(f"{{sorted(getattr(r, 'methods', None) or [])}} {{r.path}}" for r in state.routes)
policies = policies_of(state.state.foxtrack)
import re
def plain(value):  # a function as its name, not its address
    return re.sub(r" at 0x[0-9a-f]+", "", repr(value))
rules = sorted(f"{{path}} {{plain(vars(p))}}" for path, p in policies._by_path.items())
import hashlib
print(len(routes), len(rules), hashlib.sha256("\\n".join(routes + rules).encode()).hexdigest())
"""

FIRSTS = ["foxtrack.tasks.service", "foxtrack.crud.service", "foxtrack.persons.service", "foxtrack.entities.service",
          "foxtrack.planning.templates", "foxtrack.comments.service"]


def _fingerprints(firsts: list[str]) -> dict[str, str]:
    """The app's fingerprint in one fresh interpreter per module imported first (run side by side)."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # sets print in one order in every interpreter
    running = {first: subprocess.Popen([sys.executable, "-c", FINGERPRINT.format(first=first)], env=env, text=True,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE) for first in firsts}
    out = {}
    for first, process in running.items():
        stdout, stderr = process.communicate(timeout=180)
        assert process.returncode == 0, stderr[-2000:]
        out[first] = stdout.strip().splitlines()[-1]
    return out


def test_same_app_whatever_is_imported_first() -> None:
    found = _fingerprints(FIRSTS)
    routes, rules, _digest = found[FIRSTS[0]].split()
    assert int(routes) > 300 and int(rules) > 30
    assert {first: found[FIRSTS[0]] for first in FIRSTS} == found


def test_a_service_called_directly_has_every_feature_rule(tmp_path: object) -> None:
    code = """
from foxtrack.crud.policy import Policies
from foxtrack.features import crud_policies
rules = crud_policies()
assert isinstance(rules, Policies)
for path in ("persons", "projects", "tasks", "comments", "preview-files", "playlists", "project-templates"):
    p = rules.get(path)
    assert any(getattr(p, hook) is not None for hook in ("before_create", "delete_hook", "shape_one")), path
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
