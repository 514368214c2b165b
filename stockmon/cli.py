"""``python -m stockmon``: operator commands.

python -m stockmon db upgrade
python -m stockmon user add USERNAME --name NAME --email EMAIL [--admin]   (asks the password)
python -m stockmon user list
python -m stockmon user remove USERNAME
python -m stockmon user set-password USERNAME   (ends the user's sessions)
python -m stockmon user promote USERNAME        (or demote: admin or not)
python -m stockmon limits [--per-user N] [--total N]   (caps on tracked symbols)
python -m stockmon secret-key rotate   (re-encrypts notification URLs with a new key)
python -m stockmon port   (the port ./run.sh serves the app on: STOCKMON_PORT, also from .env)
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from stockmon.domain import accounts, notify
from stockmon.domain.accounts import AccountError
from stockmon.domain.config import ConfigError, load_settings
from stockmon.domain.db import make_engine
from stockmon.domain.keys import SECRET_KEY_FILE, replace_kept_key
from stockmon.domain.limits import MAX_PICKS, current_limits, set_tracking_limits
from stockmon.domain.schema import prepare_database
from stockmon.domain.vault import Vault


def _engine() -> Engine:
    engine = make_engine(load_settings().database_url)
    prepare_database(engine)
    return engine


def _read_password(args: argparse.Namespace) -> tuple[str, str]:
    """From STOCKMON_PASSWORD when set (scripts), else asked twice without echo."""
    if from_env := os.environ.get("STOCKMON_PASSWORD"):
        return from_env, from_env
    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
        return password, password
    return getpass.getpass("Password: "), getpass.getpass("Repeat password: ")


def _db_upgrade(_args: argparse.Namespace) -> int:
    engine = _engine()
    print(f"database ready: {engine.url.render_as_string(hide_password=True)}")
    return 0


def _user_add(args: argparse.Namespace) -> int:
    password, repeat = _read_password(args)
    account = accounts.create_user(
        _engine(), args.username, args.name, args.email, password, repeat, admin=args.admin
    )
    print(f"added {account.username} ({account.email}){' as an admin' * account.is_admin}")
    return 0


def terminal_safe(text: str) -> str:
    """``text`` with every control character written as an escape (``\\x1b``), so nothing
    stored can steer an admin's terminal."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _user_list(_args: argparse.Namespace) -> int:
    for account in accounts.list_accounts(_engine()):
        role = "admin" if account.is_admin else "user"
        fields = (account.username, account.name, account.email, role)
        print("\t".join(map(terminal_safe, fields)))
    return 0


def _user_remove(args: argparse.Namespace) -> int:
    if not accounts.remove_user(_engine(), args.username):
        print(f"stockmon: there is no user {args.username!r}", file=sys.stderr)
        return 1
    print(f"removed {args.username} and their watchlist")
    return 0


def _user_set_password(args: argparse.Namespace) -> int:
    password, repeat = _read_password(args)
    accounts.set_password(_engine(), args.username, password, repeat)
    print(f"password of {args.username} changed")
    return 0


def _user_set_admin(args: argparse.Namespace) -> int:
    accounts.set_admin(_engine(), args.username, args.admin)
    print(f"{args.username} is {'now an admin' if args.admin else 'no longer an admin'}")
    return 0


def _limits(args: argparse.Namespace) -> int:
    engine = _engine()
    if args.per_user is not None or args.total is not None:
        try:
            set_tracking_limits(engine, args.per_user, args.total)
        except ValueError as error:
            print(f"stockmon: {error}", file=sys.stderr)
            return 2
    limits = current_limits(engine)
    print(f"per person: {limits.per_user} symbols")
    print(f"everyone together: {limits.total or 'no cap'}")
    return 0


NEW_SECRET_KEY = "STOCKMON_NEW_SECRET_KEY"


def _rotate_secret_key(_args: argparse.Namespace) -> int:
    """Re-encrypt every stored notification URL with a new key. A kept key (data/secret_key)
    is replaced by a new random one; a configured ``STOCKMON_SECRET_KEY`` by the key given in
    ``STOCKMON_NEW_SECRET_KEY`` (never on the command line, where other users can read it)."""
    settings = load_settings()
    new_key = os.environ.get(NEW_SECRET_KEY, "")
    if settings.secret_key is not None and not new_key:
        print(
            f"stockmon: STOCKMON_SECRET_KEY is set: give the new key in {NEW_SECRET_KEY}, "
            "then set STOCKMON_SECRET_KEY to it everywhere",
            file=sys.stderr,
        )
        return 2
    if new_key and len(new_key) < 32:
        print(f"stockmon: {NEW_SECRET_KEY} must be at least 32 characters", file=sys.stderr)
        return 2
    new_key = new_key or secrets.token_urlsafe(48)
    engine = _engine()
    count = notify.rotate_secret_key(engine, Vault([notify.secret_key(settings)]), Vault([new_key]))
    if settings.secret_key is None:
        replace_kept_key(settings.data_dir, SECRET_KEY_FILE, new_key)
        where = f"kept in {settings.data_dir / SECRET_KEY_FILE}"
    else:
        where = "now set STOCKMON_SECRET_KEY to it for every app and scheduler"
    print(f"re-encrypted {count} notification URL{'s' * (count != 1)}; the new key is {where}")
    print("restart the app and the scheduler so they use it")
    return 0


def _port(_args: argparse.Namespace) -> int:
    print(load_settings().port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m stockmon",
        description="Operator commands for stockmon.",
        epilog="Passwords are read from STOCKMON_PASSWORD, standard input, or asked for.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="database schema").add_subparsers(required=True)
    db.add_parser("upgrade", help="create or migrate the schema, seed the catalog").set_defaults(
        handler=_db_upgrade
    )

    user = commands.add_parser("user", help="manage accounts").add_subparsers(required=True)
    add = user.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--name", required=True)
    add.add_argument("--email", required=True)
    add.add_argument("--admin", action="store_true", help="may use the admin actions")
    add.set_defaults(handler=_user_add)
    user.add_parser("list", help="list accounts").set_defaults(handler=_user_list)
    remove = user.add_parser("remove", help="delete an account and its watchlist")
    remove.add_argument("username")
    remove.set_defaults(handler=_user_remove)
    reset = user.add_parser("set-password", help="set a new password")
    reset.add_argument("username")
    reset.set_defaults(handler=_user_set_password)
    for verb, admin, text in (("promote", True, "an admin"), ("demote", False, "a plain user")):
        role = user.add_parser(verb, help=f"make a user {text}")
        role.add_argument("username")
        role.set_defaults(handler=_user_set_admin, admin=admin)
    limits = commands.add_parser("limits", help="show or set the caps on tracked symbols")
    limits.add_argument("--per-user", type=int, help=f"symbols one person may pick (1-{MAX_PICKS})")
    limits.add_argument("--total", type=int, help="symbols everyone's picks may span (0: no cap)")
    limits.set_defaults(handler=_limits)
    key = commands.add_parser("secret-key", help="the key notification URLs are encrypted with")
    key.add_subparsers(required=True).add_parser(
        "rotate", help="re-encrypt every notification URL with a new key"
    ).set_defaults(handler=_rotate_secret_key)
    commands.add_parser("port", help="the port ./run.sh serves the app on").set_defaults(
        handler=_port
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (ConfigError, AccountError) as error:
        print(f"stockmon: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        print(f"stockmon: database error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
