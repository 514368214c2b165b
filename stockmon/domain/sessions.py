"""Logging in and staying logged in: the throttle on failed logins and revocable sessions.

Both live in the database, so they hold across app replicas. After ``LOCK_AFTER`` failed
attempts for a username within ``LOCK_WINDOW``, every attempt is refused for ``COOL_DOWN``,
the right password too, with the same words whether the username exists or not. Each login
is a row in ``logins`` that its cookie names: "Log out" deletes it, and a session whose row is
gone, or that started before its account's ``sessions_valid_after`` (set at the account's
creation, by a password change, an admin's reset or "log out everywhere"), ends at its next
rerun or reload.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import bcrypt
import jwt
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlmodel import col

from stockmon.domain.accounts import (
    MAX_PASSWORD_BYTES,
    Account,
    AccountError,
    normalize_username,
)
from stockmon.domain.locks import transaction_lock
from stockmon.domain.models import Login, LoginFailure, User, utcnow

LOCK_AFTER = 5
LOCK_WINDOW = timedelta(minutes=15)
COOL_DOWN = timedelta(minutes=15)
WRONG = "Wrong username or password."
LOGIN_LIFETIME = timedelta(days=30)  # of a login cookie
# Checked against when the username does not exist, so both cases take a bcrypt's time.
_NOBODY = bcrypt.hashpw(b"no such user", bcrypt.gensalt()).decode()


class LoginRefused(AccountError):
    """A login that did not succeed; the message never tells whether the username exists."""


@dataclass(frozen=True)
class LoginToken:
    """What a login cookie says: who, which login, begun when."""

    username: str
    login: str  # the ``logins`` row
    started: datetime


def login_token(username: str, login: str, key: str, issued: datetime) -> str:
    """The login cookie's value for the login ``login`` at ``issued``: streamlit-authenticator's
    token (the username and its expiry, ``LOGIN_LIFETIME`` later) and the login's id, signed
    with the cookie ``key``."""
    claims = {
        "username": username,
        "login": login,
        "exp_date": (issued + LOGIN_LIFETIME).timestamp(),
    }
    return jwt.encode(claims, key, algorithm="HS256")


def read_login_token(value: str, key: str, now: datetime | None = None) -> LoginToken | None:
    """What a login cookie's value signed with ``key`` and not expired says; None for
    anything else (forged, expired, garbled, hostile, or from before logins had ids), never
    an error."""
    try:
        claims = jwt.decode(value, key, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    username, login, expires = claims.get("username"), claims.get("login"), claims.get("exp_date")
    if not isinstance(username, str) or not isinstance(login, str):
        return None
    if type(expires) not in (int, float):
        return None
    assert isinstance(expires, int | float)
    try:
        expires_at = datetime.fromtimestamp(expires, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    if expires_at <= (now or utcnow()):
        return None
    return LoginToken(username, login, expires_at - LOGIN_LIFETIME)


def _user_columns():
    return (
        col(User.id),
        col(User.username),
        col(User.name),
        col(User.email),
        col(User.timezone),
        col(User.is_admin),
        col(User.password_hash),
        col(User.sessions_valid_after),
    )


def _account(row) -> Account:
    return Account(row.id, row.username, row.name, row.email, row.timezone, row.is_admin)


def log_in(engine: Engine, username: str, password: str, now: datetime | None = None) -> Account:
    """The account, when ``password`` is right and the username is not cooling down; else
    ``LoginRefused`` saying why in words that reveal nothing about the username.

    Every attempt is counted before its password is checked, in one step with the check of
    the count: however many arrive at once, at most ``LOCK_AFTER`` passwords are checked per
    window. A right password takes its attempt back, with the earlier failures."""
    now = now or utcnow()
    username = normalize_username(username)[:64]
    with engine.begin() as conn, transaction_lock(conn, f"login.{username}", "login"):
        failures, last_failure = conn.execute(
            select(func.count(), func.max(col(LoginFailure.at))).where(
                col(LoginFailure.username) == username, col(LoginFailure.at) > now - LOCK_WINDOW
            )
        ).one()
        if failures >= LOCK_AFTER and last_failure + COOL_DOWN > now:
            minutes = math.ceil((last_failure + COOL_DOWN - now).total_seconds() / 60)
            raise LoginRefused(
                f"Too many failed attempts: logging in as this user is paused for {minutes} "
                f"minute{'s' * (minutes != 1)}."
            )
        conn.execute(insert(LoginFailure).values(username=username, at=now))
    with engine.connect() as conn:
        row = conn.execute(select(*_user_columns()).where(col(User.username) == username)).first()
    if not _password_matches(row.password_hash if row else _NOBODY, password) or row is None:
        raise LoginRefused(WRONG)
    with engine.begin() as conn:
        conn.execute(delete(LoginFailure).where(col(LoginFailure.username) == username))
    return _account(row)


def _password_matches(stored: str, password: str) -> bool:
    encoded = password.encode()
    return len(encoded) <= MAX_PASSWORD_BYTES and bcrypt.checkpw(encoded, stored.encode())


def start_login(engine: Engine, account: Account, now: datetime | None = None) -> str:
    """A new login of ``account``: the id its cookie carries."""
    login = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(insert(Login).values(id=login, user_id=account.id, started_at=now or utcnow()))
    return login


def end_login(engine: Engine, login: str) -> None:
    """Log out: the login's cookie opens nothing any more, wherever it was copied."""
    with engine.begin() as conn:
        conn.execute(delete(Login).where(col(Login.id) == login))


def valid_session(engine: Engine, username: str, login: str, started: datetime) -> Account | None:
    """The account of the login ``login`` that began at ``started``, or None when the account
    or the login is gone or the account's sessions were ended since. One indexed query: cheap
    enough for every rerun."""
    with engine.connect() as conn:
        row = conn.execute(
            select(*_user_columns())
            .join(Login, col(Login.user_id) == col(User.id))
            .where(col(User.username) == normalize_username(username), col(Login.id) == login)
        ).first()
    if row is None or (row.sessions_valid_after and started < row.sessions_valid_after):
        return None
    return _account(row)


def end_sessions(engine: Engine, username: str, now: datetime | None = None) -> datetime:
    """End every session of ``username`` begun before ``now``; returns that moment, from
    which a session kept open (the one that changed the password) counts as begun."""
    now = now or utcnow()
    with engine.begin() as conn:
        conn.execute(
            update(User)
            .where(col(User.username) == normalize_username(username))
            .values(sessions_valid_after=now)
        )
    return now


def forget_failures_before(engine: Engine, moment: datetime) -> int:
    """Housekeeping: failed logins too old to count."""
    with engine.begin() as conn:
        return conn.execute(delete(LoginFailure).where(col(LoginFailure.at) < moment)).rowcount


def forget_logins_before(engine: Engine, moment: datetime) -> int:
    """Housekeeping: logins whose cookies have expired (begun a ``LOGIN_LIFETIME`` ago)."""
    with engine.begin() as conn:
        return conn.execute(
            delete(Login).where(col(Login.started_at) < moment - LOGIN_LIFETIME)
        ).rowcount
