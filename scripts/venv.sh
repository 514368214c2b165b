# Sourced by run.sh and test.sh: make .venv with Python >= 3.11 and install a requirements file.
# Re-installs only when the requirements change.

ensure_venv() {
    local requirements="$1" python="" candidate
    if [ ! -x .venv/bin/python ]; then
        for candidate in python3.13 python3.12 python3.11 python3; do
            if command -v "$candidate" >/dev/null 2>&1 &&
                "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
                python="$candidate"
                break
            fi
        done
        if [ -z "$python" ]; then
            echo "stockmon needs Python 3.11 or newer (python3.11 or later on PATH)." >&2
            exit 1
        fi
        echo "Creating .venv with $("$python" --version)"
        "$python" -m venv .venv
    fi
    local stamp=".venv/.installed-$(basename "$requirements")"
    local digest
    digest=$(cat requirements*.txt | { sha256sum 2>/dev/null || shasum -a 256; } | cut -d' ' -f1)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
        echo "Installing $requirements into .venv (the first time takes a minute or two)"
        .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
        echo "$digest" >"$stamp"
    fi
}
