"""ASGI entry point for uvicorn workers: the app built from FOXTRACK_* settings."""

from foxtrack.app import create_app
from foxtrack.events.sticky import run_dir

# the workers of ``foxtrack serve --workers N`` share a database the command has prepared once
application = create_app(prepare_database=run_dir() is None)
