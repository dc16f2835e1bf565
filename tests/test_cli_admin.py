"""The admin commands (``foxtrack.admin``) against the live database of a running server, SQLite and
PostgreSQL: each command runs in this process (typer's runner, the real command line and database),
and its effect is checked over HTTP with gazu or requests, or in the database it wrote."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gazu
import pytest
import requests
import sqlalchemy as sa
from PIL import Image
from typer.testing import CliRunner

from foxtrack.cli import app
from foxtrack.core.context import AUTH_CACHE_SECONDS
from foxtrack.db import schema as s
from foxtrack.media.ffmpeg import ffmpeg_exe
from foxtrack.testing import RunningServer, drop_postgres, postgres_url


def cli(server: RunningServer, *args: str, code: int = 0, database: bool = True) -> Any:
    """Run ``foxtrack *args`` on ``server``'s data dir (and database); the parsed ``--json`` answer."""
    where = ["--data-dir", str(server.data_dir)]
    if database and server.database_url:
        where += ["--database-url", server.database_url]
    result = CliRunner(env={"FOXTRACK_BCRYPT_ROUNDS": "4"}).invoke(app, [*args, *where, "--json"])
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return json.loads(result.stdout) if code in (0, 3) else result.stderr


@pytest.fixture()
def engine(server: RunningServer) -> Iterator[sa.Engine]:
    url = server.database_url or f"sqlite:///{server.data_dir / 'foxtrack.db'}"
    eng = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    yield eng
    eng.dispose()


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def _login(server: RunningServer, email: str, password: str) -> int:
    return requests.post(f"{server.api}/auth/login", json={"email": email, "password": password}, timeout=10).status_code


def _audit_reasons(engine: sa.Engine, person_id: str, event: str) -> list[str]:
    log = s.login_log.c
    with engine.connect() as conn:
        return list(conn.execute(sa.select(log.reason).where(log.person_id == person_id, log.event == event))
                    .scalars())


# ----------------------------------------------------------------------------- db

@pytest.fixture()
def fresh_database(server: RunningServer, tmp_path: Path) -> Iterator[RunningServer]:
    """A database of the server's kind that no server uses (the schema commands change it)."""
    url = postgres_url() if server.database_url else None
    yield RunningServer(server.port, tmp_path, server.process, url, _owns_dir=False)
    if url:
        drop_postgres(url)


def test_db_status_downgrade_upgrade(fresh_database: RunningServer) -> None:
    before = cli(fresh_database, "db", "status")
    assert before["current"] is None and before["pending"][-1] == before["head"] and not before["up_to_date"]
    assert cli(fresh_database, "db", "upgrade") == {"current": before["head"], "head": before["head"], "pending": [],
                                                    "up_to_date": True}
    down = cli(fresh_database, "db", "downgrade", "--revision", "-1")
    assert down["current"] == before["pending"][-2] and down["pending"] == [before["head"]]
    assert cli(fresh_database, "db", "status") == down
    assert cli(fresh_database, "db", "upgrade")["up_to_date"] is True
    assert "Can't locate revision identified by 'nope'" in cli(fresh_database, "db", "upgrade", "--revision", "nope",
                                                               code=1)


# ----------------------------------------------------------------------------- persons

def test_create_bot_gives_a_working_token(server: RunningServer) -> None:
    bot = cli(server, "create-bot", f"Render farm {_tag()}", "--role", "manager")
    answer = requests.get(f"{server.api}/auth/authenticated", timeout=10,
                          headers={"Authorization": f"Bearer {bot['access_token']}"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["user"]["id"] == bot["id"] and answer.json()["user"]["is_bot"] is True
    assert answer.json()["user"]["role"] == "manager"
    assert "Unknown role" in cli(server, "create-bot", "x", "--role", "wizard", code=1)
    assert "future" in cli(server, "create-bot", "x", "--expiration-date", "2001-01-01", code=1)


def test_change_password_and_set_active(server: RunningServer, client: object, engine: sa.Engine) -> None:
    email = f"artist-{_tag()}@studio.test"
    person = gazu.person.new_person("Ada", "Artist", email, password="first-pass-1")
    session = requests.post(f"{server.api}/auth/login", json={"email": email, "password": "first-pass-1"},
                            timeout=10).json()["access_token"]
    assert cli(server, "change-password", email, "--password", "second-pass-2")["password_changed"] is True
    assert _login(server, email, "first-pass-1") in (400, 401)
    time.sleep(AUTH_CACHE_SECONDS + 0.5)  # the server trusts a checked token that long
    old_token = requests.get(f"{server.api}/auth/authenticated", headers={"Authorization": f"Bearer {session}"},
                             timeout=10)
    assert old_token.status_code == 401, old_token.text  # the sessions opened before the change ended
    assert _audit_reasons(engine, person["id"], "password") == ["changed_by_admin"]
    assert _login(server, email, "second-pass-2") == 200
    assert "too short" in cli(server, "change-password", email, "--password", "short", code=1)
    assert "No person" in cli(server, "change-password", "nobody@studio.test", "--password", "long-enough", code=1)

    assert cli(server, "set-person-active", email, "--inactive")["active"] is False
    assert _login(server, email, "second-pass-2") in (400, 401)
    assert cli(server, "set-person-active", email)["active"] is True
    assert _login(server, email, "second-pass-2") == 200


def test_disable_2fa_clears_every_second_factor(server: RunningServer, client: object, engine: sa.Engine) -> None:
    email = f"twofa-{_tag()}@studio.test"
    person = gazu.person.new_person("Tom", "Otp", email, password="two-factor-1")
    p = s.person.c
    with engine.begin() as conn:  # a person with every second factor switched on
        conn.execute(s.person.update().where(p.id == person["id"]).values(
            totp_enabled=True, totp_secret="JBSWY3DPEHPK3PXP", email_otp_enabled=True, fido_enabled=True,
            otp_recovery_codes=["abc"], preferred_two_factor_authentication="totp"))
    done = cli(server, "disable-2fa", email)
    assert {"totp_enabled", "totp_secret", "email_otp_enabled", "fido_enabled", "otp_recovery_codes"} <= set(
        done["cleared"])
    with engine.connect() as conn:
        row = conn.execute(sa.select(p.totp_enabled, p.totp_secret, p.email_otp_enabled, p.fido_enabled,
                                     p.otp_recovery_codes, p.preferred_two_factor_authentication)
                           .where(p.id == person["id"])).one()
    assert tuple(row) == (False, None, False, False, None, None)
    assert _audit_reasons(engine, person["id"], "2fa") == ["disabled_by_admin"]
    assert _login(server, email, "two-factor-1") == 200


# ----------------------------------------------------------------------------- clean-up

def test_clean_auth_tokens_removes_only_expired_revocations(server: RunningServer, engine: sa.Engine) -> None:
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S.%f")
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S.%f")
    old, live = str(uuid.uuid4()), str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(s.revoked_token.insert(), [{"jti": old, "expires_at": past}, {"jti": live, "expires_at": future}])
    removed = cli(server, "clean-auth-tokens")["revoked_token"]
    assert removed >= 1
    with engine.connect() as conn:
        left = set(conn.execute(sa.select(s.revoked_token.c.jti).where(s.revoked_token.c.jti.in_([old, live])))
                   .scalars())
    assert left == {live}


def test_remove_old_data_keeps_the_recent_rows(server: RunningServer, client: object, engine: sa.Engine) -> None:
    project = gazu.project.new_project(f"Old data {_tag()}", "short")
    gazu.asset.new_asset_type(f"Old {_tag()}")
    e = s.api_event.c
    long_ago = "2001-01-01T00:00:00.000000"
    with engine.begin() as conn:
        recent = list(conn.execute(sa.select(e.id).where(e.project_id == project["id"])).scalars())
        conn.execute(s.notification.insert(), {"id": str(uuid.uuid4()), "created_at": long_ago, "updated_at": long_ago,
                                              "type": "comment"})
        old_event = str(uuid.uuid4())
        conn.execute(s.api_event.insert(), {"id": old_event, "created_at": long_ago, "updated_at": long_ago,
                                           "name": "project:update", "data": {}, "project_id": project["id"]})
        conn.execute(s.login_log.insert(), {"id": str(uuid.uuid4()), "created_at": long_ago, "updated_at": long_ago,
                                           "origin": "web"})
    assert recent
    removed = cli(server, "remove-old-data", "--days", "30")
    assert removed["api_event"] >= 1 and removed["notification"] >= 1 and removed["login_log"] >= 1
    with engine.connect() as conn:
        left = set(conn.execute(sa.select(e.id).where(e.project_id == project["id"])).scalars())
        oldest = conn.execute(sa.select(sa.func.min(s.notification.c.created_at))).scalar()
    assert left == set(recent)
    assert oldest is None or oldest > long_ago
    assert "at least 1" in cli(server, "remove-old-data", "--days", "0", code=1)


def test_reset_search_index_counts_what_search_finds(server: RunningServer, client: object) -> None:
    counts = cli(server, "reset-search-index")
    persons = [p for p in gazu.person.all_persons() if not p.get("is_bot")]
    assert counts["persons"] == len(persons) and counts["assets"] >= 0 and counts["shots"] >= 0


# ----------------------------------------------------------------------------- previews

def _stored(server: RunningServer, bucket: str, prefix: str, key: str) -> Path:
    return server.data_dir / "files" / bucket / prefix / key[:3] / key[3:6] / key


def _shot_task(tag: str) -> dict[str, Any]:
    project = gazu.project.new_project(f"Previews {tag}", "short")
    gazu.project.update_project({"id": project["id"], "resolution": "160x90"})
    shot = gazu.shot.new_shot(project, gazu.shot.new_sequence(project, "SQ"), "SH")
    task_type = gazu.task.new_task_type(f"Comp {tag}", for_entity="Shot")
    task: dict[str, Any] = gazu.task.new_task(shot, task_type)
    return task


def test_probe_then_generate_preview_extra(server: RunningServer, client: object, tmp_path: Path) -> None:
    task = _shot_task(_tag())
    picture = tmp_path / "frame.png"
    Image.new("RGB", (320, 180), (10, 120, 200)).save(picture)
    wip = gazu.task.get_task_status_by_short_name("wip")
    _comment, preview = gazu.task.publish_preview(task, wip, comment="frame", preview_file_path=str(picture))
    assert cli(server, "probe-preview-files", "--preview-file-id", preview["id"])["missing_files"] == 0
    for prefix in ("thumbnails", "previews"):
        _stored(server, "pictures", prefix, preview["id"]).unlink()

    probed = cli(server, "probe-preview-files", "--project-id", task["project_id"], code=3)
    assert probed["previews_with_missing_files"] == [
        {"preview_file_id": preview["id"], "extension": "png", "status": "ready", "task_id": task["id"],
         "missing": ["pictures/thumbnails", "pictures/previews"]}]
    made = cli(server, "generate-preview-extra", "--preview-file-id", preview["id"])
    assert made["rebuilt"] == {preview["id"]: ["pictures/thumbnails", "pictures/previews"]}
    assert cli(server, "probe-preview-files", "--preview-file-id", preview["id"])["missing_files"] == 0
    thumbnail = requests.get(f"{server.api}/pictures/thumbnails/preview-files/{preview['id']}.png", timeout=10,
                             headers={"Authorization": f"Bearer {gazu.client.default_client.tokens['access_token']}"})
    assert thumbnail.status_code == 200 and Image.open(_stored(server, "pictures", "thumbnails", preview["id"])).size
    assert "is not an id" in cli(server, "probe-preview-files", "--preview-file-id", "nope", code=1)


def test_renormalize_a_movie_here(server: RunningServer, client: object, tmp_path: Path) -> None:
    task = _shot_task(_tag())
    movie = tmp_path / "clip.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x90:rate=10", "-t", "1",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(movie)], check=True)
    wip = gazu.task.get_task_status_by_short_name("wip")
    _comment, preview = gazu.task.publish_preview(task, wip, comment="clip", preview_file_path=str(movie))
    assert gazu.files.wait_for_preview_file(preview, timeout=60, poll_interval=0.2)["status"] == "ready"
    lowdef = _stored(server, "movies", "lowdef", preview["id"])
    lowdef.unlink()
    _stored(server, "pictures", "tiles", preview["id"]).unlink()
    assert cli(server, "probe-preview-files", "--preview-file-id", preview["id"], code=3)["missing_files"] == 1

    done = cli(server, "renormalize-previews", "--preview-file-id", preview["id"], "--run")
    assert done["queued"] == [preview["id"]] and done["results"] == {preview["id"]: "ready"}
    assert lowdef.is_file() and gazu.files.get_preview_file(preview["id"])["status"] == "ready"
    _stored(server, "pictures", "tiles", preview["id"]).unlink()
    made = cli(server, "generate-preview-extra", "--preview-file-id", preview["id"])
    assert made["rebuilt"] == {preview["id"]: ["pictures/tiles"]}
    assert _stored(server, "pictures", "tiles", preview["id"]).stat().st_size > 0
    broken = cli(server, "renormalize-previews", "--project-id", task["project_id"], "--all-broken")
    assert broken["movies"] == 0 and broken["queued"] == []
