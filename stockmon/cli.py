"""``python -m stockmon``: operator commands."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import SQLAlchemyError

from stockmon.config import ConfigError, load_settings
from stockmon.db import make_engine, prepare_database


def _db_upgrade(_args: argparse.Namespace) -> int:
    engine = make_engine(load_settings().database_url)
    prepare_database(engine)
    print(f"database ready: {engine.url.render_as_string(hide_password=True)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stockmon", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="create or migrate the schema, seed the catalog")
    db.set_defaults(handler=_db_upgrade)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ConfigError as error:
        print(f"stockmon: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        print(f"stockmon: database error: {error.__class__.__name__}: {error}", file=sys.stderr)
        return 1
