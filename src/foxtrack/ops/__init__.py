"""The operations engine: one way to change data.

``AppState.write()`` opens a unit of work (``core.context.Tx``): every SQL write goes through its
``insert``/``update``/``delete``, which check values against their columns (``core.models.check_values``); every event
goes through ``emit``, which checks it against the catalog (``catalog``) and writes its row in the same
transaction; work that cannot roll back is registered with ``after_commit`` (or undone by
``on_rollback``). Model-level operations (create, update, delete of a ``/data/<model>`` row, with the
policy check and the generic events) live in ``crud.service`` and call the unit; named actions (a comment
with a status change, an assignment, a casting) live in their feature's service and call it too.
"""

from foxtrack.ops.catalog import CATALOG, EventType, UnknownEvent

__all__ = ["CATALOG", "EventType", "UnknownEvent"]
