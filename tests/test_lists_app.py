"""Named lists and the status page, through AppTest: the list switcher (kept in the URL), list
management on the picker, and what the status page shows people and admins."""

from sqlalchemy import select

from stockmon.domain import accounts
from stockmon.domain.models import CYCLE_REQUESTED_AT, SchedulerState
from stockmon.domain.watchlists import create_list, lists_of, save_picks
from tests.test_app import ann, engine, logged_in_app, seed_quote  # noqa: F401 (fixtures)
from tests.test_dashboard_page import heartbeat


def shown_symbols(at) -> list[str]:
    return at.dataframe[0].value["Symbol"].tolist()


def test_the_dashboard_switches_lists_and_keeps_the_choice_in_the_url(engine, ann):  # noqa: F811
    tech = create_list(engine, ann.id, "Tech")
    dividends = create_list(engine, ann.id, "Dividends")
    save_picks(engine, ann.id, ["AAPL", "MSFT"], tech.id)
    save_picks(engine, ann.id, ["KO"], dividends.id)
    for symbol, price in (("AAPL", 230.0), ("MSFT", 410.0), ("KO", 61.0)):
        seed_quote(engine, symbol, price, price - 1)
    heartbeat(engine, 0)

    at = logged_in_app()
    assert not at.exception
    switcher = at.button_group(key="list")
    assert switcher.options == ["Tech", "Dividends"]
    assert shown_symbols(at) == ["AAPL", "MSFT"]
    switcher.set_value("Dividends").run()
    assert shown_symbols(at) == ["KO"]
    assert at.query_params["list"] == "Dividends"  # the view is a link


def test_a_link_opens_the_list_it_names(engine, ann):  # noqa: F811
    tech = create_list(engine, ann.id, "Tech")
    cars = create_list(engine, ann.id, "Cars")
    save_picks(engine, ann.id, ["AAPL"], tech.id)
    save_picks(engine, ann.id, ["TSLA"], cars.id)
    heartbeat(engine, 0)
    assert shown_symbols(logged_in_app(query={"list": "Cars"})) == ["TSLA"]
    stale = logged_in_app(query={"list": "Nobody's list"})  # deleted, or someone else's
    assert not stale.exception
    assert shown_symbols(stale) == ["AAPL"]


def test_an_empty_list_says_so(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL"])
    create_list(engine, ann.id, "Later")
    at = logged_in_app()
    at.button_group(key="list").set_value("Later").run()
    assert at.info[0].value == "Later is empty."


def test_lists_are_created_and_renamed_on_the_picker(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL"])
    at = logged_in_app("pages/picker.py")
    assert not at.exception
    at.text_input(key="new_list").input("Dividends")
    next(b for b in at.button if b.label == "Create list").click().run()
    assert [each.name for each in lists_of(engine, ann.id)] == ["My stocks", "Dividends"]
    assert at.button_group(key="list").value == "Dividends"  # the new list is shown

    at.text_input(key="new_list").input("dividends")
    next(b for b in at.button if b.label == "Create list").click().run()
    assert "already have a list named" in at.error[0].value

    shown = lists_of(engine, ann.id)[1]
    at.text_input(key=f"list_name_{shown.id}").input("Income")
    next(b for b in at.button if b.label == "Rename").click().run()
    assert [each.name for each in lists_of(engine, ann.id)] == ["My stocks", "Income"]
    assert not at.exception


def test_the_status_page_for_people_and_for_admins(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL"])
    seed_quote(engine, "AAPL", 230.0, 228.0)
    heartbeat(engine, 0)
    at = logged_in_app("pages/status.py")
    assert not at.exception
    assert [m.label for m in at.metric][:2] == ["Last cycle", "Each symbol refreshed every"]
    assert "Admin" not in [h.value for h in at.subheader]
    assert not [b for b in at.button if b.label == "Run a cycle now"]

    accounts.set_admin(engine, "ann", True)
    at = logged_in_app("pages/status.py")
    assert "Admin" in [h.value for h in at.subheader]
    next(b for b in at.button if b.label == "Run a cycle now").click().run()
    with engine.connect() as conn:
        requested = conn.execute(
            select(SchedulerState.value).where(SchedulerState.key == CYCLE_REQUESTED_AT)
        ).scalar()
    assert requested is not None
