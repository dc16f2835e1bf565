"""Request bodies that are JSON arrays (casting updates, bulk removals)."""

from foxtrack.core.http import json_any

__all__ = ["json_any"]
