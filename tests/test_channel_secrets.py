"""Notification URLs hold people's secrets: shown as scheme, host and a fingerprint only,
never in a log line at any level (Apprise's own loggers included), stored encrypted, and
re-encrypted when the admin rotates the key."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from stockmon.domain import notify
from stockmon.domain.alert_rules import create_rule
from stockmon.domain.db import make_engine
from stockmon.domain.models import NotificationChannel
from stockmon.domain.vault import Vault, VaultError
from stockmon.scheduler import delivery
from tests.conftest import TEST_SECRET_KEY, add_user, quote_arrives, subprocess_environment
from tests.receivers import receiving

pytestmark = pytest.mark.usefixtures("local_receivers_allowed")  # 127.0.0.1 receivers

SECRETS = ["hookuser", "hookpass9", "BearerTok3n", "apik3yvalue", "s3cretpath"]


def hostile_url(port: int) -> str:
    """Every place a URL hides a secret: user and password, a header and a parameter in the
    query, a secret path segment."""
    return (
        f"json://hookuser:hookpass9@127.0.0.1:{port}/s3cretpath/in?"
        "+Authorization=Bearer%20BearerTok3n&-apikey=apik3yvalue"
    )


def stored_urls(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(NotificationChannel.url)).scalars())


def test_a_url_is_shown_as_scheme_host_and_a_fingerprint(engine, user_id):
    shown = notify.add_channel(engine, user_id, hostile_url(8080))
    assert (
        shown.startswith("json://127.0.0.1:8080 · #")
        and len(shown) == len("json://127.0.0.1:8080 · #") + 6
    )
    assert not [secret for secret in SECRETS if secret in shown]
    assert notify.channels(engine, user_id)[0][1] == shown
    for url, secret in (
        ("tgram://123456789:AAbotTokenSecret/987654", "AAbotTokenSecret"),
        ("slack://TokenAsecret/TokenBsecret/TokenCsecret/", "secret"),
        ("ntfy://ntfy.example.com/topicsecret42", "topicsecret42"),
    ):
        assert secret not in notify.add_channel(engine, user_id, url)


def test_no_part_of_a_url_reaches_any_log_line(engine, user_id, caplog):
    caplog.set_level(logging.DEBUG)
    with receiving() as receiver:
        url = hostile_url(receiver.port)
        notify.add_channel(engine, user_id, url)
        create_rule(engine, user_id, "AAPL", "above", 200)
        assert quote_arrives(engine, "AAPL", 201.0) == 1
        assert delivery.deliver_due(engine) == 1
        notify.send_test(engine, user_id, notify.channels(engine, user_id)[0][0])
    assert len(receiver.received) == 2  # it really went through both ways
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert not [secret for secret in SECRETS if secret in logged], logged
    assert "withheld" in logged  # Apprise, requests and urllib3 did say something


def test_urls_are_stored_encrypted_and_old_rows_are_sealed_at_start_up(engine, user_id):
    notify.add_channel(engine, user_id, hostile_url(8080))
    (stored,) = stored_urls(engine)
    assert stored.startswith("enc:v1:") and not [s for s in SECRETS if s in stored]
    with engine.begin() as conn:  # a row from before encryption, with the old masked form
        conn.execute(
            NotificationChannel.__table__.insert(),
            {"user_id": user_id, "url": hostile_url(9090), "shown": "json://hookuser:****@x",
             "created_at": notify.utcnow()},
        )  # fmt: skip
    assert notify.seal_stored(engine) == 1
    assert notify.seal_stored(engine) == 0
    assert all(url.startswith("enc:v1:") for url in stored_urls(engine))
    shown = [s for _id, s in notify.channels(engine, user_id)]
    assert shown[1].startswith("json://127.0.0.1:9090 · #") and "hookuser" not in shown[1]
    assert notify.vault().open(stored_urls(engine)[1]) == hostile_url(9090)


def test_another_key_opens_nothing(engine, user_id):
    notify.add_channel(engine, user_id, hostile_url(8080))
    with pytest.raises(VaultError, match="another secret key"):
        Vault(["another-key-0123456789-0123456789-0123"]).open(stored_urls(engine)[0])


def test_the_admin_rotates_the_key(tmp_path, database_url):
    from stockmon.domain.schema import prepare_database
    from tests.test_accounts import cli

    engine = make_engine(database_url)
    prepare_database(engine)
    user_id = add_user(engine)
    notify.add_channel(engine, user_id, hostile_url(8080))
    new_key = "the-new-secret-key-0123456789-0123456789-01"
    refused = cli(database_url, "secret-key", "rotate")
    assert refused.returncode == 2 and "STOCKMON_NEW_SECRET_KEY" in refused.stderr
    done = cli(database_url, "secret-key", "rotate", env={"STOCKMON_NEW_SECRET_KEY": new_key})
    assert done.returncode == 0, done.stderr
    assert "re-encrypted 1 notification URL" in done.stdout and new_key not in done.stdout
    (stored,) = stored_urls(engine)
    assert Vault([new_key]).open(stored) == hostile_url(8080)
    with pytest.raises(VaultError):
        Vault([TEST_SECRET_KEY]).open(stored)
    engine.dispose()
    assert subprocess_environment()["STOCKMON_SECRET_KEY"] == TEST_SECRET_KEY
