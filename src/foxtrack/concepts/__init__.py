"""Concept folders: how a production's concepts are sorted (``/data/projects/<id>/concept-folders``,
``/data/concept-folders/<id>``, ``/actions/projects/<id>/move-concepts``)."""
