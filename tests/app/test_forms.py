"""Urlencoded and streaming multipart form parsing."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import stario.forms
from stario.forms import (
    FormError,
    UploadFile,
    parse_content_type,
    parse_multipart,
    parse_urlencoded,
)
from stario.multidict import FormData

BOUNDARY = b"----stario7f3a9c1e"
MIB = 1024 * 1024


@dataclass
class File:
    filename: str
    content_type: str
    data: bytes


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def encode(
    parts: Sequence[tuple[str, str | File]],
    boundary: bytes = BOUNDARY,
    *,
    preamble: bytes = b"",
    epilogue: bytes = b"",
) -> bytes:
    """A small multipart/form-data encoder, as a browser would write one."""
    # RFC 2046 §5.1.1: a preamble is ended by the CRLF that opens the first delimiter.
    out = [preamble + b"\r\n" if preamble else b""]
    for name, value in parts:
        out.append(b"--" + boundary + b"\r\n")
        disposition = f"form-data; name={_quote(name)}"
        if isinstance(value, File):
            disposition += f"; filename={_quote(value.filename)}"
            out.append(f"Content-Disposition: {disposition}\r\n".encode())
            out.append(f"Content-Type: {value.content_type}\r\n\r\n".encode())
            out.append(value.data)
        else:
            out.append(f"Content-Disposition: {disposition}\r\n\r\n".encode())
            out.append(value.encode())
        out.append(b"\r\n")
    out.append(b"--" + boundary + b"--\r\n" + epilogue)
    return b"".join(out)


async def stream(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def split(body: bytes, cuts: Iterable[int]) -> list[bytes]:
    points = sorted({c % (len(body) + 1) for c in cuts} | {0, len(body)})
    return [body[a:b] for a, b in itertools.pairwise(points)]


def one_byte_chunks(body: bytes) -> list[bytes]:
    return [body[i : i + 1] for i in range(len(body))]


async def parse(body: bytes | list[bytes], **kwargs: int) -> FormData:
    chunks = [body] if isinstance(body, bytes) else body
    return await parse_multipart(stream(chunks), BOUNDARY, **kwargs)


def on_disk(upload: UploadFile) -> bool:
    """The stdlib's own flag for a SpooledTemporaryFile that moved to disk."""
    return bool(upload.file._rolled)  # type: ignore[attr-defined]


async def snapshot(form: FormData) -> list[tuple[str, str | File]]:
    """The form as plain data, reading each upload from the start."""
    result: list[tuple[str, str | File]] = []
    for name, value in form.items():
        if isinstance(value, str):
            result.append((name, value))
        else:
            data = await value.read()
            assert value.size == len(data)
            result.append((name, File(value.filename, value.content_type, data)))
    await form.close()
    return result


SAMPLE: list[tuple[str, str | File]] = [
    ("title", "Hello\r\nworld"),
    ("avatar", File("me.png", "image/png", b"\x89PNG\r\n\x1a\n\r\n--almost")),
    ("title", "second"),
    ("empty", ""),
]


# --- multipart: happy paths ----------------------------------------------------------------


async def test_fields_and_files_round_trip() -> None:
    form = await parse(encode(SAMPLE))
    assert form.getlist("title") == ["Hello\r\nworld", "second"]
    avatar = form["avatar"]
    assert isinstance(avatar, UploadFile)
    assert avatar.filename == "me.png"
    assert avatar.content_type == "image/png"
    assert avatar.headers["content-type"] == "image/png"
    assert "content-disposition" in avatar.headers
    assert await snapshot(form) == SAMPLE


async def test_one_byte_at_a_time() -> None:
    body = encode(SAMPLE, preamble=b"ignored preamble\r\n", epilogue=b"\r\nignored epilogue")
    assert await snapshot(await parse(one_byte_chunks(body))) == SAMPLE


async def test_preamble_and_epilogue_are_ignored() -> None:
    body = encode([("a", "1")], preamble=b"This is a preamble.\r\n", epilogue=b"junk--\r\n")
    assert (await parse(body)).items() == [("a", "1")]


async def test_transport_padding_after_boundaries() -> None:
    body = (
        b"--" + BOUNDARY + b" \t\r\n"
        b'Content-Disposition: form-data; name="a"\r\n\r\n1\r\n'
        b"--" + BOUNDARY + b"--  \r\n"
    )
    assert (await parse(body)).items() == [("a", "1")]


async def test_close_delimiter_without_trailing_crlf() -> None:
    body = b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--'
    assert (await parse(body + BOUNDARY + b"--")).items() == [("a", "x")]


async def test_boundary_lookalikes_inside_content_are_data() -> None:
    value = "x--" + BOUNDARY.decode() + "\r\n-" + "\r\n--" + BOUNDARY.decode()[:-1]
    assert (await parse(encode([("a", value)])))["a"] == value


async def test_rfc5987_filename_star_wins() -> None:
    body = (
        b"--" + BOUNDARY + b"\r\n"
        b'Content-Disposition: form-data; name="f"; filename="euro.txt"; '
        b"filename*=UTF-8''%E2%82%AC%20rates.txt\r\n\r\n"
        b"data\r\n--" + BOUNDARY + b"--\r\n"
    )
    upload = (await parse(body))["f"]
    assert isinstance(upload, UploadFile)
    assert upload.filename == "€ rates.txt"
    assert upload.content_type == "text/plain"  # RFC 7578 §4.4 default


async def test_raw_utf8_filename_and_field_name() -> None:
    form = await parse(encode([("naïve", File("résumé.pdf", "application/pdf", b"%PDF"))]))
    upload = form["naïve"]
    assert isinstance(upload, UploadFile)
    assert upload.filename == "résumé.pdf"


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("C:\\Users\\me\\cv.pdf", "cv.pdf"), ("../../etc/passwd", "passwd"), ("", "")],
)
async def test_filename_directories_are_dropped(sent: str, kept: str) -> None:
    body = (
        b"--" + BOUNDARY + b"\r\n"
        b'Content-Disposition: form-data; name="f"; filename="' + sent.encode() + b'"\r\n\r\n'
        b"\r\n--" + BOUNDARY + b"--\r\n"
    )
    upload = (await parse(body))["f"]
    assert isinstance(upload, UploadFile)
    assert upload.filename == kept


async def test_field_charset_is_honoured() -> None:
    body = (
        b"--" + BOUNDARY + b"\r\n"
        b'Content-Disposition: form-data; name="a"\r\n'
        b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\n"
        b"caf\xe9\r\n--" + BOUNDARY + b"--\r\n"
    )
    assert (await parse(body))["a"] == "café"


async def test_invalid_utf8_in_fields_is_replaced() -> None:
    body = encode([("a", "x")]).replace(b"\r\n\r\nx", b"\r\n\r\n\xff")
    assert (await parse(body))["a"] == "\ufffd"


async def test_part_without_headers_needs_a_name() -> None:
    body = b"--" + BOUNDARY + b"\r\n\r\ndata\r\n--" + BOUNDARY + b"--\r\n"
    with pytest.raises(FormError, match="Content-Disposition"):
        await parse(body)


async def test_empty_body_is_an_empty_form() -> None:
    assert len(await parse([])) == 0
    assert len(await parse(b"")) == 0
    assert len(await parse(b"--" + BOUNDARY + b"--\r\n")) == 0


async def test_boundary_may_be_str() -> None:
    form = await parse_multipart(stream([encode([("a", "1")])]), BOUNDARY.decode())
    assert form["a"] == "1"


async def test_small_files_stay_in_memory_large_ones_roll_to_disk() -> None:
    exact = b"s" * MIB
    big = bytes(range(256)) * (MIB // 256) + b"!"
    body = encode([("small", File("s", "x/y", exact)), ("big", File("b", "x/y", big))])
    form = await parse(split(body, range(0, len(body), 65536)))
    small, large = form["small"], form["big"]
    assert isinstance(small, UploadFile)
    assert isinstance(large, UploadFile)
    assert not on_disk(small)
    assert on_disk(large)
    assert large.size == MIB + 1
    assert await large.read(3) == b"\x00\x01\x02"
    assert await large.seek(MIB) == MIB
    assert await large.read() == b"!"
    await large.seek(0)
    assert await large.read() == big
    assert await small.read() == exact
    await form.close()
    assert large.file.closed
    assert small.file.closed


async def test_spool_size_is_configurable() -> None:
    form = await parse(encode([("f", File("f", "x/y", b"12345"))]), spool_max_size=4)
    upload = form["f"]
    assert isinstance(upload, UploadFile)
    assert on_disk(upload)
    assert await upload.read() == b"12345"
    await form.close()


# --- multipart: property tests -------------------------------------------------------------

_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
_NAME = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"))
_FILENAME = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\r\n/\\"), max_size=20
)
_FILE = st.builds(File, _FILENAME, st.sampled_from(["text/plain", "image/png"]), st.binary())
_PARTS = st.lists(st.tuples(_NAME, st.one_of(_TEXT, _FILE)), max_size=6)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    parts=_PARTS,
    cuts=st.lists(st.integers(min_value=0), max_size=30),
    preamble=st.binary(max_size=20),
    epilogue=st.binary(max_size=20),
)
def test_round_trip_under_random_chunking(
    parts: list[tuple[str, str | File]], cuts: list[int], preamble: bytes, epilogue: bytes
) -> None:
    pieces = [preamble] + [v.data if isinstance(v, File) else v.encode() for _, v in parts]
    assume(all(BOUNDARY not in piece for piece in pieces))
    body = encode(parts, preamble=preamble, epilogue=epilogue)

    async def run() -> list[tuple[str, str | File]]:
        return await snapshot(await parse(split(body, cuts)))

    assert asyncio.run(run()) == parts


@settings(deadline=None)
@given(st.binary(max_size=300), st.lists(st.integers(min_value=0), max_size=10))
def test_arbitrary_bytes_only_raise_form_error(garbage: bytes, cuts: list[int]) -> None:
    body = b"--" + BOUNDARY + b"\r\n" + garbage

    async def run() -> None:
        try:
            form = await parse(split(body, cuts))
        except FormError:
            return
        await form.close()

    asyncio.run(run())


# --- multipart: malformed bodies -----------------------------------------------------------

_PART = b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_PART, "closing boundary"),
        (_PART[:-5], "closing boundary"),
        (b"garbage without any boundary", "closing boundary"),
        (b"--" + BOUNDARY + b"junk\r\n", "boundary line"),
        (b"--" + BOUNDARY + b" " * 300, "boundary line"),
        (
            b"--" + BOUNDARY + b"\r\nContent-Disposition: form-data\r\n\r\nx\r\n",
            "without a name",
        ),
        (
            b"--" + BOUNDARY + b"\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n",
            "form-data",
        ),
        (b"--" + BOUNDARY + b"\r\nno colon here\r\n\r\nx\r\n", "part header"),
        (b"--" + BOUNDARY + b"\r\n folded: header\r\n\r\nx\r\n", "part header"),
        (b"--" + BOUNDARY + b"\r\nX-Big: " + b"a" * 20000, "too large"),
    ],
)
async def test_malformed_bodies_raise_form_error(body: bytes, message: str) -> None:
    with pytest.raises(FormError, match=message):
        await parse(body)
    with pytest.raises(FormError, match=message):
        await parse(one_byte_chunks(body))


async def test_part_header_limit_is_configurable() -> None:
    body = encode([("a", "1")])
    with pytest.raises(FormError, match="too large"):
        await parse(body, max_part_header_bytes=20)
    assert (await parse(body, max_part_header_bytes=40))["a"] == "1"


async def test_too_many_fields() -> None:
    body = encode([("a", "1"), ("b", "2"), ("c", "3")])
    assert len(await parse(body, max_fields=3)) == 3
    with pytest.raises(FormError, match="too many form fields"):
        await parse(body, max_fields=2)


async def test_too_many_files() -> None:
    body = encode([("f", File("a", "x/y", b"1")), ("f", File("b", "x/y", b"2"))])
    assert len((await parse(body, max_files=2)).getlist("f")) == 2
    with pytest.raises(FormError, match="too many files"):
        await parse(body, max_files=1)


async def test_field_too_large() -> None:
    body = encode([("a", "x" * 101)])
    with pytest.raises(FormError, match="too large"):
        await parse(body, max_field_size=100)
    assert (await parse(body, max_field_size=101))["a"] == "x" * 101


@pytest.mark.parametrize("boundary", [b"", b"a\r\nb", b"x" * 201])
async def test_invalid_boundary(boundary: bytes) -> None:
    with pytest.raises(FormError, match="boundary"):
        await parse_multipart(stream([b""]), boundary)


class _Recorded(UploadFile):
    made: list[UploadFile] = []

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.made.append(self)


async def test_uploads_are_closed_on_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stario.forms, "UploadFile", _Recorded)
    _Recorded.made = []
    body = encode([("f", File("a", "x/y", b"1" * 100)), ("f", File("b", "x/y", b"2"))])
    with pytest.raises(FormError):
        await parse(body, max_files=1)
    with pytest.raises(FormError):
        await parse(body[:-10])
    assert len(_Recorded.made) == 3
    assert all(upload.file.closed for upload in _Recorded.made)


async def test_uploads_are_closed_when_the_stream_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stario.forms, "UploadFile", _Recorded)
    _Recorded.made = []

    class Gone(Exception):
        pass

    async def failing() -> AsyncIterator[bytes]:
        yield encode([("f", File("a", "x/y", b"data"))])[:-30]
        raise Gone

    with pytest.raises(Gone):
        await parse_multipart(failing(), BOUNDARY)
    assert [u.file.closed for u in _Recorded.made] == [True]


async def test_file_data_is_written_while_the_body_streams(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stario.forms, "UploadFile", _Recorded)
    _Recorded.made = []
    body = encode([("f", File("a", "x/y", b"z" * 300_000))])
    seen: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for chunk in split(body, range(0, len(body), 50_000)):
            yield chunk
            seen.append(_Recorded.made[0].size if _Recorded.made else 0)

    form = await parse_multipart(chunks(), BOUNDARY)
    # Each chunk reaches the file before the next is read, minus a delimiter's worth.
    assert seen[1] >= 100_000 - 200
    assert seen[3] >= 200_000 - 200
    await form.close()


# --- urlencoded ----------------------------------------------------------------------------


async def test_urlencoded() -> None:
    form = await parse_urlencoded(b"name=Ada+Lovelace&tag=a&tag=b%26c&flag")
    assert form["name"] == "Ada Lovelace"
    assert form.getlist("tag") == ["a", "b&c"]
    assert form["flag"] == ""


async def test_urlencoded_field_limit() -> None:
    body = "&".join(f"f{i}=1" for i in range(11)).encode()
    assert len(await parse_urlencoded(body, max_fields=11)) == 11
    with pytest.raises(FormError, match="too many form fields"):
        await parse_urlencoded(body, max_fields=10)


# --- content type --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "multipart/form-data; boundary=----abc",
            ("multipart/form-data", {"boundary": "----abc"}),
        ),
        (
            'Multipart/Form-Data; Boundary="a;b c"; charset=UTF-8',
            ("multipart/form-data", {"boundary": "a;b c", "charset": "UTF-8"}),
        ),
        ("text/plain", ("text/plain", {})),
        ("", ("", {})),
        ('x/y; a="q\\"uote\\\\"; b = 2 ;junk; c=3', ("x/y", {"a": 'q"uote\\', "b": "2", "c": "3"})),
        ('form-data; filename="C:\\dir\\f.txt"', ("form-data", {"filename": "C:\\dir\\f.txt"})),
        ("x/y; a=1; a=2; =3; b=", ("x/y", {"a": "1", "b": ""})),
    ],
)
def test_parse_content_type(header: str, expected: tuple[str, dict[str, str]]) -> None:
    assert parse_content_type(header) == expected


@given(st.text(max_size=200))
def test_parse_content_type_never_raises(header: str) -> None:
    media, _ = parse_content_type(header)
    assert media == media.lower()
