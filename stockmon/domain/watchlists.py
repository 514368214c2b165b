"""Each person's named watchlists ("Tech", "Dividends") and the symbols on them.

Every function takes the person's user id and touches only lists that person owns: a list id
of someone else's is "no such list". The scheduler tracks every symbol on anyone's list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, func, select, update
from sqlmodel import col

from stockmon.domain.errors import StockmonError
from stockmon.domain.limits import tracking_limits
from stockmon.domain.models import Symbol, Watchlist, WatchlistItem, table_of, utcnow
from stockmon.domain.symbols import normalize_symbol

FIRST_LIST_NAME = "My stocks"
MAX_LISTS = 20
MAX_NAME_LENGTH = 40


class WatchlistError(StockmonError):
    """A list or picks that cannot be saved; the message says why."""


@dataclass(frozen=True)
class ListInfo:
    id: int
    name: str
    size: int


def _clean_name(name: str) -> str:
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise WatchlistError("Give the list a name.")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise WatchlistError(f"A list's name has at most {MAX_NAME_LENGTH} characters.")
    if not cleaned.isprintable():
        raise WatchlistError("A list's name cannot hold control characters.")
    return cleaned


def _owned(conn: Connection, user_id: int, list_id: int) -> Watchlist:
    row = conn.execute(
        select(Watchlist).where(col(Watchlist.id) == list_id, col(Watchlist.user_id) == user_id)
    ).first()
    if row is None:
        raise WatchlistError("No such list: it may have been deleted.")
    return row[0]


def _name_taken(conn: Connection, user_id: int, name: str, list_id: int | None = None) -> bool:
    query = select(col(Watchlist.id)).where(
        col(Watchlist.user_id) == user_id, func.lower(col(Watchlist.name)) == name.lower()
    )
    if list_id is not None:
        query = query.where(col(Watchlist.id) != list_id)
    return conn.execute(query).first() is not None


def lists_of(engine: Engine, user_id: int) -> list[ListInfo]:
    """A person's lists in their chosen order, with how many symbols each holds."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(col(Watchlist.id), col(Watchlist.name), func.count(col(WatchlistItem.symbol)))
            .outerjoin(WatchlistItem, col(WatchlistItem.watchlist_id) == col(Watchlist.id))
            .where(col(Watchlist.user_id) == user_id)
            .group_by(col(Watchlist.id), col(Watchlist.name), col(Watchlist.position))
            .order_by(col(Watchlist.position), col(Watchlist.id))
        ).all()
    return [ListInfo(list_id, name, size) for list_id, name, size in rows if list_id is not None]


def lists_holding(engine: Engine, user_id: int, symbol: str) -> list[str]:
    """The names of a person's lists that hold ``symbol``, in their chosen order."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(col(Watchlist.name))
                .join(WatchlistItem, col(WatchlistItem.watchlist_id) == col(Watchlist.id))
                .where(col(Watchlist.user_id) == user_id, col(WatchlistItem.symbol) == symbol)
                .order_by(col(Watchlist.position), col(Watchlist.id))
            ).scalars()
        )


def create_list(engine: Engine, user_id: int, name: str) -> ListInfo:
    """A new empty list, last in the person's order."""
    name = _clean_name(name)
    with engine.begin() as conn:
        count = conn.execute(
            select(func.count()).select_from(Watchlist).where(col(Watchlist.user_id) == user_id)
        ).scalar_one()
        if count >= MAX_LISTS:
            raise WatchlistError(f"Keep at most {MAX_LISTS} lists.")
        if _name_taken(conn, user_id, name):
            raise WatchlistError(f"You already have a list named {name!r}.")
        last = conn.execute(
            select(func.max(col(Watchlist.position))).where(col(Watchlist.user_id) == user_id)
        ).scalar_one()
        list_id = conn.execute(
            table_of(Watchlist)
            .insert()
            .values(
                user_id=user_id,
                name=name,
                position=0 if last is None else last + 1,
                created_at=utcnow(),
            )
            .returning(table_of(Watchlist).c.id)
        ).scalar_one()
    return ListInfo(list_id, name, 0)


def rename_list(engine: Engine, user_id: int, list_id: int, name: str) -> str:
    name = _clean_name(name)
    with engine.begin() as conn:
        _owned(conn, user_id, list_id)
        if _name_taken(conn, user_id, name, list_id):
            raise WatchlistError(f"You already have a list named {name!r}.")
        conn.execute(update(Watchlist).where(col(Watchlist.id) == list_id).values(name=name))
    return name


def delete_list(engine: Engine, user_id: int, list_id: int) -> None:
    """The list and its symbols go; the symbols stay tracked while any other list holds them."""
    with engine.begin() as conn:
        _owned(conn, user_id, list_id)
        conn.execute(delete(Watchlist).where(col(Watchlist.id) == list_id))


def move_list(engine: Engine, user_id: int, list_id: int, steps: int) -> None:
    """Move a list ``steps`` places later (earlier when negative) in the person's order."""
    with engine.begin() as conn:
        _owned(conn, user_id, list_id)
        order = list(
            conn.execute(
                select(col(Watchlist.id))
                .where(col(Watchlist.user_id) == user_id)
                .order_by(col(Watchlist.position), col(Watchlist.id))
            ).scalars()
        )
        index = order.index(list_id)
        order.insert(max(0, min(len(order) - 1, index + steps)), order.pop(index))
        for position, each in enumerate(order):
            conn.execute(
                update(Watchlist).where(col(Watchlist.id) == each).values(position=position)
            )


def list_symbols(engine: Engine, user_id: int, list_id: int) -> list[str]:
    """The symbols on one of the person's lists, in their order."""
    with engine.connect() as conn:
        _owned(conn, user_id, list_id)
        return list(
            conn.execute(
                select(col(WatchlistItem.symbol))
                .where(col(WatchlistItem.watchlist_id) == list_id)
                .order_by(col(WatchlistItem.position), col(WatchlistItem.symbol))
            ).scalars()
        )


def get_picks(engine: Engine, user_id: int) -> list[str]:
    """Every symbol on any of the person's lists, each once, in list order."""
    with engine.connect() as conn:
        return picks_on(conn, user_id)


def picks_on(conn: Connection, user_id: int) -> list[str]:
    """``get_picks`` on an open connection, inside the caller's transaction."""
    rows = conn.execute(
        select(col(WatchlistItem.symbol))
        .join(Watchlist, col(Watchlist.id) == col(WatchlistItem.watchlist_id))
        .where(col(Watchlist.user_id) == user_id)
        .order_by(col(Watchlist.position), col(Watchlist.id), col(WatchlistItem.position))
    ).scalars()
    return list(dict.fromkeys(rows))


def _first_list(conn: Connection, user_id: int) -> int:
    """The person's first list, created as "My stocks" when they have none."""
    found = conn.execute(
        select(col(Watchlist.id))
        .where(col(Watchlist.user_id) == user_id)
        .order_by(col(Watchlist.position), col(Watchlist.id))
        .limit(1)
    ).scalar()
    if found is not None:
        return found
    return conn.execute(
        table_of(Watchlist)
        .insert()
        .values(user_id=user_id, name=FIRST_LIST_NAME, position=0, created_at=utcnow())
        .returning(table_of(Watchlist).c.id)
    ).scalar_one()


def _check_caps(conn: Connection, user_id: int, list_id: int, picks: Sequence[str]) -> None:
    """The person's lists together stay within their cap, and everyone's within the total cap;
    symbols already tracked for someone else cost nothing more."""
    limits = tracking_limits(conn)
    elsewhere = select(col(WatchlistItem.symbol), col(Watchlist.user_id)).join(
        Watchlist, col(Watchlist.id) == col(WatchlistItem.watchlist_id)
    )
    rows = conn.execute(elsewhere.where(col(WatchlistItem.watchlist_id) != list_id)).all()
    own = {symbol for symbol, owner in rows if owner == user_id} | set(picks)
    if len(own) > limits.per_user:
        raise WatchlistError(
            f"Pick at most {limits.per_user} symbols across your lists (these would make "
            f"{len(own)})."
        )
    if limits.total is None:
        return
    others = {symbol for symbol, owner in rows if owner != user_id}
    tracked = others | own
    if len(tracked) > limits.total:
        room = max(limits.total - len(others), 0)
        raise WatchlistError(
            f"stockmon tracks at most {limits.total} symbols for everyone, and other people's "
            f"picks take {len(others)}: you can add {room} more of your own, or pick symbols "
            "others already watch. An admin can raise the cap."
        )


def save_picks(
    engine: Engine, user_id: int, symbols: Sequence[str], list_id: int | None = None
) -> list[str]:
    """Replace the symbols of one of the person's lists (their first list when ``list_id``
    is None, created if need be) with ``symbols``: catalog symbols only, in the given order,
    within the caps an admin set (``limits``)."""
    try:
        picks = list(dict.fromkeys(normalize_symbol(s) for s in symbols))
    except ValueError as error:
        raise WatchlistError(str(error)) from None
    now = utcnow()
    with engine.begin() as conn:
        if list_id is None:
            list_id = _first_list(conn, user_id)
        else:
            _owned(conn, user_id, list_id)
        known = set(
            conn.execute(select(col(Symbol.symbol)).where(col(Symbol.symbol).in_(picks))).scalars()
        )
        if unknown := [s for s in picks if s not in known]:
            raise WatchlistError(f"Not in the catalog: {', '.join(unknown)}")
        _check_caps(conn, user_id, list_id, picks)
        conn.execute(delete(WatchlistItem).where(col(WatchlistItem.watchlist_id) == list_id))
        if picks:
            conn.execute(
                table_of(WatchlistItem).insert(),
                [
                    {"watchlist_id": list_id, "symbol": s, "position": i, "added_at": now}
                    for i, s in enumerate(picks)
                ],
            )
    return picks
