"""Everything people or providers type is text: never markdown, an image or a terminal
control, on every page and in the CLI; a browser's time zone is only ever a known one."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from stockmon.domain import accounts
from stockmon.domain.alert_rules import AlertError, validate
from stockmon.domain.models import User
from stockmon.domain.watchlists import create_list, save_picks
from tests.test_accounts import cli
from tests.test_app import ann, engine, logged_in_app  # noqa: F401 (fixtures)

IMAGE = "![p](http://attacker.invalid/l.png)"


def test_a_list_name_is_shown_as_text_in_the_switcher_and_messages(engine, ann):  # noqa: F811
    save_picks(engine, ann.id, ["AAPL"])  # on a first list, so the dashboard shows the lists
    create_list(engine, ann.id, IMAGE)
    at = logged_in_app(query={"list": IMAGE})
    assert not at.exception
    switcher = at.get("button_group")[0]
    labels = [option.content for option in switcher.proto.options]
    assert labels[1] == "\\!\\[p\\]\\(http://attacker\\.invalid/l\\.png\\)", labels
    assert all("![" not in str(option) for option in labels), labels
    assert any("\\!\\[p\\]" in info.value for info in at.info)  # "… is empty", escaped
    picker = logged_in_app("pages/picker.py", query={"list": IMAGE})
    assert not picker.exception
    assert all("](http" not in (m.label or "") for m in picker.multiselect)


@pytest.mark.parametrize("bad", ["Eve\x1b[31mred", "Tab\there", "two\nlines"])
def test_control_characters_are_refused_at_input(engine, bad):  # noqa: F811
    with pytest.raises(accounts.AccountError, match="control characters"):
        accounts.create_user(engine, "eve", bad, "eve@example.com", "sup3rsecret")
    with pytest.raises(AlertError, match="control characters"):
        validate("AAPL", "above", 10.0, bad)


def test_the_cli_escapes_what_it_prints(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert cli(url, "user", "add", "eve", "--name", "Eve", "--email", "e@example.com",
               password="sup3rsecret\nsup3rsecret\n").returncode == 0  # fmt: skip
    from stockmon.domain.db import make_engine

    database = make_engine(url)
    with database.begin() as conn:  # written behind the library's back
        conn.execute(update(User).values(name="Eve\x1b]0;owned\x07\x1b[2J"))
    database.dispose()
    listed = cli(url, "user", "list").stdout
    assert "\x1b" not in listed and "\x07" not in listed
    assert "eve\tEve\\x1b]0;owned\\x07\\x1b[2J\te@example.com\tuser" in listed


@pytest.mark.parametrize("reported", ["x" * 300, "../../etc/passwd", "Not/AZone", "", None])
def test_a_browser_time_zone_is_used_only_when_known(reported):
    assert accounts.known_timezone(reported) is None
    assert accounts.known_timezone("Europe/Paris") == "Europe/Paris"
