"""A throwaway redis-server for the tests of the shared index.

Started on a free port from a temporary directory, with persistence off, and shut down at the
end. Without `redis-server` on PATH the tests that need it are skipped, saying how to get it
(CI installs the Debian package, so they run there).
"""

from __future__ import annotations

import contextlib
import pathlib
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest


def free_port() -> int:
    """A TCP port nothing listens on (right now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def redis_server(directory: pathlib.Path) -> Iterator[str]:
    """Run redis-server in `directory`; yields its URL (database 0)."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip(
            "redis-server is not on PATH (apt-get install -y redis-server): Redis index tests skipped"
        )
    port = free_port()
    cmd = [
        exe,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(directory),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=directory)
    try:
        deadline = time.monotonic() + 10
        while not _answers(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start on port {port} (exit code {proc.poll()})")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def fresh_index(url: str) -> str:
    """An index spec of its own on the shared server: every test gets an empty key prefix."""
    return f"{url}?prefix=t{uuid.uuid4().hex[:12]}"
