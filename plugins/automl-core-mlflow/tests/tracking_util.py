"""Helpers of the MLflow plugin's tests: a real ``mlflow server`` process, polling.

A module of its own (not conftest): test modules import it by name, and several conftest
modules of this repository would share the name ``conftest``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, every: float = 0.2):
    """Poll ``check()`` until it returns something truthy (returned) or ``timeout`` passes."""
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > end:
            return value
        time.sleep(every)


class Server:
    """A running ``mlflow server``: its URI, and its process to end."""

    def __init__(self, root: Path):
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.log = root / "server.log"
        cmd = [
            str(Path(sys.executable).parent / "mlflow"),
            "server",
            "--backend-store-uri",
            f"sqlite:///{root / 'server.db'}",
            "--artifacts-destination",
            str(root / "server-artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
        ]
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
        env.pop("MLFLOW_TRACKING_URI", None)
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.uri}/health", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        """End the server's process group (its uvicorn worker and job runner with it)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def start_server(root: Path, timeout: float = 240) -> Server:
    root.mkdir(parents=True, exist_ok=True)
    server = Server(root)
    # the first start creates the store's tables: ~10 s quiet, over a minute on a busy machine
    if not wait_for(lambda: server.healthy() or server.proc.poll() is not None, timeout, 0.5):
        server.stop()
        pytest.fail(
            f"mlflow server did not answer in {timeout} s: {server.log.read_text()[-2000:]}"
        )
    if server.proc.poll() is not None:
        pytest.fail(f"mlflow server exited: {server.log.read_text()[-2000:]}")
    return server
