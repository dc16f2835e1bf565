"""Observability on a live server: ``/metrics`` scraped and parsed with Prometheus' own text parser
(requests and latencies per route template, database pool, job queue, webhook failures, Socket.IO
connections), request ids honoured and answered, health endpoints, metrics closed to other
addresses unless the token is given, and JSON log lines that carry the request id."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import gazu
import pytest
import requests
import socketio
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from foxtrack.db import schema as s
from foxtrack.testing import RunningServer, start_server


def scrape(server: RunningServer, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = requests.get(f"{server.api}/metrics", headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture()
def engine(server: RunningServer) -> Iterator[sa.Engine]:
    url = server.database_url or f"sqlite:///{server.data_dir / 'foxtrack.db'}"
    eng = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    yield eng
    eng.dispose()


def test_requests_are_counted_per_route_template(server: RunningServer, client: object) -> None:
    project = gazu.project.new_project(f"Metrics {uuid.uuid4().hex[:8]}", "short")
    before = scrape(server)
    for _ in range(5):
        gazu.client.get(f"data/projects/{project['id']}")
    missing = requests.get(f"{server.api}/data/no-such-thing/at-all", timeout=10)
    assert missing.status_code == 404
    after = scrape(server)
    templates = {dict(labels).get("route") for name, labels in after if name == "foxtrack_http_requests_total"}
    route = "/data/projects/{item_id}"  # the CRUD route, its model named
    assert route in templates, sorted(t for t in templates if t)
    counted = (value(after, "foxtrack_http_requests_total", method="GET", route=route, status="200")
               - value(before, "foxtrack_http_requests_total", method="GET", route=route, status="200"))
    timed = (value(after, "foxtrack_http_request_duration_seconds_count", method="GET", route=route)
             - value(before, "foxtrack_http_request_duration_seconds_count", method="GET", route=route))
    assert counted == timed == 5
    assert value(after, "foxtrack_http_request_duration_seconds_bucket", method="GET", route=route, le="+Inf") >= 5
    assert value(after, "foxtrack_http_requests_total", method="GET", route="(unmatched)", status="404") >= 1
    assert not any(project["id"] in t for t in templates if t)  # ids never become labels
    assert value(after, "foxtrack_db_pool_connections", state="size") > 0
    assert value(after, "foxtrack_database_up") == 1


def test_queue_webhook_and_socketio_gauges(server: RunningServer, client: object, engine: sa.Engine) -> None:
    job_id, delivery_id = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = "2030-01-01T00:00:00.000000"
    before = scrape(server)
    with engine.begin() as conn:  # a job of a kind no worker takes, and a delivery that failed for good
        conn.execute(s.job.insert(), {"id": job_id, "created_at": stamp, "updated_at": stamp, "kind": "metrics-test",
                                      "state": "queued", "attempts": 0, "max_attempts": 1, "run_after": stamp})
        conn.execute(s.webhook_delivery.insert(), {"id": delivery_id, "created_at": stamp, "updated_at": stamp,
                                                   "webhook_id": str(uuid.uuid4()), "status": "failed", "attempts": 3})
    token = gazu.client.default_client.tokens["access_token"]
    sio = socketio.Client(reconnection=False)
    sio.connect(server.url, headers={"Authorization": f"Bearer {token}"}, namespaces=["/", "/events"],
                socketio_path="/socket.io", wait_timeout=10)
    try:
        deadline = time.monotonic() + 10
        while True:
            during = scrape(server)
            connected = value(during, "foxtrack_socketio_connections")
            if connected >= value(before, "foxtrack_socketio_connections") + 1 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    finally:
        sio.disconnect()
        with engine.begin() as conn:
            conn.execute(s.job.delete().where(s.job.c.id == job_id))
            conn.execute(s.webhook_delivery.delete().where(s.webhook_delivery.c.id == delivery_id))
    assert connected == value(before, "foxtrack_socketio_connections") + 1
    assert value(during, "foxtrack_job_queue_depth", kind="metrics-test", state="queued") == 1
    assert value(during, "foxtrack_webhook_failures") == value(before, "foxtrack_webhook_failures") + 1
    assert value(during, "foxtrack_webhook_deliveries", status="failed") >= 1
    assert value(scrape(server), "foxtrack_job_queue_depth", kind="metrics-test", state="queued") == 0


def test_request_ids_and_health(server: RunningServer) -> None:
    sent = requests.get(f"{server.api}/", headers={"X-Request-Id": "proxy-1234.abc"}, timeout=10)
    assert sent.headers["X-Request-Id"] == "proxy-1234.abc"
    made = requests.get(f"{server.api}/", timeout=10).headers["X-Request-Id"]
    assert len(made) == 32 and int(made, 16) >= 0
    refused = requests.get(f"{server.api}/", headers={"X-Request-Id": "two words\tand a tab"}, timeout=10)
    assert refused.headers["X-Request-Id"] != "two words\tand a tab" and len(refused.headers["X-Request-Id"]) == 32
    assert requests.get(f"{server.api}/data/projects", timeout=10).headers["X-Request-Id"]  # errors too (401)

    live = requests.get(f"{server.api}/health/live", timeout=10)
    ready = requests.get(f"{server.url}/health/ready", timeout=10)
    assert (live.status_code, live.json()) == (200, {"status": "alive"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ready", "database": "ok"})
    assert requests.post(f"{server.api}/health/ready", timeout=10).status_code == 405


@pytest.fixture(scope="module")
def guarded() -> Iterator[RunningServer]:
    """A server whose metrics only a token opens (no address is allowed), logging JSON lines per request."""
    srv = start_server(env={"FOXTRACK_METRICS_ALLOW": "", "FOXTRACK_METRICS_TOKEN": "scrape-secret",
                            "FOXTRACK_LOG_FORMAT": "json", "FOXTRACK_ACCESS_LOG": "true"})
    yield srv
    srv.stop()


def test_metrics_need_the_token_elsewhere_and_logs_carry_the_request_id(guarded: RunningServer) -> None:
    closed = requests.get(f"{guarded.api}/metrics", timeout=10)
    assert closed.status_code == 403 and closed.json()["error"] is True
    assert "foxtrack_http" not in closed.text
    assert requests.get(f"{guarded.api}/metrics", headers={"Authorization": "Bearer wrong"}, timeout=10).status_code == 403
    opened = scrape(guarded, Authorization="Bearer scrape-secret")
    assert value(opened, "foxtrack_database_up") == 1

    rid = f"trace-{uuid.uuid4().hex}"
    assert requests.get(f"{guarded.api}/data/persons", headers={"X-Request-Id": rid}, timeout=10).status_code == 401
    deadline = time.monotonic() + 10
    lines: list[dict[str, object]] = []
    while time.monotonic() < deadline and not lines:
        lines = [json.loads(line) for line in guarded.log().splitlines() if rid in line and line.startswith("{")]
        time.sleep(0.1)
    assert lines, guarded.log()[-2000:]
    [line] = lines
    assert line["request_id"] == rid and line["logger"] == "foxtrack.access" and line["level"] == "info"
    assert (line["method"], line["route"], line["status"]) == ("GET", "/data/persons", 401)
    assert isinstance(line["duration_ms"], float)
