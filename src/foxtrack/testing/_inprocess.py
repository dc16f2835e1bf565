"""A foxtrack served by uvicorn in a thread of the current process, on a copy of a template
database: the whole start (copy, seed, app, socket) takes a fraction of a second."""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from foxtrack.config import Settings
from foxtrack.testing._seed import Seed, seed_database

if TYPE_CHECKING:
    import uvicorn

    from foxtrack.client import Project

__all__ = ["Tracker", "build_template", "start_tracker"]

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "mysecretpassword"
DB_NAME = "foxtrack.db"


def _settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, database_url=f"sqlite:///{(data_dir / DB_NAME).resolve()}",
                    secret_key="foxtrack-testing-secret-key-not-for-production", bcrypt_rounds=4,
                    admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD, webhook_retry_seconds=0.2)


def build_template(directory: Path) -> Path:
    """A migrated database with the reference data and the admin, to copy for each tracker."""
    from foxtrack.app import build_state
    from foxtrack.db.engine import migrate
    from foxtrack.db.seed import ensure_admin_from_settings, ensure_reference_data

    directory.mkdir(parents=True, exist_ok=True)
    settings = _settings(directory)
    state = build_state(settings)
    migrate(state.engine)
    ensure_reference_data(state.engine)
    ensure_admin_from_settings(state.engine, settings)
    with state.engine.connect() as conn:  # fold the WAL back so the file alone is complete
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    state.engine.dispose()
    return directory / DB_NAME


@dataclass
class Tracker:
    """A running, seeded foxtrack. ``ids`` maps seeded names to ids (see ``seed_database``)."""

    api: str
    ids: dict[str, str]
    seed: Seed
    data_dir: Path
    email: str = ADMIN_EMAIL
    password: str = ADMIN_PASSWORD
    _server: uvicorn.Server | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The server root (Socket.IO and ``gazu.set_event_host`` use it)."""
        return self.api.removesuffix("/api")

    @property
    def project_id(self) -> str:
        """The seeded project's id."""
        return self.ids["project"]

    def env(self) -> dict[str, str]:
        """``TRACKER_*`` variables that make ``Project.from_env()`` open the seeded project."""
        return {"TRACKER_URL": self.api, "TRACKER_LOGIN": self.email, "TRACKER_PASSWORD": self.password,
                "TRACKER_PROJECT": self.seed.project}

    def project(self, login: str | None = None, password: str | None = None) -> Project:
        """An entity-API handle on the seeded project (as the admin, or as ``login``)."""
        from foxtrack.client import Project

        if login is not None and password is None:
            password = self.seed.people_password
        return Project.connect(self.api, project=self.seed.project, login=login or self.email,
                               password=password or self.password)

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
            self._server = self._thread = None


def start_tracker(seed: Seed | None = None, data_dir: Path | None = None, template: Path | None = None) -> Tracker:
    """Seed a fresh database (a copy of ``template`` when given) and serve it on a free port."""
    import uvicorn

    from foxtrack.app import create_app

    seed = seed or Seed()
    data_dir = Path(data_dir or tempfile.mkdtemp(prefix="foxtrack-tracker-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    if template is None:
        template = build_template(data_dir / "template")
    shutil.copyfile(template, data_dir / DB_NAME)
    settings = _settings(data_dir)
    engine = sa.create_engine(settings.resolved_database_url())
    with engine.connect() as conn:
        admin_id = str(conn.execute(sa.text("SELECT id FROM person WHERE email = :e"), {"e": ADMIN_EMAIL}).scalar())
    ids = seed_database(engine, seed, admin_id)
    engine.dispose()

    app: Any = create_app(settings, prepare_database=False)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"foxtrack-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the in-process foxtrack did not start")
        time.sleep(0.002)
    return Tracker(f"http://127.0.0.1:{port}/api", ids, seed, data_dir, _server=server, _thread=thread)
