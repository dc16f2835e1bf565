"""Id normalisation: accept a UUID string, a dict carrying ``id`` or any object with an ``id``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

__all__ = ["HasId", "IdLike", "get_id", "is_uuid"]

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@runtime_checkable
class HasId(Protocol):
    """Anything with an ``id`` attribute: every record of the entity API."""

    @property
    def id(self) -> str: ...


IdLike = str | Mapping[str, Any] | HasId


def is_uuid(value: object) -> bool:
    """True when ``value`` is a string shaped like a UUID (what Kitsu ids are)."""
    return isinstance(value, str) and bool(_UUID.match(value))


def get_id(value: IdLike) -> str:
    """The id of ``value``: a UUID string as is, ``value["id"]`` of a dict, ``value.id`` otherwise.

    >>> get_id("0c3e1a2b-5f6d-4e7a-8b9c-0d1e2f3a4b5c")
    '0c3e1a2b-5f6d-4e7a-8b9c-0d1e2f3a4b5c'
    >>> get_id({"id": "0c3e1a2b-5f6d-4e7a-8b9c-0d1e2f3a4b5c", "name": "sq170_sh0224"})
    '0c3e1a2b-5f6d-4e7a-8b9c-0d1e2f3a4b5c'

    Raises ``ValueError`` for anything else (a name is not an id).
    """
    if isinstance(value, str):
        found: object = value
    elif isinstance(value, Mapping):
        found = value.get("id")
    else:
        found = getattr(value, "id", None)
    if not is_uuid(found):
        raise ValueError(f"expected an id (UUID string, dict with 'id' or record), got {value!r}")
    return str(found)
