"""The product run for real in tests and benchmarks: a scheduler and ``streamlit run``."""

from __future__ import annotations

import contextlib
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


@contextmanager
def scheduler_process(folder: Path, database_url: str, refresh_seconds: int) -> Iterator[Path]:
    """A scheduler process on the demo market and ``database_url`` (no other stockmon or Alpha
    Vantage variable reaches it), working in ``folder``; yields its log file; ended after."""
    environment = subprocess_environment(
        STOCKMON_DATABASE_URL=database_url,
        STOCKMON_DATA_DIR=str(folder),
        STOCKMON_REFRESH_SECONDS=str(refresh_seconds),
    )
    log_path = folder / "scheduler.log"
    with open(log_path, "w") as log:
        process = start_scheduler(environment, log, cwd=folder)
    try:
        yield log_path
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass(frozen=True)
class Product:
    url: str
    app: subprocess.Popen
    logs: Path  # app.log and scheduler.log


@contextmanager
def running_product(
    settings: dict[str, str], logs: Path, *, scheduler: bool = True
) -> Iterator[Product]:
    """A scheduler (unless ``scheduler=False``) and ``streamlit run`` on a free port with
    ``settings`` (no other stockmon or Alpha Vantage variable reaches them), their output in
    ``logs``; both ended afterwards."""
    environment = subprocess_environment(**settings)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    logs.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as files:
        app_log = files.enter_context(open(logs / "app.log", "w"))
        processes = []
        if scheduler:
            scheduler_log = files.enter_context(open(logs / "scheduler.log", "w"))
            processes.append(start_scheduler(environment, scheduler_log))
        app = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
             "--server.headless=true", "--server.address=127.0.0.1", f"--server.port={port}",
             "--browser.gatherUsageStats=false"],
            cwd=ROOT, env=environment, stdout=app_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        processes.insert(0, app)
        try:
            wait_healthy(url, app)
            yield Product(url, app, logs)
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
