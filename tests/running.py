"""The product run for real in tests and benchmarks: a scheduler and ``streamlit run``."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tests.conftest import subprocess_environment

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError("streamlit did not become healthy")


def start_scheduler(
    environment: dict[str, str], log: IO[str], *args: str, cwd: Path = ROOT
) -> subprocess.Popen:
    """``scheduler.py`` as a process of its own, its output in ``log``."""
    return subprocess.Popen(
        [sys.executable, str(ROOT / "scheduler.py"), *args],
        cwd=cwd,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


@dataclass(frozen=True)
class Product:
    url: str
    app: subprocess.Popen
    logs: Path  # app.log and scheduler.log


@contextmanager
def running_product(settings: dict[str, str], logs: Path) -> Iterator[Product]:
    """A scheduler and ``streamlit run`` on a free port with ``settings`` (no other stockmon or
    Alpha Vantage variable reaches them), their output in ``logs``; both ended afterwards."""
    environment = subprocess_environment(**settings)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    logs.mkdir(parents=True, exist_ok=True)
    with (
        open(logs / "scheduler.log", "w") as scheduler_log,
        open(logs / "app.log", "w") as app_log,
    ):
        scheduler = start_scheduler(environment, scheduler_log)
        app = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
             "--server.headless=true", "--server.address=127.0.0.1", f"--server.port={port}",
             "--browser.gatherUsageStats=false"],
            cwd=ROOT, env=environment, stdout=app_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_healthy(url, app)
            yield Product(url, app, logs)
        finally:
            for process in (app, scheduler):
                process.terminate()
                process.wait(timeout=30)
