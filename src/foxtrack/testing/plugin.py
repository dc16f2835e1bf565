"""The foxtrack pytest plugin: a ``tracker`` fixture for testing pipeline code against a real,
seeded, throw-away foxtrack (registered as the ``foxtrack`` pytest11 entry point).

Example (a whole test module)::

    import gazu
    import pytest

    from foxtrack.client import Project

    @pytest.mark.tracker_seed(sequences={"sq010": ["sq010_sh0010", "sq010_sh0020"]})
    def test_lists_shots(tracker):
        # gazu's default client is already logged in as the admin, on the seeded server
        shots = gazu.shot.all_shots_for_project(tracker.project_id)
        assert sorted(s["name"] for s in shots) == ["sq010_sh0010", "sq010_sh0020"]
        # and TRACKER_* point at it, so pipeline code that calls Project.from_env() just works
        assert Project.from_env().shots.get(name="sq010_sh0010").id == tracker.ids["sq010_sh0010"]

The seed comes from the ``tracker_seed`` marker (keyword arguments or a ``Seed``/dict), else from
the ``tracker_seed`` fixture, which a test module or conftest can override::

    @pytest.fixture
    def tracker_seed():
        return Seed(project="Fox Tales", assets={"Character": ["Fox", "Crow"]})

Each test gets its own server on a free port and its own SQLite database (a copy of a template
built once per session), so tests can write freely and run in any order.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gazu
import pytest

from foxtrack.testing._inprocess import Tracker, build_template, start_tracker
from foxtrack.testing._seed import Seed

__all__ = ["Seed", "Tracker", "start_tracker", "tracker", "tracker_seed"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "tracker_seed(seed=None, **fields): what the foxtrack `tracker` fixture seeds (see foxtrack.testing.Seed)")


@pytest.fixture(scope="session")
def _foxtrack_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("foxtrack-template"))


@pytest.fixture
def tracker_seed() -> Seed:
    """The default seed: project "Test Project", sequence sq170 with shot sq170_sh0224, asset Hero
    (Character), task types Anim3D (shots) and Modeling (assets) with a task each, one artist."""
    return Seed()


def _seed_for(request: pytest.FixtureRequest, default: Seed) -> Seed:
    marker = request.node.get_closest_marker("tracker_seed")
    if marker is None:
        return default
    if marker.args:
        if len(marker.args) > 1 or marker.kwargs:
            raise TypeError("tracker_seed takes one Seed/dict, or keyword fields")
        return Seed.of(marker.args[0])
    return Seed.of(marker.kwargs)


@pytest.fixture
def tracker(request: pytest.FixtureRequest, tracker_seed: Seed, _foxtrack_template: Path, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Tracker]:
    """A seeded foxtrack for this test; gazu's default client and ``TRACKER_*`` point at it."""
    running = start_tracker(_seed_for(request, tracker_seed), tmp_path / "foxtrack", _foxtrack_template)
    for name, value in running.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TRACKER_TOKEN", raising=False)
    previous_host = gazu.client.get_host()
    gazu.client.set_host(running.api)
    gazu.log_in(running.email, running.password)  # type: ignore[no-untyped-call]
    try:
        yield running
    finally:
        gazu.client.set_tokens({})
        gazu.client.set_host(previous_host)
        running.stop()
