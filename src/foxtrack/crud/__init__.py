"""The generic ``/data/<model>`` CRUD with Zou's semantics, and the hooks features attach to it."""
