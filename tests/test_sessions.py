"""Login throttling and revocable sessions, kept in the database, on SQLite and PostgreSQL."""

from datetime import timedelta

import jwt
import pytest

from stockmon.domain import accounts, sessions
from stockmon.domain.models import utcnow
from stockmon.domain.sessions import COOL_DOWN, LOCK_AFTER, LoginRefused


@pytest.fixture
def bea(engine):
    return accounts.create_user(engine, "bea", "Bea", "bea@example.com", "right-password")


def test_the_right_password_logs_in_and_clears_failures(engine, bea):
    with pytest.raises(LoginRefused, match="Wrong username or password"):
        sessions.log_in(engine, "bea", "wrong")
    assert sessions.log_in(engine, "BEA", "right-password").username == "bea"
    now = utcnow()
    for _ in range(LOCK_AFTER - 1):  # the earlier failure was forgotten: four more are allowed
        with pytest.raises(LoginRefused, match="Wrong"):
            sessions.log_in(engine, "bea", "wrong", now)
    assert sessions.log_in(engine, "bea", "right-password", now).username == "bea"


def test_five_failures_lock_the_username_even_for_the_right_password(engine, bea):
    now = utcnow()
    for _ in range(LOCK_AFTER):
        with pytest.raises(LoginRefused, match="Wrong"):
            sessions.log_in(engine, "bea", "wrong", now)
    with pytest.raises(LoginRefused, match="paused for 15 minutes"):
        sessions.log_in(engine, "bea", "right-password", now + timedelta(seconds=1))
    later = now + COOL_DOWN + timedelta(seconds=1)
    assert sessions.log_in(engine, "bea", "right-password", later).username == "bea"


def test_a_lock_says_nothing_of_whether_the_username_exists(engine, bea):
    now = utcnow()
    messages = {}
    for username in ("bea", "nobody"):
        for _ in range(LOCK_AFTER):
            with pytest.raises(LoginRefused) as wrong:
                sessions.log_in(engine, username, "wrong", now)
        with pytest.raises(LoginRefused) as locked:
            sessions.log_in(engine, username, "wrong", now)
        messages[username] = (str(wrong.value), str(locked.value))
    assert messages["bea"] == messages["nobody"]


def test_failures_outside_the_window_do_not_count(engine, bea):
    start = utcnow()
    for minute in range(LOCK_AFTER):  # one every 4 minutes: never 5 within 15 minutes
        with pytest.raises(LoginRefused, match="Wrong"):
            sessions.log_in(engine, "bea", "wrong", start + timedelta(minutes=4 * minute))
    moment = start + timedelta(minutes=4 * LOCK_AFTER)
    assert sessions.log_in(engine, "bea", "right-password", moment).username == "bea"


def test_a_password_change_ends_sessions_begun_before_it(engine, bea):
    before = utcnow()
    login = sessions.start_login(engine, bea, before)
    assert sessions.valid_session(engine, "bea", login, before) is not None
    changed_at = accounts.set_password(engine, "bea", "new-password-1")
    assert sessions.valid_session(engine, "bea", login, before) is None
    assert sessions.valid_session(engine, "bea", login, changed_at) is not None
    assert sessions.valid_session(engine, "nobody", login, before) is None


def test_log_out_ends_the_login_on_the_server(engine, bea):
    now = utcnow()
    kept, ended = sessions.start_login(engine, bea, now), sessions.start_login(engine, bea, now)
    sessions.end_login(engine, ended)
    assert sessions.valid_session(engine, "bea", ended, now) is None
    assert sessions.valid_session(engine, "bea", kept, now) is not None  # another browser's
    assert sessions.valid_session(engine, "bea", "made-up", now) is None


def test_a_new_account_opens_to_no_session_from_before_it(engine):
    born = accounts.create_user(engine, "cal", "Cal", "cal@example.com", "right-password")
    login = sessions.start_login(engine, born)
    earlier = utcnow() - timedelta(minutes=1)
    assert sessions.valid_session(engine, "cal", login, earlier) is None
    assert sessions.valid_session(engine, "cal", login, utcnow()) is not None


def test_expired_logins_are_forgotten(engine, bea):
    now = utcnow()
    old = sessions.start_login(engine, bea, now - sessions.LOGIN_LIFETIME - timedelta(hours=1))
    fresh = sessions.start_login(engine, bea, now)
    assert sessions.forget_logins_before(engine, now) == 1
    assert sessions.valid_session(engine, "bea", fresh, now) is not None
    assert sessions.valid_session(engine, "bea", old, now) is None


def test_failures_too_old_to_count_are_forgotten(engine, bea):
    now = utcnow()
    for minutes in (30, 20, 1):
        with pytest.raises(LoginRefused):
            sessions.log_in(engine, "bea", "wrong", now - timedelta(minutes=minutes))
    assert sessions.forget_failures_before(engine, now - sessions.LOCK_WINDOW) == 2


KEY = "a-cookie-key-0123456789-0123456789-0123456789"


def signed(claims: dict, key: str = KEY, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key if algorithm != "none" else None, algorithm=algorithm)


def test_a_login_token_reads_back_as_its_username_login_and_moment():
    issued = utcnow().replace(microsecond=0)
    token = sessions.login_token("bea", "login-id", KEY, issued)
    assert sessions.read_login_token(token, KEY) == sessions.LoginToken("bea", "login-id", issued)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(sessions.login_token("bea", "x", "another-key-0123456789-0123456789",
                                          utcnow()), id="signed-with-another-key"),
        pytest.param(sessions.login_token("bea", "x", KEY, utcnow() - sessions.LOGIN_LIFETIME
                                          - timedelta(minutes=1)), id="expired"),
        pytest.param(signed({"username": "bea", "exp_date": 4e9}), id="no-login-id"),
        pytest.param(signed({"username": "bea", "login": 7, "exp_date": 4e9}),
                     id="login-id-not-text"),
        pytest.param(signed({"username": "bea", "exp_date": 4e9}, algorithm="none"),
                     id="unsigned"),
        pytest.param(signed({"username": "bea", "login": "x"}), id="no-expiry"),
        pytest.param(signed({"exp_date": 4e9}), id="no-username"),
        pytest.param(signed({"username": ["bea"], "exp_date": 4e9}), id="username-not-text"),
        pytest.param(signed({"username": "bea", "exp_date": "4e9"}), id="expiry-not-a-number"),
        pytest.param(signed({"username": "bea", "exp_date": True}), id="expiry-a-boolean"),
        pytest.param(signed({"username": "bea", "exp_date": 1e300}), id="expiry-out-of-range"),
        pytest.param("not a token", id="not-a-token"),
        pytest.param("a.b.c", id="three-garbled-parts"),
        pytest.param("x" * 10_000, id="huge"),
    ],
)  # fmt: skip
def test_a_forged_expired_or_garbled_login_token_reads_as_none(value):
    assert sessions.read_login_token(value, KEY) is None


def test_parallel_wrong_passwords_check_at_most_the_limit(engine, bea, monkeypatch):
    """24 tabs send a wrong password at once: counting and recording an attempt is one step,
    so at most ``LOCK_AFTER`` passwords are checked."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier, Lock

    checked, lock = [], Lock()
    real = sessions._password_matches

    def counted(stored: str, password: str) -> bool:
        with lock:
            checked.append(password)
        return real(stored, password)

    monkeypatch.setattr(sessions, "_password_matches", counted)
    start = Barrier(24)

    def attempt(n: int) -> str:
        start.wait(timeout=60)
        try:
            sessions.log_in(engine, "bea", f"wrong-{n}")
        except LoginRefused as refusal:
            return str(refusal)
        return "logged in"

    with ThreadPoolExecutor(max_workers=24) as pool:
        answers = list(pool.map(attempt, range(24)))
    assert len(checked) <= LOCK_AFTER, len(checked)
    assert answers.count("Wrong username or password.") == len(checked)
    assert all(a.startswith(("Wrong", "Too many failed attempts")) for a in answers)
    with pytest.raises(LoginRefused, match="Too many"):
        sessions.log_in(engine, "bea", "right-password")
