#!/usr/bin/env bash
# Runs stockmon's scheduler; Ctrl-C stops it. Creates .venv and installs requirements on first
# use. With no ALPHA_VANTAGE_API_KEY (in the environment or .env) it runs on the offline demo
# market, with a SQLite file in data/.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/venv.sh
ensure_venv requirements.txt
exec .venv/bin/python scheduler.py "$@"
