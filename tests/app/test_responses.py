"""``responses.json``/``dumps`` and the content type every one-shot answer carries."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stario import App, Context, Headers, StarioError, Writer, responses
from stario.testing import TestClient

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@given(JSON_VALUES)
def test_dumps_writes_what_compact_json_dumps_writes(value: Any) -> None:
    assert responses.dumps(value) == compact(value)


def test_dumps_keeps_non_ascii_and_round_trips() -> None:
    value = {"name": "Zoë", "emoji": "🙂", "n": [1, 2.5, None, True]}
    out = responses.dumps(value)
    assert "Zoë".encode() in out
    assert json.loads(out) == value


def serve(handler: Any) -> TestClient:
    app = App()
    app.get("/", handler)
    return TestClient(app)


def test_json_answers_with_the_encoded_value() -> None:
    async def handler(c: Context, w: Writer) -> None:
        responses.json(w, {"id": 7, "tags": ["a", "b"]}, 201)

    with serve(handler) as client:
        answer = client.get("/")
    assert answer.status_code == 201
    assert answer.headers["content-type"] == "application/json"
    assert answer.content == b'{"id":7,"tags":["a","b"]}'


@pytest.mark.parametrize(
    "value",
    [{"when": object()}, {1, 2}],
    ids=["unknown type", "set"],
)
def test_a_value_json_cannot_encode_is_a_500_and_later_answers_still_work(value: Any) -> None:
    async def bad(c: Context, w: Writer) -> None:
        responses.json(w, value)

    async def good(c: Context, w: Writer) -> None:
        responses.json(w, {"ok": True})

    app = App()
    app.get("/bad", bad)
    app.get("/good", good)
    with TestClient(app) as client:
        assert client.get("/bad").status_code == 500
        # A failed encoding leaves nothing behind that breaks the next one.
        assert client.get("/good").content == b'{"ok":true}'
        assert client.get("/bad").status_code == 500


def test_a_cyclic_value_is_a_500() -> None:
    cyclic: list[Any] = []
    cyclic.append(cyclic)

    async def handler(c: Context, w: Writer) -> None:
        responses.json(w, cyclic)

    with serve(handler) as client:
        assert client.get("/").status_code == 500


@pytest.mark.parametrize(
    "content_type",
    ["text/plain\r\nset-cookie: session=stolen", "text/html\nx-evil: 1", "text/plain\x00"],
)
def test_a_content_type_that_could_split_the_head_is_refused(content_type: str) -> None:
    async def handler(c: Context, w: Writer) -> None:
        w.respond(b"body", content_type)

    with serve(handler) as client:
        answer = client.get("/")
    assert answer.status_code == 500
    assert "set-cookie" not in answer.headers
    assert "x-evil" not in answer.headers
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"


def test_a_content_type_outside_latin_1_is_refused() -> None:
    async def handler(c: Context, w: Writer) -> None:
        w.respond(b"body", "text/plain; name=\u20ac")

    with serve(handler) as client:
        assert client.get("/").status_code == 500


def test_many_distinct_content_types_all_arrive_intact() -> None:
    # More types than the writer keeps lines for: each answer still carries its own.
    async def handler(c: Context, w: Writer) -> None:
        w.respond(b"x", f"application/x-kind-{c.req.query.get('n')}")

    with serve(handler) as client:
        for n in range(300):
            answer = client.get(f"/?n={n}")
            assert answer.headers["content-type"] == f"application/x-kind-{n}"


@pytest.mark.parametrize("status", [0, 42, 99, 100, 103, 199, 600, 1000, -5])
@pytest.mark.parametrize("how", ["respond", "write_headers", "end"])
def test_a_status_that_is_not_final_is_refused(status: int, how: str) -> None:
    async def handler(c: Context, w: Writer) -> None:
        if how == "respond":
            w.respond(b"body", "text/plain", status)
        elif how == "write_headers":
            w.write_headers(status)
            w.write(b"body")
        else:
            w.status_code = status
            w.end(b"body")

    with serve(handler) as client:
        answer = client.get("/")
        assert answer.status_code == 500
        assert answer.informational == []
        assert client.get("/").status_code == 500  # the connection still serves


@pytest.mark.parametrize("status", [200, 204, 304, 404, 599])
def test_final_statuses_from_200_to_599_are_sent(status: int) -> None:
    async def handler(c: Context, w: Writer) -> None:
        w.respond(b"", "text/plain", status)

    with serve(handler) as client:
        assert client.get("/").status_code == status


@pytest.mark.parametrize("how", ["respond", "stream"])
def test_a_header_value_outside_latin_1_is_refused_where_it_is_set(how: str) -> None:
    async def handler(c: Context, w: Writer) -> None:
        w.headers.set("x-price", "10 \u20ac")  # raises here, before anything is sent
        if how == "stream":
            w.write_headers(200)
            w.end(b"body")
        else:
            w.respond(b"body", "text/plain")

    with serve(handler) as client:
        answer = client.get("/")
        assert answer.status_code == 500
        assert "x-price" not in answer.headers
        assert client.get("/").status_code == 500


def test_header_values_in_latin_1_and_ascii_names_are_accepted() -> None:
    async def handler(c: Context, w: Writer) -> None:
        w.headers.set("x-name", "Zoë")
        w.respond(b"body", "text/plain")

    with serve(handler) as client:
        assert client.get("/").headers["x-name"] == "Zoë"


@pytest.mark.parametrize("name", ["x-namé", "x-\u20ac"])
def test_a_header_name_outside_ascii_is_refused(name: str) -> None:
    with pytest.raises(StarioError, match="invalid header name"):
        Headers().set(name, "v")


@pytest.mark.parametrize("change", ["set", "add", "pop", "setitem", "delitem"])
def test_changing_headers_after_the_head_went_out_raises(change: str) -> None:
    seen: list[str] = []

    async def handler(c: Context, w: Writer) -> None:
        w.headers.set("x-early", "1")
        w.write_headers(200)
        w.write(b"part")
        try:
            if change == "set":
                w.headers.set("x-late", "1")
            elif change == "add":
                w.headers.add("set-cookie", "a=1")
            elif change == "pop":
                w.headers.pop("x-early")
            elif change == "setitem":
                w.headers["x-late"] = "1"
            else:
                del w.headers["x-early"]
        except StarioError as exc:
            seen.append(str(exc).splitlines()[0])
        w.end(b"end")

    with serve(handler) as client:
        answer = client.get("/")
    assert answer.status_code == 200
    assert answer.content == b"partend"
    assert answer.headers["x-early"] == "1"
    assert seen == ["the response head was already sent; its headers can no longer change"]


def test_replacing_the_headers_after_the_head_went_out_raises() -> None:
    seen: list[str] = []

    async def handler(c: Context, w: Writer) -> None:
        w.respond(b"done", "text/plain")
        try:
            w.headers = Headers({"x-late": "1"})
        except StarioError as exc:
            seen.append(str(exc).splitlines()[0])

    with serve(handler) as client:
        answer = client.get("/")
    assert answer.content == b"done"
    assert "x-late" not in answer.headers
    assert seen == ["the response head was already sent"]


def test_headers_first_touched_after_respond_refuse_changes_too() -> None:
    seen: list[str] = []

    async def handler(c: Context, w: Writer) -> None:
        w.respond(b"done", "text/plain")
        try:
            w.headers.set("x-late", "1")
        except StarioError as exc:
            seen.append(str(exc))
        assert w.headers.get("x-late") is None

    with serve(handler) as client:
        assert client.get("/").content == b"done"
    assert len(seen) == 1
