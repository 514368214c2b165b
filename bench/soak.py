"""The scheduler's memory over a long run: a real ``scheduler.py`` on the demo market with 500
tracked symbols and a SQLite file, its resident memory sampled every 30 s.

    .venv/bin/python -m bench.soak [MINUTES]     (default 30; the first sixth is warm-up)

It prints the RSS at the end of warm-up, at the end and at its highest, and the growth after
warm-up; the target is a flat line, within 5 %.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from tests.conftest import subprocess_environment
from tests.running import start_scheduler

SYMBOLS = [f"D{index:03d}" for index in range(500)]
SAMPLE_SECONDS = 30
TARGET_GROWTH = 0.05


def rss_mib(pid: int) -> float:
    """Resident memory of process ``pid`` (Linux ``/proc``), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def main() -> None:
    minutes = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    warm_up = minutes * 60 / 6
    with tempfile.TemporaryDirectory() as folder:
        environment = subprocess_environment(
            STOCKMON_DATABASE_URL=f"sqlite:///{Path(folder) / 'soak.db'}",
            STOCKMON_DATA_DIR=folder,
            STOCKMON_PROVIDER="demo",
            STOCKMON_SYMBOLS=",".join(SYMBOLS),
            STOCKMON_REFRESH_SECONDS="10",
        )
        with open(Path(folder) / "scheduler.log", "w") as log:
            process = start_scheduler(environment, log, cwd=Path(folder))
        samples: list[tuple[float, float]] = []
        started = time.monotonic()
        try:
            while (elapsed := time.monotonic() - started) < minutes * 60:
                if process.poll() is not None:
                    raise RuntimeError(f"the scheduler exited with {process.returncode}")
                samples.append((elapsed, rss_mib(process.pid)))
                print(f"{elapsed / 60:6.1f} min  RSS {samples[-1][1]:7.1f} MiB", flush=True)
                time.sleep(SAMPLE_SECONDS)
        finally:
            process.terminate()
            process.wait(timeout=30)
    settled = [rss for at, rss in samples if at >= warm_up]
    if not settled:
        print("too short a run to measure after warm-up")
        return
    growth = settled[-1] / settled[0] - 1
    print(
        f"{len(SYMBOLS)} demo symbols for {minutes:g} min: RSS after warm-up {settled[0]:.1f} MiB, "
        f"at the end {settled[-1]:.1f} MiB, highest {max(settled):.1f} MiB; growth "
        f"{growth:+.1%} (target within {TARGET_GROWTH:.0%})"
    )


if __name__ == "__main__":
    main()
