"""The administration of a running studio: what ``foxtrack <command>`` does, apart from ``serve``.

Each module holds the logic of a family of commands (database, persons, clean-up, previews, storage,
sync, imports, backups) as plain functions that take an ``AppState`` and report progress through a
``Progress`` callback; ``foxtrack.admin.commands`` wires them to the command line. Every write goes
through the unit of work (``state.write()``), as a request's would.
"""
