#!/usr/bin/env bash
# Install foxtrack (a local .venv) and start it on the embedded database with a demo production.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e .
exec .venv/bin/foxtrack serve --demo "$@"
