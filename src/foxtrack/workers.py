"""The worker processes of ``foxtrack serve --workers N``: each its own listening socket on the port
(``SO_REUSEPORT``), so the kernel spreads new connections over the workers as they arrive.

uvicorn's own supervisor hands every worker the same socket; a worker that wakes first then accepts
every connection waiting (asyncio accepts them in a batch), and a burst of clients (4 readers opening
their connections at once) often ends up on one worker. Here a crashed worker is started again; one
that fails while starting stops the server (the same failure would repeat).
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import threading
import time
from multiprocessing.process import BaseProcess
from types import FrameType

log = logging.getLogger("foxtrack.workers")

STARTUP_FAILURE = 3  # uvicorn's exit code for a worker whose application did not start
RESTART_PAUSE_SECONDS = 1.0


def reuseport_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _worker(app: str, log_level: str, sock: socket.socket) -> None:
    import os

    import uvicorn

    parent = os.getppid()

    def orphaned() -> None:  # the supervisor was killed without stopping its workers: stop too
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=orphaned, name="foxtrack-orphan-watch", daemon=True).start()
    config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="on", timeout_keep_alive=KEEP_ALIVE_SECONDS)
    uvicorn.Server(config).run(sockets=[sock])


# An idle keep-alive connection is closed after this long: longer than the 60 s idle timeout of the
# usual proxies and load balancers (and than a client's pause between calls), so that a client
# rarely reuses a connection the server is closing at that moment (a reset; uvicorn's default is 5 s).
KEEP_ALIVE_SECONDS = 75


class Supervisor:
    """Starts ``workers`` processes serving ``app`` on ``host:port`` and keeps them running."""

    def __init__(self, app: str, host: str, port: int, workers: int, log_level: str):
        self.app, self.host, self.port, self.log_level = app, host, port, log_level
        self.count = workers
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[BaseProcess] = []
        self.stopping = threading.Event()
        self.exit_code = 0

    def _start_one(self) -> BaseProcess:
        sock = reuseport_socket(self.host, self.port)
        process = self.context.Process(target=_worker, args=(self.app, self.log_level, sock), daemon=False)
        process.start()
        sock.close()  # the worker holds its own copy
        return process

    def _signalled(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping.set()

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._signalled)
        # bind once here first: a port in use fails now, with uvicorn's message, not in every worker
        reuseport_socket(self.host, self.port).close()
        self.processes = [self._start_one() for _ in range(self.count)]
        try:
            while not self.stopping.wait(0.5):
                for index, process in enumerate(self.processes):
                    if process.is_alive():
                        continue
                    if process.exitcode == STARTUP_FAILURE:
                        log.error("worker %s failed to start: stopping", process.pid)
                        self.exit_code = 1
                        self.stopping.set()
                        break
                    log.warning("worker %s exited (%s): starting another", process.pid, process.exitcode)
                    time.sleep(RESTART_PAUSE_SECONDS)
                    self.processes[index] = self._start_one()
        finally:
            self.stop()
        return self.exit_code

    def stop(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + 15
        for process in self.processes:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(5)
