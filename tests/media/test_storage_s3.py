"""The S3 backend against a real S3-compatible server (moto in server mode on a loopback port):
uploads land in the bucket, downloads redirect to presigned URLs that serve the bytes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import gazu
import pytest
import requests
from media_helpers import make_movie, make_picture

from foxtrack.testing import RunningServer, moto_server, start_server

pytest.importorskip("moto")
boto3 = pytest.importorskip("boto3")

BUCKET = "foxtrack-test"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture()
def s3_server(s3_endpoint: str) -> Iterator[RunningServer]:
    env = {"FOXTRACK_S3_BUCKET": BUCKET, "FOXTRACK_S3_ENDPOINT_URL": s3_endpoint, "FOXTRACK_S3_ACCESS_KEY": "test",
           "FOXTRACK_S3_SECRET_KEY": "test", "FOXTRACK_S3_REGION": "us-east-1"}
    srv = start_server(env=env)
    try:
        gazu.set_host(srv.api)
        gazu.log_in(srv.email, srv.password)
        yield srv
    finally:
        srv.stop()


def bucket_keys(endpoint: str) -> set[str]:
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test",
                      region_name="us-east-1")
    return {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_previews_and_attachments_on_s3(s3_server: RunningServer, s3_endpoint: str, tmp_path: Path) -> None:
    project = gazu.project.new_project(f"S3 {time.monotonic_ns()}", "short")
    gazu.project.update_project({"id": project["id"], "resolution": "320x180"})
    shot = gazu.shot.new_shot(project, gazu.shot.new_sequence(project, "SQ"), "SH")
    task = gazu.task.new_task(shot, gazu.task.new_task_type(f"S3 {time.monotonic_ns()}", for_entity="Shot"))
    wip = gazu.task.get_task_status_by_short_name("wip")
    _c, picture = gazu.task.publish_preview(task, wip, comment="pic",
                                            preview_file_path=str(make_picture(tmp_path / "p.png", (300, 200))))
    comment, movie = gazu.task.publish_preview(task, wip, comment="movie",
                                               preview_file_path=str(make_movie(tmp_path / "m.mp4", seconds=1)),
                                               )
    ready = gazu.files.wait_for_preview_file(movie, timeout=60, poll_interval=0.3)
    assert ready["status"] == "ready"
    keys = bucket_keys(s3_endpoint)
    for key in (f"pictures/original/{picture['id']}", f"pictures/thumbnails/{picture['id']}",
                f"movies/previews/{movie['id']}", f"movies/lowdef/{movie['id']}", f"movies/source/{movie['id']}",
                f"pictures/tiles/{movie['id']}"):
        assert key in keys, key

    token = gazu.client.default_client.tokens["access_token"]
    url = f"{s3_server.api}/movies/originals/preview-files/{movie['id']}.mp4"
    redirect = requests.get(url, headers={"Authorization": f"Bearer {token}"}, allow_redirects=False, timeout=10)
    assert redirect.status_code == 302 and redirect.headers["location"].startswith(s3_endpoint)
    direct = requests.get(redirect.headers["location"], timeout=10)
    assert direct.status_code == 200 and direct.headers["content-type"] == "video/mp4"
    ranged = requests.get(redirect.headers["location"], headers={"Range": "bytes=0-9"}, timeout=10)
    assert ranged.status_code == 206 and ranged.content == direct.content[:10]
    # gazu follows the redirect
    gazu.files.download_preview_file(ready, str(tmp_path / "dl.mp4"))
    assert (tmp_path / "dl.mp4").read_bytes() == direct.content
    gazu.files.download_preview_file_thumbnail(picture, str(tmp_path / "thumb.png"))
    assert (tmp_path / "thumb.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # attachments too
    note = tmp_path / "notes.txt"
    note.write_text("retake the hands")
    attachment = gazu.task.add_comment(task, wip, "with file", attachments=[str(note)])["attachment_files"][0]
    gazu.files.download_attachment_file(attachment, str(tmp_path / "back.txt"))
    assert (tmp_path / "back.txt").read_text() == "retake the hands"
    assert f"files/attachments/{attachment['id']}" in bucket_keys(s3_endpoint)
    # refusing outsiders happens before any redirect
    assert requests.get(url, allow_redirects=False, timeout=10).status_code == 401
