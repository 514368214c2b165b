#!/usr/bin/env bash
# Runs stockmon: the scheduler and the Streamlit app together; Ctrl-C stops both.
# Creates .venv and installs requirements on first use. With no API key (in the environment or
# .env) it runs on the offline demo market, with a SQLite file in data/.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
ensure_venv requirements.txt

port=$(.venv/bin/python -m stockmon port)  # STOCKMON_PORT, from the environment or .env
.venv/bin/python -m stockmon db upgrade
.venv/bin/python scheduler.py &
scheduler=$!
trap 'kill "$scheduler" 2>/dev/null || true; wait "$scheduler" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM

.venv/bin/python -m streamlit run streamlit_app.py \
    --server.port "$port" --browser.gatherUsageStats false "$@"
