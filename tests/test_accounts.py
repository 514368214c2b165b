"""Accounts, watchlists and the user CLI on both databases."""

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from sqlalchemy import select

from stockmon import cli as operator_commands
from stockmon.domain import accounts
from stockmon.domain.accounts import AccountError
from stockmon.domain.config import Registration
from stockmon.domain.models import User
from stockmon.domain.watchlists import WatchlistError, get_picks, save_picks
from tests.conftest import subprocess_environment

ROOT = Path(__file__).resolve().parent.parent


def test_passwords_are_stored_as_bcrypt_hashes(engine):
    accounts.create_user(engine, "Ann", "Ann Lee", "Ann@Example.com", "sup3rsecret")
    with engine.connect() as conn:
        rows = conn.execute(select(User.username, User.email, User.password_hash)).all()
    assert [(r.username, r.email) for r in rows] == [("ann", "ann@example.com")]
    assert rows[0].password_hash.startswith("$2")
    assert accounts.verify_password(engine, "ANN", "sup3rsecret")
    assert not accounts.verify_password(engine, "ann", "wrong")
    assert not accounts.verify_password(engine, "nobody", "sup3rsecret")


@pytest.mark.parametrize(
    ("username", "email", "password", "message"),
    [
        ("a", "a@b.co", "password1", "3 to 32 characters"),
        ("<script>", "a@b.co", "password1", "3 to 32 characters"),
        ("carol", "carol@", "password1", "valid email"),
        ("carol", "c@b.co", "short", "at least 8"),
        ("carol", "c@b.co", "x" * 73, "at most 72 bytes"),
        ("ann", "c@b.co", "password1", "username is already registered"),
        ("carol", "ANN@example.com", "password1", "email address is already registered"),
    ],
)
def test_registration_rules(engine, username, email, password, message):
    accounts.create_user(engine, "ann", "Ann", "ann@example.com", "sup3rsecret")
    with pytest.raises(AccountError, match=message):
        accounts.create_user(engine, username, "Carol", email, password)


def test_change_password_needs_the_current_one(engine):
    accounts.create_user(engine, "ann", "Ann", "ann@example.com", "sup3rsecret")
    with pytest.raises(AccountError, match="current password is wrong"):
        accounts.change_password(engine, "ann", "nope", "newpassword", "newpassword")
    accounts.change_password(engine, "ann", "sup3rsecret", "newpassword", "newpassword")
    assert accounts.verify_password(engine, "ann", "newpassword")


def test_watchlists_are_per_user_and_catalog_only(engine):
    ann = accounts.create_user(engine, "ann", "Ann", "ann@example.com", "sup3rsecret")
    bob = accounts.create_user(engine, "bob", "Bob", "bob@example.com", "sup3rsecret")
    assert save_picks(engine, ann.id, ["tsla", "AAPL", "TSLA"]) == ["TSLA", "AAPL"]
    save_picks(engine, bob.id, ["GME"])
    assert get_picks(engine, ann.id) == ["TSLA", "AAPL"]
    with pytest.raises(WatchlistError, match="Not in the catalog: NOPE"):
        save_picks(engine, ann.id, ["AAPL", "NOPE"])
    with pytest.raises(WatchlistError, match="not a ticker symbol"):
        save_picks(engine, ann.id, ["<b>x</b>"])
    assert get_picks(engine, ann.id) == ["TSLA", "AAPL"]  # a refused save changes nothing
    assert accounts.remove_user(engine, "ann")
    assert get_picks(engine, ann.id) == []
    assert get_picks(engine, bob.id) == ["GME"]


def test_cookie_key_is_generated_once_and_kept(tmp_path):
    first = accounts.cookie_key(None, tmp_path)
    assert len(first) >= 32
    assert accounts.cookie_key(None, tmp_path) == first
    assert (tmp_path / "cookie_key").stat().st_mode & 0o777 == 0o600
    assert accounts.cookie_key("configured", tmp_path) == "configured"


def cli(
    database_url: str, *args: str, password: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m stockmon ARGS`` as an operator's shell runs it, but in this process (each
    process would spend seconds importing): the settings from a clean environment, the
    password on standard input, the exit status as a process's. ``cli_process`` is the real
    process."""
    environment = subprocess_environment(STOCKMON_DATABASE_URL=database_url, **(env or {}))
    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, environment, clear=True),
        mock.patch.object(sys, "stdin", io.StringIO(password or "")),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            status = operator_commands.main(list(args))
        except SystemExit as exit_:  # a usage error, as argparse ends a process
            status = exit_.code if isinstance(exit_.code, int) else 2
    return subprocess.CompletedProcess(args, status, out.getvalue(), err.getvalue())


def cli_process(
    database_url: str, *args: str, password: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = subprocess_environment(STOCKMON_DATABASE_URL=database_url)
    return subprocess.run(
        [sys.executable, "-m", "stockmon", *args], cwd=ROOT, env=env, input=password,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("registration", "allowlist", "email", "refusal"),
    [
        (Registration.OPEN, (), "anyone@anywhere.org", None),
        (Registration.CLOSED, (), "anyone@anywhere.org", "Registration is closed here"),
        (Registration.ALLOWLIST, ("example.com",), "Bea@Example.com", None),
        (Registration.ALLOWLIST, ("example.com", "bob@x.org"), "bob@x.org", None),
        (Registration.ALLOWLIST, ("example.com",), "eve@example.com.evil.org", "may not register"),
        (Registration.ALLOWLIST, ("bob@x.org",), "eve@x.org", "may not register"),
    ],
)
def test_registration_policy(registration, allowlist, email, refusal):
    if refusal is None:
        accounts.check_registration_policy(email, registration, allowlist)
    else:
        with pytest.raises(AccountError, match=refusal):
            accounts.check_registration_policy(email, registration, allowlist)


def test_user_cli(database_url):
    added = cli_process(database_url, "user", "add", "Ops", "--name", "Op Erator", "--email",
                        "ops@example.com", password="sup3rsecret\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "ops\tOp Erator\tops@example.com\tuser" in cli(database_url, "user", "list").stdout
    boss = cli(database_url, "user", "add", "boss", "--name", "Boss", "--email", "b@example.com",
               "--admin", password="sup3rsecret\n")  # fmt: skip
    assert boss.returncode == 0 and "as an admin" in boss.stdout
    assert cli(database_url, "user", "promote", "ops").returncode == 0
    assert cli(database_url, "user", "demote", "boss").returncode == 0
    listed = cli(database_url, "user", "list").stdout
    assert "ops\tOp Erator\tops@example.com\tadmin" in listed and "b@example.com\tuser" in listed
    assert cli(database_url, "user", "remove", "boss").returncode == 0
    weak = cli(database_url, "user", "set-password", "ops", password="weak\n")
    assert weak.returncode == 2 and "at least 8" in weak.stderr
    changed = cli(database_url, "user", "set-password", "ops", password="an0ther-pass\n")
    assert changed.returncode == 0
    assert cli(database_url, "user", "remove", "ops").returncode == 0
    missing = cli(database_url, "user", "remove", "ops")
    assert missing.returncode == 1 and "no user" in missing.stderr
    assert cli(database_url, "user", "list").stdout == ""


def test_admin_caps_on_tracked_symbols(engine, database_url):
    ann = accounts.create_user(engine, "ann", "Ann", "ann@example.com", "sup3rsecret")
    bob = accounts.create_user(engine, "bob", "Bob", "bob@example.com", "sup3rsecret")
    shown = cli(database_url, "limits", "--per-user", "3", "--total", "4")
    assert shown.returncode == 0, shown.stderr
    assert "per person: 3" in shown.stdout and "together: 4" in shown.stdout
    with pytest.raises(WatchlistError, match="Pick at most 3 symbols"):
        save_picks(engine, ann.id, ["AAPL", "MSFT", "NVDA", "TSLA"])
    save_picks(engine, ann.id, ["AAPL", "MSFT", "NVDA"])
    save_picks(engine, bob.id, ["AAPL", "MSFT", "TSLA"])  # one new symbol: 4 in all
    with pytest.raises(WatchlistError, match="at most 4 symbols for everyone") as refused:
        save_picks(engine, bob.id, ["AAPL", "AMZN", "TSLA"])
    assert "you can add 1 more of your own" in str(refused.value)
    assert get_picks(engine, bob.id) == ["AAPL", "MSFT", "TSLA"]  # unchanged
    assert cli(database_url, "limits", "--total", "0").returncode == 0
    save_picks(engine, bob.id, ["AAPL", "AMZN", "TSLA"])
    bad = cli(database_url, "limits", "--per-user", "500")
    assert bad.returncode == 2 and "between 1 and 100" in bad.stderr
