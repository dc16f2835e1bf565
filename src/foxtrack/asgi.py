"""ASGI entry point for uvicorn workers: the app built from FOXTRACK_* settings."""

from foxtrack.app import create_app

application = create_app()
