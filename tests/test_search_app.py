"""Searching every listing from the picker, through AppTest: the scheduler's answer shows up
without a click, and a found listing joins the list on screen."""

from stockmon.domain.models import utcnow
from stockmon.domain.watchlists import get_picks, save_picks
from stockmon.providers import DemoProvider
from stockmon.scheduler.discovery import answer_searches
from tests.conftest import as_read
from tests.test_app import ann, engine, logged_in_app  # noqa: F401 (fixtures)


def test_a_found_listing_joins_the_list(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL"])
    at = logged_in_app("pages/picker.py")
    search = next(t for t in at.text_input if t.label == "Symbol or company")
    search.input("tesco")
    next(b for b in at.button if b.label == "Search").click().run()
    assert not at.exception
    assert any("Searching every listing" in c.value for c in at.caption)

    answer_searches(engine, DemoProvider(seed=1), utcnow)  # what the scheduler does
    at.run()
    add = next(b for b in at.button if b.key == "add_TSCO.LON")
    assert add.label == "Add"
    add.click().run()
    assert get_picks(engine, ann.id) == ["AAPL", "TSCO.LON"]
    assert at.multiselect[0].value == ["AAPL", "TSCO.LON"]
    assert next(b for b in at.button if b.key == "add_TSCO.LON").label == "Added"


def test_a_search_that_finds_nothing_says_so(engine, ann):  # noqa: F811
    at = logged_in_app("pages/picker.py")
    next(t for t in at.text_input if t.label == "Symbol or company").input("zzzz")
    next(b for b in at.button if b.label == "Search").click().run()
    answer_searches(engine, DemoProvider(seed=1), utcnow)
    at.run()
    assert at.info[-1].value == "No listing matches “zzzz”."


def test_unusable_words_get_a_message(engine, ann):  # noqa: F811
    at = logged_in_app("pages/picker.py")
    next(b for b in at.button if b.label == "Search").click().run()
    assert as_read(at.error[0].value) == "Type a symbol or a company name to search for."
