"""The outbound guard, as a hostile person would test it: notification URLs pointing at the
server's own network reach nothing, unless the admin allows it."""

from __future__ import annotations

import logging
import socket

import pytest

from stockmon.domain import notify
from stockmon.domain.outbound import OutboundPolicy
from tests.conftest import as_read
from tests.receivers import receiving
from tests.test_app import ann, engine, logged_in_app  # noqa: F401 (fixtures)


@pytest.fixture
def strict(monkeypatch):
    """The default policy: public addresses only, network schemes only."""
    monkeypatch.setattr(notify, "_policy", OutboundPolicy())


def refused_and_nothing_arrives(url: str, receiver, caplog) -> str:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(notify.ChannelError) as refusal:
        notify.send(url, "title", "body", timeout=2)
    assert receiver.attempts == 0 and receiver.received == []
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("stockmon"))
    assert "was refused" in ours and str(receiver.port) not in ours
    return str(refusal.value)


@pytest.mark.parametrize(
    ("host", "kind"),
    [("127.0.0.1", "a loopback address"), ("localhost", "a loopback address"),
     ("[::1]", "a loopback address")],
)  # fmt: skip
def test_a_loopback_url_reaches_nothing(strict, caplog, host, kind):
    with receiving() as receiver:
        message = refused_and_nothing_arrives(f"json://{host}:{receiver.port}/x", receiver, caplog)
    assert message.startswith(f"stockmon does not send notifications to {kind}")
    assert "STOCKMON_NOTIFY_ALLOW_PRIVATE" in message
    assert "a notification to a loopback address was refused" in caplog.text


@pytest.mark.parametrize(
    ("address", "kind"),
    [("169.254.169.254", "a cloud metadata address"), ("10.1.2.3", "a private-network address"),
     ("192.168.0.10", "a private-network address"), ("169.254.3.4", "a link-local address"),
     ("[fe80::1]", "a link-local address"), ("[fd00:ec2::254]", "a cloud metadata address"),
     ("224.0.0.1", "a multicast address"), ("0.0.0.0", "a reserved address"),
     ("100.64.0.1", "a reserved address")],
)  # fmt: skip
def test_internal_addresses_are_refused_before_any_connection(strict, monkeypatch, address, kind):
    attempts = []
    monkeypatch.setattr(socket.socket, "connect", lambda *args: attempts.append(args))
    with pytest.raises(notify.ChannelError, match=f"to {kind};"):
        notify.send(f"json://{address}:8080/hook", "title", "body", timeout=1)
    assert attempts == []


def test_a_name_that_rebinds_to_loopback_after_the_check_is_refused_at_connection(
    strict, monkeypatch, caplog
):
    """DNS rebinding: the name resolves to a public address when checked, to 127.0.0.1 when
    the request connects; the guard judges the address actually connected to."""
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34"])

    def rebinding(host, port, *args, **kwargs):
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        address = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 80))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with receiving() as receiver:
        url = f"json://rebind.example:{receiver.port}/x"
        message = refused_and_nothing_arrives(url, receiver, caplog)
    assert "a loopback address" in message


def test_an_ipv4_mapped_ipv6_address_is_judged_as_its_ipv4_address():
    assert OutboundPolicy().refusal("::ffff:127.0.0.1") == "a loopback address"
    assert OutboundPolicy().refusal("::ffff:93.184.216.34") is None
    assert OutboundPolicy().refusal("2606:4700:4700::1111") is None


def test_the_admin_may_allow_private_addresses_or_named_hosts(monkeypatch):
    for policy in (
        OutboundPolicy(allow_private=True),
        OutboundPolicy.from_lists(False, ["127.0.0.0/8"], []),
        OutboundPolicy.from_lists(False, ["localhost"], []),
    ):
        monkeypatch.setattr(notify, "_policy", policy)
        with receiving() as receiver:
            host = "localhost" if policy.hosts else "127.0.0.1"
            notify.send(f"json://{host}:{receiver.port}/x", "hello", "body", timeout=5)
        assert [r["title"] for r in receiver.received] == ["hello"]


@pytest.mark.parametrize(
    "url", ["syslog://", "windows://", "dbus://", "kde://", "macosx://", "glib://"]
)
def test_local_side_effects_are_refused(strict, url):
    with pytest.raises(notify.ChannelError, match="only to network services"):
        notify.send(url, "title", "body")
    wider = OutboundPolicy.from_lists(False, [], ["syslog"])
    assert "syslog" in wider.schemes and "json" in wider.schemes


def test_one_field_holds_one_url(strict, engine, ann):  # noqa: F811
    two = "json://example.com/a json://u:pw@example.org/b"
    with pytest.raises(notify.ChannelError, match="One notification URL per field"):
        notify.add_channel(engine, ann.id, two)
    with pytest.raises(notify.ChannelError, match="One notification URL per field"):
        notify.add_channel(engine, ann.id, two.replace(" ", ","))
    assert notify.channels(engine, ann.id) == []


def test_the_page_refuses_an_internal_url_in_one_sentence(engine, ann):  # noqa: F811
    at = logged_in_app("pages/alerts.py")
    url_input = next(t for t in at.text_input if t.label == "Notification URL")
    url_input.input("json://127.0.0.1:5432/")
    next(b for b in at.button if b.label == "Add").click().run()
    assert not at.exception
    assert [as_read(e.value) for e in at.error] == [
        "stockmon does not send notifications to a loopback address; an admin may allow it "
        "with STOCKMON_NOTIFY_ALLOW_PRIVATE or STOCKMON_NOTIFY_ALLOWED_HOSTS."
    ]
    assert notify.channels(engine, ann.id) == []
