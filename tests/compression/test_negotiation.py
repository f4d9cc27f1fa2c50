"""``Accept-Encoding`` negotiation: a table of headers and choices, plus properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stario.compression import (
    CODINGS,
    Compression,
    choose_encoding,
    find_accept_encoding,
    parse_accept_encoding,
)
from stario.config import ServerConfig

TABLE = [
    # (Accept-Encoding, chosen coding)
    ("gzip, deflate, br, zstd", "br"),  # ties: br > zstd > gzip
    ("gzip, deflate, zstd", "zstd"),
    ("gzip", "gzip"),
    ("GZIP", "gzip"),  # codings are case-insensitive
    ("x-gzip", "gzip"),  # RFC 9110 §18.6 alias
    ("br;q=0.5, gzip;q=0.8", "gzip"),
    ("br;q=1.0, gzip;q=1", "br"),
    ("br;q=0, zstd;q=0, gzip;q=0", None),
    ("br;q=0", None),
    ("gzip;q=0, br", "br"),
    ("*", "br"),
    ("*;q=0.5, br;q=0", "zstd"),  # "*" covers what is not listed
    ("*;q=0", None),
    ("gzip, *;q=0", "gzip"),
    ("identity", None),
    ("identity;q=1, gzip;q=0.5", None),  # identity preferred
    ("identity;q=0.5, gzip;q=0.5", "gzip"),  # a tie goes to compression
    ("identity;q=0, gzip;q=0.1", "gzip"),
    ("identity;q=0", None),  # nothing acceptable: the body goes out as it is
    ("", None),  # RFC 9110 §12.5.3: an empty value wants no coding
    ("deflate", None),  # not offered
    ("compress, deflate", None),
    ("xgzip", None),  # substrings never match
    ("gzipx, brotli, zstd2", None),
    ("gzip-ish;q=1", None),
    ("br;q=2", None),  # q above 1 is malformed: the element is skipped
    ("br;q=-1, gzip", "gzip"),
    ("br;q=abc, gzip", "gzip"),
    ("br;q=0.0001, gzip", "gzip"),  # at most three decimals
    ("br;q=0.001, gzip;q=0", "br"),
    ("br;level=5, gzip;q=0.2", "br"),  # extension parameters carry no weight
    ("br ; q = 0.3 ,gzip;Q=0.4", "gzip"),
    ("gzip;q=1, gzip;q=0", None),  # listed twice: the lowest q-value counts
    (",,, gzip ,", "gzip"),
    ("br;;q=0.1, zstd;q=0.05", "br"),
    ("\x00br, gzip", "gzip"),
]


@pytest.mark.parametrize(("header", "expected"), TABLE)
def test_negotiation_table(header: str, expected: str | None) -> None:
    assert choose_encoding(header) == expected


def test_available_codings_limit_the_choice() -> None:
    assert choose_encoding("br, gzip", ("gzip",)) == "gzip"
    assert choose_encoding("br", ("zstd", "gzip")) is None
    assert choose_encoding("*", ("gzip",)) == "gzip"


def test_a_disabled_codec_is_never_chosen() -> None:
    compression = Compression.for_config(ServerConfig(compress_brotli_level=-1))
    assert compression is not None
    assert compression.codings == ("zstd", "gzip")
    assert compression.negotiate("br, gzip") == "gzip"
    assert compression.negotiate("br") is None


def test_every_codec_disabled_means_no_compression() -> None:
    config = ServerConfig(compress_brotli_level=-1, compress_zstd_level=-1, compress_gzip_level=-1)
    assert Compression.for_config(config) is None


def test_negotiation_cache_stays_bounded() -> None:
    compression = Compression.for_config(ServerConfig())
    assert compression is not None
    for i in range(2000):
        assert compression.negotiate(f"gzip;q=0.{i % 1000:03d}") == ("gzip" if i % 1000 else None)
    assert len(compression._negotiated) <= 256


def test_parse_keeps_q_values_identity_and_star() -> None:
    assert parse_accept_encoding("gzip;q=0.5, identity;q=0, *;q=0.1") == {
        "gzip": 0.5,
        "identity": 0.0,
        "*": 0.1,
    }


def test_several_accept_encoding_fields_are_joined() -> None:
    raw = [(b"Host", b"a"), (b"Accept-Encoding", b"gzip;q=0.1"), (b"accept-encoding", b"br;q=0")]
    value = find_accept_encoding(raw)
    assert value == "gzip;q=0.1,br;q=0"
    assert choose_encoding(value or "") == "gzip"
    assert find_accept_encoding([(b"accept-encodings", b"br")]) is None


# --- properties --------------------------------------------------------------------------

_codings = st.sampled_from(["br", "zstd", "gzip", "x-gzip", "identity", "*", "deflate", "BR"])
_qvalues = st.one_of(
    st.none(),
    st.sampled_from(["0", "0.0", "0.000", "1", "1.0", "0.5", "0.001", "2", "-1", "x", ""]),
    st.text(max_size=6),
)


@st.composite
def _elements(draw: st.DrawFn) -> str:
    coding = draw(st.one_of(_codings, st.text(max_size=8)))
    q = draw(_qvalues)
    return coding if q is None else f"{coding};q={q}"


_headers = st.one_of(
    st.lists(_elements(), max_size=8).map(", ".join),
    st.text(max_size=60),
)


@given(_headers)
def test_parsing_never_raises(header: str) -> None:
    prefs = parse_accept_encoding(header)
    assert all(0.0 <= q <= 1.0 for q in prefs.values())


@given(_headers)
def test_a_coding_refused_with_q0_is_never_chosen(header: str) -> None:
    chosen = choose_encoding(header)
    assert chosen is None or chosen in CODINGS
    if chosen is None:
        return
    prefs = parse_accept_encoding(header)
    q = prefs.get(chosen, prefs.get("*", 0.0))
    assert q > 0
    # No coding listed with a higher q-value was passed over.
    for other in CODINGS:
        assert prefs.get(other, prefs.get("*", 0.0)) <= q


@given(st.lists(_elements(), max_size=6))
def test_explicit_zero_for_every_offered_coding_means_identity(elements: list[str]) -> None:
    refused = ", ".join([*elements, "br;q=0", "zstd;q=0", "gzip;q=0", "x-gzip;q=0"])
    assert choose_encoding(refused) is None
