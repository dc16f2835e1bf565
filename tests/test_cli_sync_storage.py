"""The admin commands that move data between places: ``sync-full``/``sync-changes`` (the running server is
the source, a database of the same kind the target), ``import-shotgun`` with ``--resume``, ``import-zou
--resume``, and ``upload-files-to-cloud-storage`` and back against a real S3 server (moto, loopback)."""

from __future__ import annotations

import importlib.util
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gazu
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from foxtrack.cli import app
from foxtrack.db import schema as s
from foxtrack.testing import RunningServer, drop_postgres, free_port, moto_server, postgres_url


def run(*args: str, code: int = 0, env: dict[str, str] | None = None) -> Any:
    result = CliRunner(env={"FOXTRACK_BCRYPT_ROUNDS": "4", **(env or {})}).invoke(app, [*args, "--json"])
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return json.loads(result.stdout) if code == 0 else result.stderr


class Target:
    """A foxtrack database no server uses, of the server's kind."""

    def __init__(self, data_dir: Path, url: str | None):
        self.data_dir, self.url = data_dir, url
        self.engine = sa.create_engine((url or f"sqlite:///{data_dir / 'foxtrack.db'}")
                                       .replace("postgresql://", "postgresql+psycopg://"))

    @property
    def args(self) -> list[str]:
        return ["--data-dir", str(self.data_dir), *(["--database-url", self.url] if self.url else [])]

    def rows(self, table: sa.Table, *where: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(table).where(*where))]


@pytest.fixture()
def target(server: RunningServer, tmp_path: Path) -> Iterator[Target]:
    url = postgres_url() if server.database_url else None
    made = Target(tmp_path / "target", url)
    yield made
    made.engine.dispose()
    if url:
        drop_postgres(url)


def _source(server: RunningServer) -> list[str]:
    return ["--source", server.api, "--source-email", server.email, "--source-password", server.password]


def test_sync_full_then_changes(server: RunningServer, client: object, target: Target) -> None:
    tag = uuid.uuid4().hex[:8]
    project = gazu.project.new_project(f"Synced {tag}", "short")
    sequence = gazu.shot.new_sequence(project, "SQ01")
    shot = gazu.shot.new_shot(project, sequence, "SH010", nb_frames=24)
    kept = gazu.shot.new_shot(project, sequence, "SH020")
    task_type = gazu.task.new_task_type(f"Layout {tag}", for_entity="Shot")
    task = gazu.task.new_task(shot, task_type)
    artist = gazu.person.new_person("Syd", "Sync", f"syd-{tag}@studio.test")
    gazu.task.assign_task(task, artist)

    done = run("sync-full", *_source(server), "--project", project["name"], *target.args)
    assert done["projects"] == [project["name"]] and done["written"]["projects"] == 1
    assert done["written"]["entities"] >= 3 and done["written"]["tasks"] == 1
    [copied] = target.rows(s.entity, s.entity.c.id == shot["id"])
    assert (copied["name"], copied["nb_frames"], copied["parent_id"]) == ("SH010", 24, sequence["id"])
    [copied_task] = target.rows(s.task, s.task.c.id == task["id"])
    assert copied_task["task_type_id"] == task_type["id"]
    assert target.rows(s.task_person_link, s.task_person_link.c.task_id == task["id"]) == [
        {"task_id": task["id"], "person_id": artist["id"]}]
    assert target.rows(s.person, s.person.c.id == artist["id"])[0]["password"] is None
    assert "no project" in run("sync-full", *_source(server), "--project", "Nope", *target.args, code=1)

    since = gazu.client.get("data/events/last", params={"limit": 1})[0]["created_at"]
    gazu.shot.update_shot({"id": shot["id"], "name": "SH010b"})
    gazu.shot.remove_shot(kept, force=True)
    changes = run("sync-changes", *_source(server), "--since", since, *target.args)
    assert changes["events"] >= 2 and changes["removed"] == {"entities": 1}
    assert target.rows(s.entity, s.entity.c.id == shot["id"])[0]["name"] == "SH010b"
    assert target.rows(s.entity, s.entity.c.id == kept["id"]) == []
    cursor = json.loads((target.data_dir / "sync-changes.json").read_text())[server.api]
    assert cursor["after"] == changes["cursor"] and cursor["after"] >= since[:19] and cursor["seen"]
    nothing = run("sync-changes", *_source(server), *target.args)  # nothing new since: nothing applied again
    assert (nothing["events"], nothing["total_written"]) == (0, 0)


def test_import_shotgun_resumes(server: RunningServer, client: object, target: Target, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    project = {"type": "Project", "id": 9000 + int(tag[:4], 16), "name": f"SG {tag}"}
    export = tmp_path / "sg"
    export.mkdir()
    entries = {
        "persons": [{"type": "HumanUser", "id": 71, "firstname": "Sam", "lastname": "Grid", "email": f"sam-{tag}@sg.test",
                     "login": f"sam{tag}", "sg_status_list": "act", "permission_rule_set": None, "department": None}],
        "projects": [{**project, "sg_status": "Active", "sg_description": "From ShotGrid"}],
        "sequences": [{"type": "Sequence", "id": 81, "code": "SQ010", "description": "Opening", "project": project,
                       "episode": None}],
        "shots": [{"type": "Shot", "id": 91, "code": "SH0010", "project": project,
                   "sg_sequence": {"type": "Sequence", "id": 81}, "sg_cut_in": 1001, "sg_cut_out": 1049,
                   "sg_cut_duration": 48}],
    }
    for kind, items in entries.items():
        (export / f"{kind}.json").write_text(json.dumps(items))
    # a run that stopped after the persons: its journal says so
    target.data_dir.mkdir(parents=True, exist_ok=True)
    journal = target.data_dir / "import-shotgun.json"
    journal.write_text(json.dumps({str(export.resolve()): {"persons": 1}}))
    refused = run("import-shotgun", str(export), "--resume", *target.args, code=1)
    assert "No active admin" in refused
    made = CliRunner(env={"FOXTRACK_BCRYPT_ROUNDS": "4"}).invoke(
        app, ["create-admin", "boss@example.com", "--password", "boss-password-1", *target.args])
    assert made.exit_code == 0, made.stdout
    resumed = run("import-shotgun", str(export), "--resume", *target.args)
    assert resumed["written"] == {"projects": 1, "sequences": 1, "shots": 1}  # the persons were done
    assert target.rows(s.person, s.person.c.shotgun_id == 71) == []
    assert not json.loads(journal.read_text())  # finished: the journal forgets the folder
    full = run("import-shotgun", str(export), *target.args)  # again, whole: known entries are updated
    assert full["written"] == {"persons": 1, "projects": 1, "sequences": 1, "shots": 1}
    assert len(target.rows(s.project, s.project.c.name == project["name"])) == 1
    [shot] = target.rows(s.entity, s.entity.c.shotgun_id == 91)
    assert shot["name"] == "SH0010" and shot["data"]["frame_out"] == 1049
    assert "none of" in run("import-shotgun", str(tmp_path), *target.args, code=1)


def _zou_builder() -> Any:
    path = Path(__file__).parent / "test_zou_import.py"
    spec = importlib.util.spec_from_file_location("zou_import_fixture", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_import_zou_resume(tmp_path: Path) -> None:
    zou_url = postgres_url()
    if zou_url is None:
        pytest.skip("PostgreSQL is not reachable (the Zou source is a PostgreSQL database)")
    try:
        _zou_builder()._build_zou(zou_url)
        where = ["--data-dir", str(tmp_path)]
        # an interrupted --resume run finished the persons and the project statuses, then stopped
        journal = tmp_path / "import-zou.json"
        from foxtrack.admin.imports import _key

        journal.write_text(json.dumps({_key(zou_url): ["person"]}))
        resumed = run("import-zou", "--from-url", zou_url, "--resume", *where)
        assert resumed["tables"]["person"] == 0 and resumed["tables"]["task"] == 1
        assert json.loads(journal.read_text()) == {}
        again = run("import-zou", "--from-url", zou_url, "--resume", "--replace", *where)
        assert again["tables"]["person"] == 1 and again["total_rows"] == resumed["total_rows"] + 1
        refused = CliRunner().invoke(app, ["import-zou", "--from-url", zou_url, *where])
        assert refused.exit_code == 1 and "--replace" in refused.stdout
    finally:
        drop_postgres(zou_url)


# ----------------------------------------------------------------------------- S3

@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    pytest.importorskip("moto")
    with moto_server() as endpoint:
        yield endpoint


def test_files_to_s3_and_back(s3_endpoint: str, tmp_path: Path) -> None:
    import boto3

    keys = {("pictures", "thumbnails", str(uuid.uuid4())): b"thumb", ("movies", "previews", str(uuid.uuid4())): b"mp4" * 9,
            ("files", "attachments", str(uuid.uuid4())): b"pdf"}
    for (bucket, prefix, key), data in keys.items():
        path = tmp_path / "files" / bucket / prefix / key[:3] / key[3:6] / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    env = {"FOXTRACK_S3_ACCESS_KEY": "test", "FOXTRACK_S3_SECRET_KEY": "test", "FOXTRACK_S3_REGION": "us-east-1"}
    where = ["--bucket", "studio-files", "--endpoint-url", s3_endpoint, "--data-dir", str(tmp_path)]
    up = run("upload-files-to-cloud-storage", *where, env=env)
    assert (up["files"], up["copied"], up["already_there"]) == (3, 3, 0)
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, aws_access_key_id="test", aws_secret_access_key="test",
                      region_name="us-east-1")
    stored = {o["Key"]: o["Size"] for o in s3.list_objects_v2(Bucket="studio-files")["Contents"]}
    assert stored == {f"{b}/{p}/{k}": len(d) for (b, p, k), d in keys.items()}
    assert run("upload-files-to-cloud-storage", *where, env=env)["already_there"] == 3  # a second run resumes

    back = tmp_path / "back"
    down = run("download-files-from-cloud-storage", "--bucket", "studio-files", "--endpoint-url", s3_endpoint,
               "--data-dir", str(back), env=env)
    assert (down["files"], down["copied"]) == (3, 3)
    for (bucket, prefix, key), data in keys.items():
        assert (back / "files" / bucket / prefix / key[:3] / key[3:6] / key).read_bytes() == data
    assert "No bucket" in run("upload-files-to-cloud-storage", "--data-dir", str(tmp_path), code=1,
                              env={"FOXTRACK_S3_BUCKET": ""})


def test_unreachable_s3_is_refused_with_the_reason(tmp_path: Path) -> None:
    key = str(uuid.uuid4())
    stored = tmp_path / "files" / "pictures" / "thumbnails" / key[:3] / key[3:6] / key
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"thumb")
    env = {"FOXTRACK_S3_ACCESS_KEY": "test", "FOXTRACK_S3_SECRET_KEY": "test"}
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    for command in ("upload-files-to-cloud-storage", "download-files-from-cloud-storage"):
        said = run(command, "--bucket", "studio-files", "--endpoint-url", closed, "--data-dir", str(tmp_path),
                   code=1, env=env)
        assert f"S3 ({closed}, bucket studio-files): Could not connect" in said, said


def test_import_zou_takes_only_a_postgresql_url(tmp_path: Path) -> None:
    said = run("import-zou", "--from-url", "mysql://zou:secret@127.0.0.1/zoudb", "--data-dir", str(tmp_path), code=2)
    assert "must be Zou's PostgreSQL database" in said and "secret" not in said
