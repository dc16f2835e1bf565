"""Movie previews through gazu: uploaded, transcoded off the request, downloaded in every variant."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import gazu
import pytest
import requests
from PIL import Image

from foxtrack.testing import RunningServer
from media_helpers import RESOLUTION, Publish, make_movie, streams


def auth(server: RunningServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {gazu.client.default_client.tokens['access_token']}"}


def wait_ready(preview: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
    return gazu.files.wait_for_preview_file(preview, timeout=timeout, poll_interval=0.3)


def picture_size(server: RunningServer, url: str) -> tuple[int, int]:
    answer = requests.get(f"{server.api}/{url}", headers=auth(server), timeout=10)
    assert answer.status_code == 200, (url, answer.status_code, answer.text[:200])
    assert answer.headers["content-type"] == "image/png"
    return Image.open(io.BytesIO(answer.content)).size


def test_movie_is_transcoded_off_the_request(server: RunningServer, publish: Publish, movie: Path,
                                             tmp_path: Path) -> None:
    started = time.monotonic()
    comment, preview = publish(movie)
    assert time.monotonic() - started < 3
    assert preview["status"] == "processing" and preview["extension"] == "mp4"
    assert preview["original_name"] == "render"
    ready = wait_ready(preview)
    assert ready["status"] == "ready", ready
    assert (ready["width"], ready["height"]) == RESOLUTION
    assert ready["duration"] == pytest.approx(2.0, abs=0.05)
    assert ready["data"]["original_width"] == 320 and ready["data"]["original_height"] == 240
    assert ready["data"]["movie_prefixes"] == ["previews", "lowdef"]
    assert ready["file_size"] > 0

    high = tmp_path / "high.mp4"
    gazu.client.download(f"movies/originals/preview-files/{preview['id']}.mp4", str(high))
    info = streams(high)
    assert info["video"]["codec_name"] == "h264" and info["video"]["pix_fmt"] == "yuv420p"
    assert (info["video"]["width"], info["video"]["height"]) == RESOLUTION
    assert info["audio"] is not None and info["audio"]["codec_name"] == "aac"
    assert info["duration"] == pytest.approx(2.0, abs=0.1)
    low = tmp_path / "low.mp4"
    gazu.client.download(f"movies/low/preview-files/{preview['id']}.mp4", str(low))
    assert (streams(low)["video"]["width"], streams(low)["video"]["height"]) == (1280, 720)
    gazu.files.download_preview_file(ready, str(tmp_path / "dl.mp4"))
    assert (tmp_path / "dl.mp4").read_bytes() == high.read_bytes()

    assert picture_size(server, f"pictures/thumbnails/preview-files/{preview['id']}.png") == (150, 100)
    assert picture_size(server, f"pictures/thumbnails-square/preview-files/{preview['id']}.png") == (100, 100)
    assert picture_size(server, f"pictures/previews/preview-files/{preview['id']}.png") == (1200, 675)
    assert picture_size(server, f"pictures/originals/preview-files/{preview['id']}.png") == RESOLUTION
    tiles = picture_size(server, f"movies/tiles/preview-files/{preview['id']}.png")
    assert tiles == (8 * 178, 7 * 100)  # 50 frames, 100 px high, 8 a row
    stored = gazu.task.get_comment(comment["id"])
    assert stored["text"] == "render" and [p["id"] for p in stored["previews"]] == [preview["id"]]


def test_download_answers_range_and_conditional_get(server: RunningServer, publish: Publish, movie: Path) -> None:
    _comment, preview = publish(movie)
    wait_ready(preview)
    url = f"{server.api}/movies/originals/preview-files/{preview['id']}.mp4"
    full = requests.get(url, headers=auth(server), timeout=10)
    assert full.status_code == 200 and full.headers["accept-ranges"] == "bytes"
    size = len(full.content)
    part = requests.get(url, headers={**auth(server), "Range": "bytes=100-199"}, timeout=10)
    assert part.status_code == 206 and part.content == full.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{size}"
    tail = requests.get(url, headers={**auth(server), "Range": "bytes=-10"}, timeout=10)
    assert tail.status_code == 206 and tail.content == full.content[-10:]
    assert requests.get(url, headers={**auth(server), "Range": f"bytes={size + 10}-"}, timeout=10).status_code == 416
    again = requests.get(url, headers={**auth(server), "If-None-Match": full.headers["etag"]}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    since = requests.get(url, headers={**auth(server), "If-Modified-Since": full.headers["last-modified"]},
                         timeout=10)
    assert since.status_code == 304
    named = requests.get(f"{server.api}/movies/originals/preview-files/{preview['id']}/download",
                         headers=auth(server), timeout=10)
    assert named.status_code == 200 and named.headers["content-disposition"].startswith("attachment; filename=")
    assert named.headers["content-disposition"].endswith("_v1.mp4")
    assert requests.get(url, timeout=10).status_code == 401


def test_silent_mov_gets_audio_and_project_fps(publish: Publish, tmp_path: Path) -> None:
    source = make_movie(tmp_path / "silent.mov", seconds=1.5, size="200x300", rate=30, audio=False)
    _comment, preview = publish(source)
    ready = wait_ready(preview)
    assert ready["status"] == "ready" and ready["extension"] == "mp4"
    out = tmp_path / "out.mp4"
    gazu.client.download(f"movies/originals/preview-files/{preview['id']}.mp4", str(out))
    info = streams(out)
    assert info["audio"] is not None  # a silent track was added
    assert info["video"]["fps"] == 25
    assert (info["video"]["width"], info["video"]["height"]) == RESOLUTION  # portrait scaled and padded


def test_project_access_is_checked(server: RunningServer, publish: Publish, movie: Path) -> None:
    _comment, preview = publish(movie)
    wait_ready(preview)
    email = f"outsider{time.monotonic_ns()}@example.com"
    gazu.person.new_person("Out", "Sider", email, password="outsider-pass-1", role="user")
    other = gazu.client.create_client(server.api)
    gazu.log_in(email, "outsider-pass-1", client=other)
    token = other.tokens["access_token"]
    for url in (f"movies/originals/preview-files/{preview['id']}.mp4",
                f"pictures/thumbnails/preview-files/{preview['id']}.png"):
        answer = requests.get(f"{server.api}/{url}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert answer.status_code == 403, url
