"""Notification URLs at rest: encrypted with the secret key (``cryptography``'s Fernet:
AES-128-CBC and HMAC-SHA256), so a copy of the database holds no usable token or password.

The key is ``STOCKMON_SECRET_KEY``, else one made once and kept beside the cookie key
(``data/secret_key``). A stored value is ``enc:v1:`` and a Fernet token; a value without the
prefix is a URL stored before encryption, sealed at the next start-up (``seal_stored``).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from stockmon.domain.errors import StockmonError

PREFIX = "enc:v1:"


class VaultError(StockmonError):
    """A stored secret that the key at hand cannot open (encrypted with another key)."""


def _fernet(key: str) -> Fernet:
    """Any key text of 32+ characters as a Fernet key (its SHA-256, base64)."""
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


class Vault:
    """Seals with the first of ``keys`` and opens with any of them (a rotation's old key)."""

    def __init__(self, keys: Sequence[str]) -> None:
        self._fernet = MultiFernet([_fernet(key) for key in keys])

    def seal(self, text: str) -> str:
        return PREFIX + self._fernet.encrypt(text.encode()).decode()

    def open(self, stored: str) -> str:
        if not is_sealed(stored):
            return stored  # stored before encryption; sealed at the next start-up
        try:
            return self._fernet.decrypt(stored.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            raise VaultError(
                "a stored notification URL was encrypted with another secret key "
                "(STOCKMON_SECRET_KEY differs between the app and the scheduler?)"
            ) from None

    def reseal(self, stored: str) -> str:
        """``stored`` sealed with the first key, whichever key sealed it."""
        return self.seal(self.open(stored))


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def fingerprint(text: str) -> str:
    """A short, stable hint that tells two URLs apart without revealing either."""
    return hashlib.sha256(text.encode()).hexdigest()[:6]
