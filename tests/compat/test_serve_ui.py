"""``foxtrack serve --ui DIR``: a Kitsu build served on the API's origin, against a live server with a
small fake build (index.html + one hashed asset)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import gazu
import pytest
import requests

from foxtrack.testing import RunningServer, start_server

INDEX = "<!doctype html><html><head><script src=\"/assets/app-1234.js\"></script></head><body></body></html>"
SCRIPT = "console.log('kitsu')"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


SECRET = "foxtrack-ui-test-secret.txt"  # written beside the UI folder, which must not serve it


@pytest.fixture(scope="module")
def ui_server() -> Iterator[RunningServer]:
    ui = Path(tempfile.mkdtemp(prefix="foxtrack-ui-")) / "dist"
    ui.mkdir()
    (ui / "assets").mkdir()
    (ui / "index.html").write_text(INDEX)
    (ui / "assets" / "app-1234.js").write_text(SCRIPT)
    (ui / "assets" / "app-1234.css").write_text("body { color: red }")
    (ui / "favicon.ico").write_bytes(b"\x00\x00\x01\x00")
    (ui.parent / SECRET).write_text("outside")
    server = start_server(extra_args=["--ui", str(ui)])
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(ui.parent, ignore_errors=True)


def _root(server: RunningServer) -> str:
    return f"http://127.0.0.1:{server.port}"


def test_index_and_spa_fallback(ui_server: RunningServer) -> None:
    root = _root(ui_server)
    for path in ("/", "/index.html", "/productions/1234/assets", "/my-tasks", "/login"):
        answer = requests.get(root + path, headers=BROWSER, timeout=10)
        assert answer.status_code == 200, path
        assert answer.text == INDEX, path
        assert answer.headers["content-type"] == "text/html; charset=utf-8"
        assert answer.headers["cache-control"] == "no-cache"
    head = requests.head(root + "/productions/1234/shots", headers=BROWSER, timeout=10)
    assert head.status_code == 200 and head.headers["content-type"].startswith("text/html")


def test_assets_content_types_and_cache(ui_server: RunningServer) -> None:
    root = _root(ui_server)
    script = requests.get(root + "/assets/app-1234.js", timeout=10)
    assert script.status_code == 200 and script.text == SCRIPT
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
    css = requests.get(root + "/assets/app-1234.css", timeout=10)
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    icon = requests.get(root + "/favicon.ico", timeout=10)
    assert icon.status_code == 200 and icon.headers["cache-control"] == "no-cache"
    # revalidation of the index answers 304 with its cache header
    index = requests.get(root + "/", headers=BROWSER, timeout=10)
    again = requests.get(root + "/", headers={**BROWSER, "If-None-Match": index.headers["etag"]}, timeout=10)
    assert again.status_code == 304 and again.headers["cache-control"] == "no-cache"
    # a missing asset is not answered with the index
    missing = requests.get(root + "/assets/gone-9999.js", timeout=10)
    assert missing.status_code == 404 and missing.json()["error"] is True


def test_api_keeps_priority(ui_server: RunningServer) -> None:
    root = _root(ui_server)
    # under /api, a browser-like Accept still gets JSON, and an unknown route a JSON 404
    config = requests.get(root + "/api/config", headers=BROWSER, timeout=10)
    assert config.status_code == 200 and config.headers["content-type"] == "application/json"
    assert {"is_self_hosted", "saml_enabled", "default_locale", "enforce_2fa"} <= set(config.json())
    assert requests.get(root + "/api", headers=BROWSER, timeout=10).json()["api"] == "Zou"
    unknown = requests.get(root + "/api/productions/1234", headers=BROWSER, timeout=10)
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/json"
    assert requests.get(root + "/api/data/projects", headers=BROWSER, timeout=10).status_code == 401
    polling = requests.get(root + "/socket.io/?EIO=4&transport=polling", headers=BROWSER, timeout=10)
    assert polling.status_code == 200 and polling.text.startswith("0{")
    # bare API paths still answer clients that do not ask for HTML (gazu on the bare host)
    assert requests.get(root + "/config", timeout=10).json()["is_self_hosted"] is True
    assert requests.post(root + "/auth/login", json={"email": "x@example.com", "password": "x"},
                         timeout=10).status_code == 400
    c = gazu.client.create_client(root)
    gazu.log_in(ui_server.email, ui_server.password, client=c)
    assert isinstance(gazu.project.all_projects(client=c), list)


@pytest.mark.parametrize("path", ["/..%2f..%2fetc/passwd", "/assets/..%2f..%2f..%2fetc/passwd",
                                  "/%2e%2e/%2e%2e/etc/passwd", "/..%5c..%5cetc%5cpasswd"])
def test_path_traversal_is_refused(ui_server: RunningServer, path: str) -> None:
    for headers in ({}, BROWSER):
        answer = requests.get(_root(ui_server) + path, headers=headers, timeout=10)
        assert answer.status_code == 404, (path, headers)
        assert "root:" not in answer.text and answer.text != INDEX


def test_file_beside_the_ui_folder_is_not_served(ui_server: RunningServer) -> None:
    for path in (f"/..%2f{SECRET}", f"/assets/..%2f..%2f{SECRET}"):
        for headers in ({}, BROWSER):
            answer = requests.get(_root(ui_server) + path, headers=headers, timeout=10)
            assert answer.status_code == 404 and "outside" not in answer.text


def test_serve_refuses_a_folder_without_index(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "foxtrack.cli", "serve", "--ui", str(tmp_path), "--data-dir",
                          str(tmp_path / "data")], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "index.html" in run.stdout
