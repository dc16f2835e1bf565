"""The route x role matrix of ``test_role_matrix.py`` on PostgreSQL: a file of its own, so that the
SQLite and PostgreSQL replays run on two test workers at once (``pytest -n 2 --dist loadfile``)."""

from __future__ import annotations

from tests.compat.test_role_matrix import check_matrix, replayed


def test_role_matrix_on_postgresql() -> None:
    with replayed("postgresql") as (cells, holes):
        check_matrix(cells, holes)
