"""Browser tabs without the browser: sessions that speak Streamlit's WebSocket protocol.

Each session connects as a tab would, with the cookies a browser would send, asks for one
full run of the page and then reruns every auto-refreshing fragment the app announces
(``st.fragment(run_every=...)``) on its own timer, as the frontend does. It draws nothing,
so a benchmark's load costs the machine only what it costs the server, and a test sees what
the server decides (who is logged in) without a browser.

Tabs opened within a second of each other would refresh in lockstep, which people who open
the app at their own moments do not: each session starts its timers at a phase of its own.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from datetime import UTC, datetime

import websockets
from sqlalchemy import Engine
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState, ContextInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from stockmon.app.ui_login import COOKIE_NAME
from stockmon.domain.accounts import get_account
from stockmon.domain.sessions import login_token, start_login

BROWSER = ContextInfo(timezone="UTC", timezone_offset=0, locale="en-US")


def login_cookie(
    engine: Engine, username: str, key: str, issued: datetime | None = None
) -> dict[str, str]:
    """stockmon's login cookie as the app sets it at a login of ``username`` at ``issued``
    (now): the login's row in the database, and the token naming it."""
    issued = issued or datetime.now(UTC)
    account = get_account(engine, username)
    assert account is not None, username
    login = start_login(engine, account, issued)
    return {COOKIE_NAME: login_token(username, login, key, issued)}


class ProtocolSession:
    """One tab on ``address`` (``http://host:port``) holding ``cookies``, its refresh timers
    started ``phase`` (0 to 1) of an interval after its first run."""

    def __init__(self, address: str, cookies: Mapping[str, str], phase: float = 0.0) -> None:
        self.phase = phase
        self.url = address.replace("http", "ws", 1).rstrip("/") + "/_stcore/stream"
        self.cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
        self.page_hash = ""
        self.fragments: dict[str, float] = {}  # fragment id: seconds between reruns
        self.drawn: list[str] = []  # the full run's headings, markdown and HTML, to check
        self.components: list[str] = []  # custom components it mounts: each reports back
        self.errors: list[str] = []  # exceptions it shows
        self.ready = asyncio.Event()  # the full run finished and its fragments are known
        self.seen: Callable[[str], None] | None = None  # told of every text drawn, reruns too

    async def run(self, stop: asyncio.Event) -> None:
        """Hold the tab open, refreshing its fragments, until ``stop`` is set."""
        async with websockets.connect(
            self.url,
            subprotocols=["streamlit"],
            additional_headers={"Cookie": self.cookie},
            max_size=None,
        ) as socket:
            await socket.send(_rerun(ClientState(context_info=BROWSER)))
            reading = asyncio.create_task(self._read(socket))
            await self.ready.wait()
            timers = [
                asyncio.create_task(self._refresh(socket, fragment, seconds, stop))
                for fragment, seconds in self.fragments.items()
            ]
            await stop.wait()
            for task in (*timers, reading):
                task.cancel()
            await asyncio.gather(*timers, reading, return_exceptions=True)

    async def _read(self, socket) -> None:
        async for raw in socket:
            message = ForwardMsg()
            message.ParseFromString(raw)
            kind = message.WhichOneof("type")
            if kind == "navigation":
                self.page_hash = message.navigation.page_script_hash
            elif kind == "auto_rerun":
                self.fragments[message.auto_rerun.fragment_id] = message.auto_rerun.interval
            elif kind == "delta":
                element = message.delta.new_element
                body = element.heading.body or element.markdown.body or element.html.body
                if self.seen is not None and body:
                    self.seen(body)
                if self.ready.is_set():
                    continue
                self.drawn.append(body)
                if element.HasField("component_instance"):
                    self.components.append(element.component_instance.component_name)
                if element.HasField("exception"):
                    self.errors.append(element.exception.message)
            elif kind == "script_finished":
                self.ready.set()

    async def _refresh(self, socket, fragment: str, seconds: float, stop: asyncio.Event) -> None:
        await asyncio.sleep(seconds * self.phase)
        while not stop.is_set():
            await asyncio.sleep(seconds)
            state = ClientState(
                page_script_hash=self.page_hash,
                fragment_id=fragment,
                is_auto_rerun=True,
                context_info=BROWSER,
            )
            await socket.send(_rerun(state))


def _rerun(state: ClientState) -> bytes:
    message = BackMsg()
    message.rerun_script.CopyFrom(state)
    return message.SerializeToString()


class ProtocolTabs:
    """Protocol sessions on an event loop of their own thread, opened one at a time from
    synchronous code."""

    def __init__(self, address: str, seed: int = 7) -> None:
        self.address = address
        self.phases = random.Random(seed)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.stop = asyncio.Event()
        self.running: list[Future] = []

    def open(self, cookies: Mapping[str, str], timeout: float = 120) -> ProtocolSession:
        """A session whose first full run has finished (its errors raised here)."""
        session = ProtocolSession(self.address, cookies, self.phases.random())
        running = asyncio.run_coroutine_threadsafe(session.run(self.stop), self.loop)
        ready = asyncio.run_coroutine_threadsafe(session.ready.wait(), self.loop)
        self.running.append(running)
        done, _ = wait([running, ready], timeout=timeout, return_when=FIRST_COMPLETED)
        if running in done:
            running.result()
        if ready not in done:
            raise TimeoutError(f"no full run within {timeout} s")
        return session

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        for running in self.running:
            running.result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
