"""Webhooks: signed deliveries of matching events, retried after a failure, recorded."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import gazu
import pytest
import requests

from foxtrack.testing import RunningServer, start_server


class Receiver:
    """A local HTTP endpoint that answers 500 to the first call, then 200, and keeps the calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.calls.append((dict(self.headers), body))
                self.send_response(500 if len(outer.calls) == 1 else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/hook"


@pytest.fixture(scope="module")
def fast_server() -> Iterator[RunningServer]:
    srv = start_server(env={"FOXTRACK_WEBHOOK_RETRY_SECONDS": "0.3"})
    yield srv
    srv.stop()


def test_signed_delivery_with_retry(fast_server: RunningServer) -> None:
    receiver = Receiver()
    gazu.set_host(fast_server.api)
    gazu.log_in(fast_server.email, fast_server.password)
    token = gazu.client.default_client.access_token
    headers = {"Authorization": f"Bearer {token}"}
    r = requests.post(f"{fast_server.api}/data/webhooks", headers=headers,
                      json={"url": receiver.url, "secret": "s3cret", "events": ["department:*"]})
    assert r.status_code == 201, r.text
    hook = r.json()
    assert hook["has_secret"] is True and "secret" not in hook
    dept = gazu.person.new_department(f"Hooked {uuid.uuid4().hex[:6]}")
    gazu.task.new_task_type(f"Not hooked {uuid.uuid4().hex[:6]}")
    deadline = time.time() + 10
    while time.time() < deadline and len(receiver.calls) < 2:
        time.sleep(0.1)
    assert len(receiver.calls) == 2, receiver.calls
    first, second = receiver.calls
    assert first[1] == second[1]
    sent = json.loads(second[1])
    assert sent["name"] == "department:new" and sent["data"]["department_id"] == dept["id"]
    expected = "sha256=" + hmac.new(b"s3cret", second[1], hashlib.sha256).hexdigest()
    assert second[0]["X-Foxtrack-Signature"] == expected
    time.sleep(0.3)
    log = requests.get(f"{fast_server.api}/data/webhooks/{hook['id']}/deliveries", headers=headers).json()
    assert [(d["event_name"], d["status"], d["attempts"]) for d in log] == [("department:new", "delivered", 2)]
    receiver.httpd.shutdown()


def test_webhooks_are_admin_only(fast_server: RunningServer) -> None:
    r = requests.get(f"{fast_server.api}/data/webhooks")
    assert r.status_code == 401
    gazu.set_host(fast_server.api)
    gazu.log_in(fast_server.email, fast_server.password)
    token = gazu.client.default_client.access_token
    r = requests.post(f"{fast_server.api}/data/webhooks", headers={"Authorization": f"Bearer {token}"},
                      json={"url": "ftp://nope"})
    assert r.status_code == 400
