"""Chat: rooms, messages kept in SQLite, a typing indicator, history when you join.

Every room page keeps one Server-Sent Events stream open. On connect the stream sends
the room's recent history from the database; after that it patches each new message
and the "is typing" line as the server publishes them through a ``Relay``.

Run it with ``stario serve main:bootstrap`` from this directory. Messages go to
``chat.sqlite3`` (or the file named by ``CHAT_DB``). Pages load Datastar from its CDN,
or from a local copy when ``DATASTAR_JS_PATH`` names one.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from stario import App, Context, Span, Writer, responses
from stario.datastar import SSE, ModuleScript, at, data, read_signals, serve_bundle
from stario.errors import HttpException
from stario.html import (
    H1,
    A,
    Aside,
    Body,
    Button,
    Element,
    Form,
    Head,
    HtmlDocument,
    Input,
    Li,
    Main,
    Meta,
    P,
    SafeString,
    Strong,
    Style,
    Time,
    Title,
    Ul,
)
from stario.relay import Relay

ROOMS = ("general", "python", "random")
HISTORY = 50
"""Messages sent to a browser when it joins a room."""
TYPING_SECONDS = 3.0
"""How long "X is typing" stays up after the last keystroke."""
MAX_NAME = 32
MAX_TEXT = 500
_NAME = re.compile(r"[^\x00-\x1f\x7f]+")

CSS = SafeString(
    "body{font-family:system-ui,sans-serif;margin:0;display:flex;min-height:100vh}"
    "aside{background:#223;color:#fff;padding:1rem;min-width:10rem}"
    "aside a{color:#cde;display:block;margin:.3rem 0}aside a.here{font-weight:bold;color:#fff}"
    "main{flex:1;padding:1rem;max-width:48rem;display:flex;flex-direction:column}"
    "#messages{list-style:none;padding:0;flex:1}#messages li{margin:.3rem 0}"
    "#messages time{color:#888;font-size:.8rem;margin-right:.4rem}"
    "#typing{color:#777;font-style:italic;min-height:1.2rem}"
    "form{display:flex;gap:.5rem}form input[name=text]{flex:1}"
)


@dataclass(frozen=True, slots=True)
class Message:
    """One stored chat message."""

    id: int
    room: str
    name: str
    text: str
    sent_at: float


@dataclass(frozen=True, slots=True)
class Typing:
    """Who is typing in a room right now."""

    names: tuple[str, ...]


class Store:
    """Messages in an SQLite file. Calls run in a worker thread, one at a time."""

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, room TEXT NOT NULL,"
            " name TEXT NOT NULL, text TEXT NOT NULL, sent_at REAL NOT NULL)"
        )
        self._conn.execute("CREATE INDEX IF NOT EXISTS messages_room ON messages (room, id)")

    async def add(self, room: str, name: str, text: str) -> Message:
        return await asyncio.to_thread(self._add, room, name, text)

    async def recent(self, room: str, limit: int = HISTORY) -> list[Message]:
        return await asyncio.to_thread(self._recent, room, limit)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _add(self, room: str, name: str, text: str) -> Message:
        sent_at = time.time()
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO messages (room, name, text, sent_at) VALUES (?, ?, ?, ?)",
                (room, name, text, sent_at),
            )
        assert cursor.lastrowid is not None
        return Message(cursor.lastrowid, room, name, text, sent_at)

    def _recent(self, room: str, limit: int) -> list[Message]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, room, name, text, sent_at FROM messages WHERE room = ?"
                " ORDER BY id DESC LIMIT ?",
                (room, limit),
            ).fetchall()
        return [Message(*row) for row in reversed(rows)]


class Typists:
    """Who typed in which room lately; publishes the list when it changes."""

    def __init__(self, relay: Relay[Message | Typing]) -> None:
        self._relay = relay
        self._until: dict[str, dict[str, float]] = {room: {} for room in ROOMS}

    def touch(self, room: str, name: str) -> None:
        names = self._until[room]
        fresh = name not in names
        names[name] = time.monotonic() + TYPING_SECONDS
        if fresh:
            self._publish(room)

    def stop(self, room: str, name: str) -> None:
        if self._until[room].pop(name, None) is not None:
            self._publish(room)

    def now(self, room: str) -> Typing:
        return Typing(tuple(sorted(self._until[room])))

    async def expire(self, shutdown: asyncio.Future[None]) -> None:
        """Twice a second, drop names idle for TYPING_SECONDS; stop when shutdown begins."""
        while not shutdown.done():
            await asyncio.wait({shutdown}, timeout=0.5)
            now = time.monotonic()
            for room, names in self._until.items():
                stale = [name for name, until in names.items() if until <= now]
                for name in stale:
                    del names[name]
                if stale:
                    self._publish(room)

    def _publish(self, room: str) -> None:
        self._relay.publish(f"chat.{room}.typing", self.now(room))


def render_message(message: Message) -> Element:
    stamp = time.strftime("%H:%M", time.localtime(message.sent_at))
    return Li(
        {"id": f"message-{message.id}"},
        Time(stamp),
        Strong(message.name),
        ": ",
        message.text,
    )


def render_typing(typing: Typing) -> Element:
    names = typing.names
    if not names:
        line = ""
    elif len(names) == 1:
        line = f"{names[0]} is typing…"
    else:
        line = f"{', '.join(names)} are typing…"
    return P({"id": "typing"}, line)


def render_page(room: str, script_src: str) -> Element:
    links = [
        A({"href": f"/rooms/{name}", "class": "here" if name == room else False}, f"# {name}")
        for name in ROOMS
    ]
    base = f"/rooms/{room}"
    return HtmlDocument(
        Head(Meta({"charset": "utf-8"}), Title(f"# {room} · chat"), Style(CSS)),
        Body(
            data.signals({"name": "", "text": ""}),
            Aside(H1("Chat"), links),
            Main(
                data.init(at.get(f"{base}/events", open_when_hidden=True)),
                Ul({"id": "messages"}),
                render_typing(Typing(())),
                Form(
                    {"id": "send"},
                    data.on("submit", at.post(f"{base}/messages"), prevent=True),
                    Input(
                        {"name": "name", "placeholder": "Your name", "maxlength": MAX_NAME},
                        data.bind("name"),
                    ),
                    Input(
                        {"name": "text", "placeholder": "Message", "maxlength": MAX_TEXT},
                        data.bind("text"),
                        data.on("input", at.post(f"{base}/typing"), throttle="1s"),
                    ),
                    Button({"type": "submit"}, "Send"),
                ),
            ),
            ModuleScript(script_src),
        ),
    )


def room_of(c: Context) -> str:
    room = c.route.params["room"]
    if room not in ROOMS:
        raise HttpException(404, "Not Found")
    return room


def clean_name(value: object) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name or len(name) > MAX_NAME or not _NAME.fullmatch(name):
        raise HttpException(400, f"name must be 1 to {MAX_NAME} printable characters")
    return name


def clean_text(value: object) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > MAX_TEXT:
        raise HttpException(400, f"a message is 1 to {MAX_TEXT} characters")
    return text


def routes(app: App, store: Store, relay: Relay[Message | Typing], typists: Typists) -> None:
    script_src = serve_bundle(app)

    async def home(c: Context, w: Writer) -> None:
        responses.redirect(w, app.url_for("room", room=ROOMS[0]))

    async def room_page(c: Context, w: Writer) -> None:
        responses.html(w, render_page(room_of(c), script_src))

    async def events(c: Context, w: Writer) -> None:
        room = room_of(c)
        # Subscribe before reading the history: nothing sent in between is missed, and
        # a message that is in both is skipped by its id.
        async with relay.subscribe(f"chat.{room}.*") as updates:
            history = await store.recent(room)
            seen = history[-1].id if history else 0
            sse = SSE(w)
            sse.patch_elements(Ul({"id": "messages"}, [render_message(m) for m in history]))
            sse.patch_elements(render_typing(typists.now(room)))
            async for update in c.alive(updates):
                item = update.data
                if isinstance(item, Typing):
                    sse.patch_elements(render_typing(item))
                elif item.id > seen:
                    seen = item.id
                    sse.patch_elements(render_message(item), selector="#messages", mode="append")
                await sse.drain()

    async def send(c: Context, w: Writer) -> None:
        room = room_of(c)
        signals = await read_signals(c.req)
        name = clean_name(signals.get("name"))
        text = clean_text(signals.get("text"))
        message = await store.add(room, name, text)
        typists.stop(room, name)
        relay.publish(f"chat.{room}.message", message)
        SSE(w).patch_signals({"text": ""})

    async def typing(c: Context, w: Writer) -> None:
        room = room_of(c)
        signals = await read_signals(c.req)
        raw = signals.get("name")
        if isinstance(raw, str) and raw.strip():
            typists.touch(room, clean_name(raw))
        responses.empty(w)

    app.get("/", home, name="home")
    app.get("/rooms/{room}", room_page, name="room")
    app.get("/rooms/{room}/events", events, name="events")
    app.post("/rooms/{room}/messages", send, name="send")
    app.post("/rooms/{room}/typing", typing, name="typing")


async def bootstrap(app: App, span: Span) -> AsyncIterator[None]:
    span.attr("app.name", "chat")
    path = os.environ.get("CHAT_DB") or "chat.sqlite3"
    span.attr("chat.db", path)
    store = Store(path)
    relay: Relay[Message | Typing] = Relay()
    typists = Typists(relay)
    routes(app, store, relay, typists)
    app.create_task(typists.expire(app.shutdown_signal()), name="chat.typing-expiry")
    try:
        yield
    finally:
        await relay.aclose()
        store.close()
