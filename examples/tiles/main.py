"""Tiles: a shared board. Every click shows up live in every connected browser.

Each browser gets a player id (a cookie) and a colour. Clicking a tile paints it in
your colour, or clears it if it is already yours. Every page keeps one Server-Sent
Events stream open; the server publishes each change through a ``Relay`` and each
stream patches the changed tile. The "online" list shows who is connected.

Run it with ``stario serve main:bootstrap`` from this directory. Pages load Datastar
from its CDN, or from a local copy when ``DATASTAR_JS_PATH`` names one.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

from stario import App, Context, Span, Writer, responses
from stario.cookies import set_cookie
from stario.datastar import SSE, ModuleScript, at, data, serve_bundle
from stario.errors import HttpException
from stario.html import (
    H1,
    Body,
    Div,
    Element,
    Head,
    HtmlDocument,
    Li,
    Main,
    Meta,
    P,
    SafeString,
    Style,
    Title,
    Ul,
    baked,
)
from stario.html import Span as SpanTag
from stario.relay import Relay

SIZE = 8
"""The board has SIZE rows of SIZE tiles."""

COOKIE = "tiles_player"
PALETTE = ("#e4572e", "#29335c", "#f3a712", "#669bbc", "#a8c686", "#8e44ad", "#16a085", "#d35400")

CSS = SafeString(
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}"
    f"#board{{display:grid;grid-template-columns:repeat({SIZE},1fr);gap:4px}}"
    ".tile{aspect-ratio:1;border-radius:4px;background:#eee;cursor:pointer}"
    "#online{list-style:none;padding:0;display:flex;gap:.5rem;flex-wrap:wrap}"
    "#online li{padding:.1rem .5rem;border-radius:1rem;color:#fff}"
)


@dataclass(frozen=True, slots=True)
class Paint:
    """Tile ``index`` now shows ``color`` (None: cleared)."""

    index: int
    color: str | None


@dataclass(frozen=True, slots=True)
class Presence:
    """The players online changed."""


Event = Paint | Presence


class Board:
    """The tiles, who is online, and the relay that tells every stream about changes."""

    def __init__(self) -> None:
        self.tiles: list[str | None] = [None] * (SIZE * SIZE)
        self.online: Counter[str] = Counter()  # player -> open streams
        self.relay: Relay[Event] = Relay()

    def click(self, index: int, player: str) -> None:
        mine = color_of(player)
        self.tiles[index] = None if self.tiles[index] == mine else mine
        self.relay.publish("tiles.paint", Paint(index, self.tiles[index]))

    def join(self, player: str) -> None:
        self.online[player] += 1
        if self.online[player] == 1:
            self.relay.publish("tiles.presence", Presence())

    def leave(self, player: str) -> None:
        self.online[player] -= 1
        if self.online[player] <= 0:
            del self.online[player]
            self.relay.publish("tiles.presence", Presence())


def color_of(player: str) -> str:
    digest = hashlib.sha256(player.encode()).digest()
    return PALETTE[digest[0] % len(PALETTE)]


@baked
def tile(tile_id: str, style: str | bool, on_click: str) -> Element:
    # Baked: the markup is built once; each call only escapes and splices the values.
    return Div({"id": tile_id, "class": "tile", "style": style}, data.on("click", on_click))


def render_tile(index: int, color: str | None) -> Element:
    style = f"background:{color}" if color else False  # False leaves the attribute out
    return tile(f"tile-{index}", style, at.post(f"/tiles/{index}"))


def render_board(board: Board) -> Element:
    return Div({"id": "board"}, [render_tile(i, color) for i, color in enumerate(board.tiles)])


def render_online(board: Board) -> Element:
    return Ul(
        {"id": "online"},
        [
            Li({"style": f"background:{color_of(p)}"}, f"player {p[:4]}")
            for p in sorted(board.online)
        ],
    )


def player_of(c: Context) -> str:
    player = c.req.cookies.get(COOKIE, "")
    if len(player) != 16 or not player.isalnum():
        raise HttpException(400, "no player cookie: load the page first")
    return player


def routes(app: App, board: Board, script_src: str) -> None:
    async def home(c: Context, w: Writer) -> None:
        player = c.req.cookies.get(COOKIE, "")
        if len(player) != 16 or not player.isalnum():
            player = secrets.token_hex(8)
            set_cookie(w, COOKIE, player, httponly=True, samesite="strict")
        page = HtmlDocument(
            Head(Meta({"charset": "utf-8"}), Title("Tiles"), Style(CSS)),
            Body(
                Main(
                    data.init(at.get("/events", open_when_hidden=True)),
                    H1("Tiles"),
                    P(
                        "You are ",
                        SpanTag({"style": f"color:{color_of(player)}"}, "this colour"),
                        ".",
                    ),
                    render_board(board),
                    render_online(board),
                ),
                ModuleScript(script_src),
            ),
        )
        responses.html(w, page)

    async def click(c: Context, w: Writer) -> None:
        player = player_of(c)
        raw = c.route.params["index"]
        if not raw.isdigit() or not 0 <= int(raw) < SIZE * SIZE:
            raise HttpException(404, "Not Found")
        board.click(int(raw), player)
        responses.empty(w)

    async def events(c: Context, w: Writer) -> None:
        player = player_of(c)
        # Subscribed before the first patch, so no change falls between the two.
        async with board.relay.subscribe("tiles.*") as changes:
            board.join(player)
            try:
                sse = SSE(w)
                sse.patch_elements(render_board(board))
                sse.patch_elements(render_online(board))
                async for message in c.alive(changes):
                    event = message.data
                    if isinstance(event, Paint):
                        sse.patch_elements(render_tile(event.index, event.color))
                    else:
                        sse.patch_elements(render_online(board))
                    await sse.drain()
            finally:
                board.leave(player)

    app.get("/", home, name="home")
    app.post("/tiles/{index}", click, name="click")
    app.get("/events", events, name="events")


async def bootstrap(app: App, span: Span) -> AsyncIterator[None]:
    span.attr("app.name", "tiles")
    board = Board()
    routes(app, board, serve_bundle(app))
    yield
    await board.relay.aclose()
