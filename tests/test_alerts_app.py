"""The Alerts page and the dashboard's alert toasts, through Streamlit's AppTest."""

import pytest

from stockmon.domain import alert_inbox
from stockmon.domain.alert_rules import create_rule
from stockmon.domain.watchlists import save_picks
from tests.conftest import quote_arrives
from tests.test_app import ann, engine, logged_in_app, seed_quote  # noqa: F401 (fixtures)

pytestmark = pytest.mark.usefixtures("local_receivers_allowed")  # 127.0.0.1 receivers


def test_a_person_creates_a_rule_and_sees_its_state(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL", "MSFT"])
    seed_quote(engine, "AAPL", 190.0, 188.0)
    at = logged_in_app("pages/alerts.py")
    assert not at.exception
    assert at.selectbox[0].options[:2] == [
        "AAPL · Apple Inc. (pick)",
        "MSFT · Microsoft Corporation (pick)",
    ]
    at.selectbox[0].select("AAPL")
    at.selectbox[1].select("above")
    at.number_input[0].set_value(200.0)
    at.text_input[0].input("<b>sell</b> half")
    at.button[0].click().run()
    assert not at.exception
    assert "Alert created: AAPL price above 200.00" in at.success[0].value
    rules = at.dataframe[0].value
    assert list(rules["state"]) == ["armed"]
    assert rules.iloc[0]["note"] == "<b>sell</b> half"  # shown as text in a table cell
    assert rules.iloc[0]["distance"] == (200 - 190) / 200 * 100


def test_a_bad_threshold_gets_one_clear_sentence(engine, ann):  # noqa: F811
    at = logged_in_app("pages/alerts.py")
    at.number_input[0].set_value(0.0)
    at.button[0].click().run()
    assert "positive, finite" in at.error[0].value
    assert alert_inbox.rules_overview(engine, ann.id).empty


def test_the_dashboard_toasts_each_new_alert_once_and_counts_the_unread(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL"])
    seed_quote(engine, "AAPL", 190.0, 188.0)
    create_rule(engine, ann.id, "AAPL", "above", 200, note="*sell*")
    quote_arrives(engine, "AAPL", 201.0)
    at = logged_in_app()
    assert not at.exception
    toasts = [t.value for t in at.toast]
    assert toasts == ["AAPL price above 200\\.00: now 201\\.00 · \\*sell\\*"]
    assert any("1 new alert" in str(link.proto.label) for link in at.get("page_link"))
    again = logged_in_app()  # another tab: the same event is not toasted twice
    assert not again.toast


def test_mark_all_read_clears_the_badge(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL"])
    create_rule(engine, ann.id, "AAPL", "below", 100)
    quote_arrives(engine, "AAPL", 99.0)
    at = logged_in_app("pages/alerts.py")
    history = at.dataframe[-1].value
    assert list(history["symbol"]) == ["AAPL"] and not history.iloc[0]["seen"]
    next(b for b in at.button if b.label.startswith("Mark all read")).click().run()
    assert alert_inbox.unseen_count(engine, ann.id) == 0


def test_notification_urls_are_added_masked_and_tested(engine, ann):  # noqa: F811
    from tests.receivers import receiving

    with receiving() as receiver:
        at = logged_in_app("pages/alerts.py")
        url_input = next(t for t in at.text_input if t.label == "Notification URL")
        url_input.input(receiver.json_url().replace("json://", "json://u:topsecret@"))
        next(b for b in at.button if b.label == "Add").click().run()
        assert not at.exception
        assert f"Added json://127.0.0.1:{receiver.port} · #" in at.success[0].value
        assert all("topsecret" not in c.value for c in at.code)
        next(b for b in at.button if b.label == "Send test").click().run()
        assert "Test notification sent." in [s.value for s in at.success]
    assert receiver.received[0]["title"] == "stockmon test"


def test_a_rule_is_created_from_the_dashboard(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL", "MSFT"])
    seed_quote(engine, "MSFT", 410.0, 400.0)
    at = logged_in_app()
    next(s for s in at.selectbox if s.label == "Symbol").select("MSFT")
    next(s for s in at.selectbox if s.label == "Condition").select("below").run()
    threshold = next(n for n in at.number_input if n.label == "Threshold")
    assert threshold.value == 410.0  # it starts at the chosen symbol's current price
    threshold.set_value(400.0)
    next(b for b in at.button if b.label == "Create alert").click().run()
    assert not at.exception
    assert "Alert created: MSFT price below 400.00" in at.success[0].value
    assert list(alert_inbox.rules_overview(engine, ann.id)["symbol"]) == ["MSFT"]


def test_the_threshold_starts_where_each_condition_is_usually_set(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL", "MSFT"])
    seed_quote(engine, "AAPL", 0.03456, 0.03)
    at = logged_in_app("pages/alerts.py")
    threshold = lambda: next(n for n in at.number_input if n.label == "Threshold")  # noqa: E731
    assert threshold().value == 0.0346  # a price under 1 keeps four decimals
    next(s for s in at.selectbox if s.label == "Condition").select("up_pct").run()
    assert threshold().value == 5.0
    next(s for s in at.selectbox if s.label == "Symbol").select("MSFT")
    next(s for s in at.selectbox if s.label == "Condition").select("above").run()
    assert threshold().value is None  # no quote yet: an empty field, never a made-up price
    next(b for b in at.button if b.label == "Create alert").click().run()
    assert "The threshold must be a number" in at.error[0].value
    assert not at.exception and alert_inbox.rules_overview(engine, ann.id).empty


def test_no_stray_caption_on_the_alerts_page(engine, ann):  # noqa: F811
    at = logged_in_app("pages/alerts.py")
    assert not any("Signed in as" in c.value for c in at.caption)


def test_an_earnings_rule_is_set_in_whole_days_and_shows_its_distance(engine, ann):  # noqa: F811
    from datetime import timedelta

    from stockmon.domain.earnings import EarningsDate
    from stockmon.domain.models import utcnow
    from stockmon.scheduler import earnings_calendar

    save_picks(engine, ann.id, ["AAPL"])
    seed_quote(engine, "AAPL", 190.0, 188.0)
    now = utcnow()
    earnings_calendar.record(
        engine, ["AAPL"], [EarningsDate("AAPL", now.date() + timedelta(days=10))], now
    )
    at = logged_in_app("pages/alerts.py")
    next(s for s in at.selectbox if s.label == "Condition").select("earnings").run()
    days = next(n for n in at.number_input if n.label == "Days before the report")
    assert days.value == 7.0
    days.set_value(5.0)
    next(b for b in at.button if b.label == "Create alert").click().run()
    assert not at.exception
    assert "Alert created: AAPL earnings within 5 days." in at.success[0].value
    rules = at.dataframe[0].value
    assert rules.iloc[0]["condition"] == "earnings within 5 days"
    assert rules.iloc[0]["distance"] == 5  # ten days away, fires at five
