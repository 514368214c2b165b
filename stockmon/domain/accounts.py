"""User accounts in the database: registration rules, bcrypt hashes, the cookie signing key.

Accounts live in the ``users`` table so every app replica sees the same people. Passwords are
stored as bcrypt hashes only (the format streamlit-authenticator checks against).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import available_timezones

import bcrypt
from sqlalchemy import Engine, delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from stockmon.domain.config import Registration
from stockmon.domain.errors import StockmonError
from stockmon.domain.keys import COOKIE_KEY_FILE, kept_key
from stockmon.domain.models import User, utcnow

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,31}$")
EMAIL_PATTERN = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_BYTES = 72  # bcrypt's limit


class AccountError(StockmonError):
    """A registration or account change was refused; the message says why, for the person."""


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    name: str
    email: str
    timezone: str | None = None  # IANA name chosen on the Account page; None: the browser's
    is_admin: bool = False


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def check_password_rules(password: str, repeat: str | None = None) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise AccountError(f"The password can have at most {MAX_PASSWORD_BYTES} bytes.")
    if password != password.strip():
        raise AccountError("The password cannot start or end with a space.")
    if repeat is not None and password != repeat:
        raise AccountError("The two passwords do not match.")


def normalize_username(username: str) -> str:
    """Usernames are case-insensitive (the login form lower-cases them)."""
    return username.strip().lower()


def _check_registration(username: str, name: str, email: str) -> None:
    if not USERNAME_PATTERN.match(username):
        raise AccountError(
            "The username needs 3 to 32 characters: letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    _check_profile(name, email)


def _check_profile(name: str, email: str) -> None:
    if not name.strip() or len(name) > 100:
        raise AccountError("Please give a name of at most 100 characters.")
    if not name.isprintable():
        raise AccountError("A name cannot hold control characters (tabs, escapes, new lines).")
    if len(email) > 254 or not EMAIL_PATTERN.match(email):
        raise AccountError("Please give a valid email address.")


def check_registration_policy(
    email: str, registration: Registration, allowlist: Sequence[str] = ()
) -> None:
    """Whether the login page may register ``email`` (``AccountError`` saying so if not)."""
    if registration is Registration.CLOSED:
        raise AccountError("Registration is closed here: ask an admin for an account.")
    email = email.strip().lower()
    if registration is Registration.ALLOWLIST and not (
        email in allowlist or email.rpartition("@")[2] in allowlist
    ):
        raise AccountError(
            "This e-mail address may not register here: ask an admin for an account."
        )


def create_user(
    engine: Engine,
    username: str,
    name: str,
    email: str,
    password: str,
    password_repeat: str | None = None,
    *,
    admin: bool = False,
) -> Account:
    """Register a person, or raise ``AccountError`` saying what to fix."""
    username, email, name = normalize_username(username), email.strip().lower(), name.strip()
    _check_registration(username, name, email)
    check_password_rules(password, password_repeat)
    with Session(engine) as session:
        taken = session.exec(
            select(col(User.username), col(User.email)).where(
                (func.lower(col(User.username)) == username)
                | (func.lower(col(User.email)) == email)
            )
        ).first()
        if taken is not None:
            taken_username, _email = taken
            what = "username" if taken_username.lower() == username else "email address"
            raise AccountError(f"That {what} is already registered.")
        created = utcnow()
        user = User(
            username=username,
            name=name,
            email=email,
            password_hash=hash_password(password),
            created_at=created,
            is_admin=admin,
            sessions_valid_after=created,  # no cookie from before it (a namesake's) opens it
        )
        session.add(user)
        try:
            session.commit()
        except IntegrityError:  # registered by another replica a moment ago
            raise AccountError("That username or email address is already registered.") from None
        return _account(user)


@cache
def timezones() -> list[str]:
    """The IANA time zone names a person can choose from."""
    return sorted(available_timezones())


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def known_timezone(name: object) -> str | None:
    """``name`` when it is an IANA time zone name, else None (a browser may report anything)."""
    return name if isinstance(name, str) and name in _known_zones() else None


def _account(user: User) -> Account:
    assert user.id is not None  # a stored user
    return Account(user.id, user.username, user.name, user.email, user.timezone, user.is_admin)


def get_account(engine: Engine, username: str) -> Account | None:
    with Session(engine) as session:
        user = session.exec(
            select(User).where(col(User.username) == normalize_username(username))
        ).one_or_none()
        return _account(user) if user else None


def list_accounts(engine: Engine) -> list[Account]:
    with Session(engine) as session:
        users = session.exec(select(User).order_by(col(User.username))).all()
        return [_account(u) for u in users]


def update_profile(engine: Engine, username: str, name: str, email: str, timezone: str) -> Account:
    """Change a person's name, e-mail address and time zone ("" for the browser's)."""
    name, email, timezone = name.strip(), email.strip().lower(), timezone.strip()
    _check_profile(name, email)
    if timezone and timezone not in timezones():
        raise AccountError("Please choose a time zone from the list.")
    username = normalize_username(username)
    with engine.begin() as conn:
        taken = conn.execute(
            select(col(User.id)).where(
                func.lower(col(User.email)) == email, col(User.username) != username
            )
        ).first()
        if taken is not None:
            raise AccountError("That email address is already registered.")
        try:
            conn.execute(
                update(User)
                .where(col(User.username) == username)
                .values(name=name, email=email, timezone=timezone or None)
            )
        except IntegrityError:  # taken by another replica a moment ago
            raise AccountError("That email address is already registered.") from None
    account = get_account(engine, username)
    if account is None:
        raise AccountError(f"There is no user {username!r}.")
    return account


def set_admin(engine: Engine, username: str, admin: bool) -> None:
    with engine.begin() as conn:
        result = conn.execute(
            update(User)
            .where(col(User.username) == normalize_username(username))
            .values(is_admin=admin)
        )
    if result.rowcount == 0:
        raise AccountError(f"There is no user {username!r}.")


def remove_user(engine: Engine, username: str) -> bool:
    """Delete a user with everything of theirs (picks, alert rules and events, notification
    URLs); False when there was no such user."""
    with engine.begin() as conn:
        result = conn.execute(
            delete(User).where(col(User.username) == normalize_username(username))
        )
    return result.rowcount > 0


def verify_password(engine: Engine, username: str, password: str) -> bool:
    with engine.connect() as conn:
        stored = conn.execute(
            select(col(User.password_hash)).where(
                col(User.username) == normalize_username(username)
            )
        ).scalar_one_or_none()
    if stored is None or len(password.encode()) > MAX_PASSWORD_BYTES:
        return False
    return bcrypt.checkpw(password.encode(), stored.encode())


def set_password(
    engine: Engine, username: str, password: str, repeat: str | None = None
) -> datetime:
    """A new password, which ends every session of the account begun before the returned
    moment (a session kept open counts as begun then)."""
    check_password_rules(password, repeat)
    now = utcnow()
    with engine.begin() as conn:
        result = conn.execute(
            update(User)
            .where(col(User.username) == normalize_username(username))
            .values(
                password_hash=hash_password(password),
                sessions_valid_after=now,
            )
        )
    if result.rowcount == 0:
        raise AccountError(f"There is no user {username!r}.")
    return now


def change_password(engine: Engine, username: str, current: str, new: str, repeat: str) -> datetime:
    if not verify_password(engine, username, current):
        raise AccountError("The current password is wrong.")
    return set_password(engine, username, new, repeat)


def cookie_key(configured: str | None, data_dir: Path) -> str:
    """The key signing login cookies: the configured one, else one generated once and kept."""
    return kept_key(configured, data_dir, COOKIE_KEY_FILE)
