"""Errors raised by the entity API (transport errors stay gazu's own exceptions)."""

from __future__ import annotations

__all__ = ["AmbiguousName", "ConfigurationError", "NotFound"]


class NotFound(LookupError):
    """No record matches the lookup (``project.shots.get(name="nope")``)."""


class AmbiguousName(LookupError):
    """Several records match a lookup that should name exactly one; narrow it down."""


class ConfigurationError(RuntimeError):
    """The connection settings are missing or malformed (``TRACKER_URL`` without ``/api``...)."""
