"""The command line: create-admin, serve's address from the environment, Zou's bcrypt hashes (cost 12)
verifying as they are, import-zou refusing a database it cannot reach."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import bcrypt
import gazu
import requests

from foxtrack.testing import free_port, start_server, stop_process


def test_create_admin_then_log_in(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "foxtrack.cli", "create-admin", "boss@example.com",
                          "--password", "boss-password-1", "--data-dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "boss@example.com created" in run.stdout
    server = start_server(data_dir=tmp_path)
    try:
        c = gazu.client.create_client(server.api)
        tokens = gazu.log_in("boss@example.com", "boss-password-1", client=c)
        assert tokens["user"]["role"] == "admin"
    finally:
        server.stop()


def test_serve_listens_where_the_environment_says(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "FOXTRACK_HOST": "127.0.0.1", "FOXTRACK_PORT": str(port), "FOXTRACK_DATA_DIR": str(tmp_path)}
    process = subprocess.Popen([sys.executable, "-m", "foxtrack.cli", "serve"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, answer = time.monotonic() + 60, None
        while time.monotonic() < deadline and answer is None:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/health/ready", timeout=2)
            except requests.ConnectionError:
                assert process.poll() is None, "foxtrack serve stopped"
                time.sleep(0.2)
        assert answer is not None and answer.status_code == 200, answer
        assert (tmp_path / "foxtrack.db").exists()
    finally:
        stop_process(process)


def test_zou_hash_verifies(tmp_path: Path) -> None:
    server = start_server(data_dir=tmp_path)
    try:
        zou_hash = bcrypt.hashpw(b"from-zou-1", bcrypt.gensalt(12)).decode()  # what Zou stores
        with sqlite3.connect(tmp_path / "foxtrack.db") as db:
            db.execute("UPDATE person SET password = ? WHERE email = ?", (zou_hash, server.email))
        c = gazu.client.create_client(server.api)
        assert gazu.log_in(server.email, "from-zou-1", client=c)["login"] is True
    finally:
        server.stop()


def test_import_zou_from_an_unreachable_database_says_why(tmp_path: Path) -> None:
    url = f"postgresql://zou:zou-secret-1@127.0.0.1:{free_port()}/zoudb"  # nothing listens there
    run = subprocess.run([sys.executable, "-m", "foxtrack.cli", "import-zou", "--from-url", url,
                          "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    said = " ".join(run.stderr.split())
    assert "Cannot read Zou's database at postgresql+psycopg://zou:***@127.0.0.1:" in said, said
    assert "Connection refused" in said and "zou-secret-1" not in said and "Traceback" not in said
