#!/usr/bin/env bash
# Runs stockmon's checks: ruff, then the whole pytest suite (SQLite and PostgreSQL, browser test).
# Creates .venv and installs what the tests need on first use. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
ensure_venv requirements-dev.txt

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }

# The browser test drives Debian's Chromium; install it when possible (the test skips, saying why, if not).
if [ -z "${STOCKMON_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    echo "Installing chromium for the browser test"
    { as_root apt-get update -qq && as_root apt-get install -y -qq chromium; } >/dev/null 2>&1 ||
        echo "Could not install chromium: the browser test will be skipped."
fi

# The PostgreSQL tests use 127.0.0.1:5432 (STOCKMON_TEST_POSTGRES_URL); start a local cluster if it is down.
if command -v pg_ctlcluster >/dev/null 2>&1 && command -v pg_isready >/dev/null 2>&1 &&
    ! pg_isready -q -h 127.0.0.1 -p 5432; then
    for version in /etc/postgresql/*; do
        as_root pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start 2>/dev/null || true
    done
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports --no-cache
.venv/bin/mypy
# Four workers: much of the suite waits on processes, servers and the browser, not the CPU.
.venv/bin/python -m pytest -n 4 "$@"
