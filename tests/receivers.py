"""Local notification receivers on 127.0.0.1 for delivery tests: each records what arrived.

``receiving`` is a JSON webhook (Apprise ``json://``); ``mailbox`` an SMTP server (``mailto://``)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Receiver:
    """Answers POSTs by ``plan`` (one status a request, the last repeating; "hang" waits
    ``hang_seconds``, or drops the connection unanswered when the receiver stops first, so no
    client is left waiting on a receiver that is gone)."""

    plan: list[int | str] = field(default_factory=lambda: [200])
    hang_seconds: float = 5.0
    received: list[dict] = field(default_factory=list)
    arrived_at: list[float] = field(default_factory=list)  # time.time() of each received
    attempts: int = 0
    port: int = 0
    stopped: threading.Event = field(default_factory=threading.Event)

    def json_url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def next_answer(self) -> int | str:
        self.attempts += 1
        return self.plan.pop(0) if len(self.plan) > 1 else self.plan[0]


@contextmanager
def receiving(receiver: Receiver | None = None) -> Iterator[Receiver]:
    receiver = receiver or Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                answer = receiver.next_answer()
            if answer == "hang":
                if receiver.stopped.wait(receiver.hang_seconds):
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                answer = 200
            if answer == 200:
                with lock:
                    receiver.received.append(json.loads(body or b"{}"))
                    receiver.arrived_at.append(time.time())
            try:
                self.send_response(int(answer))
                self.send_header("Content-Length", "0")
                self.end_headers()
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.stopped.set()
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    """An SMTP server that asks for ``user``/``password`` and keeps every message it accepts."""

    user: str
    password: str
    messages: list[EmailMessage] = field(default_factory=list)
    port: int = 0

    def url(self, to: str = "ann@example.com") -> str:
        return (
            f"mailto://{self.user}:{self.password}@127.0.0.1:{self.port}"
            f"?from=stockmon@example.com&to={to}"
        )

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        valid = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == (self.user, self.password)
        return AuthResult(success=valid)


@contextmanager
def mailbox(user: str = "alerts", password: str = "mail-s3cret") -> Iterator[Mailbox]:
    box = Mailbox(user, password)
    with socket.socket() as probe:  # a free port: aiosmtpd's controller needs one up front
        probe.bind(("127.0.0.1", 0))
        box.port = probe.getsockname()[1]
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=box.port,
        authenticator=box.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
