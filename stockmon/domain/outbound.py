"""Where notifications may connect: the outbound guard.

A person's notification URL makes the server connect somewhere, so a send may reach only
public addresses: loopback, private, link-local (cloud metadata included), multicast and
reserved ones are refused unless the admin allows them (``STOCKMON_NOTIFY_ALLOW_PRIVATE``, or
hosts and networks in ``STOCKMON_NOTIFY_ALLOWED_HOSTS``). The check is made on every address a
send actually connects to, inside ``guarded``, so a name that resolves to a public address when
checked and to a private one when used (DNS rebinding) is refused too. Only network
notification schemes are accepted (``STOCKMON_NOTIFY_SCHEMES`` adds more).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Apprise services that reach a server over the network; local side effects (syslog, desktop
# notifications, dbus, a file) are never among them.
NETWORK_SCHEMES = frozenset(
    [
        "apprise",
        "apprises",
        "bark",
        "barks",
        "discord",
        "form",
        "forms",
        "gchat",
        "gotify",
        "gotifys",
        "guilded",
        "ifttt",
        "join",
        "json",
        "jsons",
        "lametric",
        "line",
        "mailgun",
        "mailto",
        "mailtos",
        "mastodon",
        "matrix",
        "matrixs",
        "mmost",
        "mmosts",
        "msteams",
        "ntfy",
        "ntfys",
        "opsgenie",
        "pagerduty",
        "pbul",
        "pover",
        "psafer",
        "psafers",
        "pushed",
        "pushover",
        "rocket",
        "rockets",
        "sendgrid",
        "signal",
        "signals",
        "slack",
        "sns",
        "ses",
        "teams",
        "tgram",
        "toot",
        "toots",
        "twilio",
        "webex",
        "wxteams",
        "xml",
        "xmls",
        "zulip",
    ]
)
METADATA = (ipaddress.ip_network("169.254.169.254/32"), ipaddress.ip_network("fd00:ec2::254/128"))


class OutboundRefused(OSError):
    """A connection the guard refused; the message names the kind of address, never a URL."""


@dataclass(frozen=True)
class OutboundPolicy:
    allow_private: bool = False
    networks: tuple[Network, ...] = ()  # always allowed
    hosts: frozenset[str] = frozenset()  # names whose addresses are allowed, whatever they are
    schemes: frozenset[str] = NETWORK_SCHEMES

    @classmethod
    def from_lists(
        cls, allow_private: bool, allowed: Iterable[str], extra_schemes: Iterable[str]
    ) -> OutboundPolicy:
        """From the admin's settings: ``allowed`` holds host names and CIDR networks."""
        networks, hosts = [], set()
        for entry in allowed:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        schemes = NETWORK_SCHEMES | {scheme.lower() for scheme in extra_schemes}
        return cls(allow_private, tuple(networks), frozenset(hosts), frozenset(schemes))

    def refusal(self, address: str) -> str | None:
        """Why a connection to ``address`` (an IP) is refused; None when it is allowed."""
        ip = ipaddress.ip_address(address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if self.allow_private or any(ip in network for network in self.networks):
            return None
        if any(ip in network for network in METADATA):
            return "a cloud metadata address"
        for kind, flag in (
            ("a loopback address", ip.is_loopback),
            ("a link-local address", ip.is_link_local),
            ("a multicast address", ip.is_multicast),
            ("a reserved address", ip.is_reserved or ip.is_unspecified),
            ("a private-network address", ip.is_private),
            ("a reserved address", not ip.is_global),
        ):
            if flag:
                return kind
        return None


_guard = threading.local()
_install_lock = threading.Lock()
_installed = False


def _checked(connect):
    def guarded_connect(sock: socket.socket, address, *args):
        policy: OutboundPolicy | None = getattr(_guard, "policy", None)
        internet = sock.family in (socket.AF_INET, socket.AF_INET6)
        if policy is not None and internet and (kind := policy.refusal(str(address[0]))):
            _guard.refused = kind
            raise OutboundRefused(f"stockmon does not send notifications to {kind}")
        return connect(sock, address, *args)

    return guarded_connect


def _install() -> None:
    """Route every socket connection of the process through the guard (which lets all of
    them through except in a thread inside ``guarded``)."""
    global _installed
    with _install_lock:
        if not _installed:
            # the guard replaces the methods on purpose, once per process
            sockets: Any = socket.socket
            sockets.connect = _checked(socket.socket.connect)
            sockets.connect_ex = _checked(socket.socket.connect_ex)
            _installed = True


@dataclass
class Verdict:
    """What the guard refused during one ``guarded`` block (None: nothing)."""

    refused: str | None = field(default=None)


@contextmanager
def guarded(policy: OutboundPolicy, host: str) -> Iterator[Verdict]:
    """Within the block, this thread's connections obey ``policy`` (every address of an
    allowed ``host`` passes); the verdict says what was refused."""
    _install()
    verdict = Verdict()
    trusted = host.lower().rstrip(".") in policy.hosts
    _guard.policy = None if trusted else policy
    _guard.refused = None
    try:
        yield verdict
    finally:
        verdict.refused = _guard.refused
        _guard.policy = _guard.refused = None


def refusal_before_sending(policy: OutboundPolicy, host: str, port: int | None) -> str | None:
    """Why ``host`` is refused already by what it resolves to now (a clear answer before any
    connection); None when every address it resolves to is allowed, or it does not resolve
    (the send then fails on its own)."""
    if not host or host.lower().rstrip(".") in policy.hosts:
        return None
    try:
        answers = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return None
    for _family, _type, _proto, _name, address in answers:
        if kind := policy.refusal(str(address[0])):
            return kind
    return None
