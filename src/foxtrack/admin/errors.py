"""The one error an admin command reports to its user (the command line prints it and exits 1)."""

from __future__ import annotations


class AdminError(Exception):
    """A command cannot do what it was asked (unknown person, bad argument...): the message says why."""
