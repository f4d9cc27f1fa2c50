"""A Writer that records what it sends, for byte-exact checks of Datastar output."""

from __future__ import annotations

from stario.testing import EventStreamParser, ServerSentEvent
from stario.writer import Writer


class RecordingSink:
    """The server side of one exchange, kept in memory."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.finished = False
        self.drains = 0

    def send(self, data: bytes) -> None:
        self.sent.append(data)

    def finish(self, data: bytes) -> None:
        self.sent.append(data)
        self.finished = True

    async def drain(self) -> None:
        self.drains += 1

    def abort(self) -> None:
        self.finished = True

    def keep_alive(self, framing_allows: bool) -> bool:
        return framing_allows


def recording_writer() -> tuple[Writer, RecordingSink]:
    """An HTTP/1.0 writer: the body is written as is, without chunk framing."""
    sink = RecordingSink()
    return Writer(sink, http10=True), sink


def head_and_body(sink: RecordingSink) -> tuple[str, str]:
    """The response head (without the blank line) and the body written so far."""
    head, _, body = b"".join(sink.sent).partition(b"\r\n\r\n")
    return head.decode("latin-1"), body.decode("utf-8")


def body_writes(sink: RecordingSink) -> list[str]:
    """Each body write on its own (the first send is the head)."""
    return [chunk.decode("utf-8") for chunk in sink.sent[1:]]


def parse(text: str) -> list[ServerSentEvent]:
    """Events of an event stream, as a browser's parser sees them."""
    parser = EventStreamParser()
    return parser.feed(text) + parser.finish()


def data_fields(event: ServerSentEvent) -> list[tuple[str, str]]:
    """The ``key value`` pairs of a Datastar event, split as Datastar splits them."""
    return [tuple(line.split(" ", 1)) for line in event.data.split("\n")]  # type: ignore[misc]
