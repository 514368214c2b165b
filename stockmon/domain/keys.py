"""Keys stockmon makes once and keeps beside its data when the admin sets none: the one that
signs login cookies and the one that encrypts notification URLs."""

from __future__ import annotations

import secrets
from pathlib import Path

COOKIE_KEY_FILE = "cookie_key"
SECRET_KEY_FILE = "secret_key"


def kept_key(configured: str | None, data_dir: Path, name: str) -> str:
    """The configured key, else the one in ``data_dir/name``, made once (readable by its
    owner only). When two processes start at once the first key written wins."""
    if configured:
        return configured
    path = data_dir / name
    if path.exists() and (key := path.read_text().strip()):
        return key
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        with open(path, "x") as handle:
            handle.write(key)
        path.chmod(0o600)
    except FileExistsError:
        return path.read_text().strip()
    return key


def replace_kept_key(data_dir: Path, name: str, key: str) -> None:
    """Write ``key`` as the kept one (after a rotation), owner-readable only."""
    path = data_dir / name
    temporary = path.with_suffix(".new")
    temporary.write_text(key)
    temporary.chmod(0o600)
    temporary.replace(path)
