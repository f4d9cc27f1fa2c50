"""The parser scripts: bytes a client sends and the events ``RequestParser`` must produce.

Accepted scripts cover valid framing (Content-Length, chunked with extensions and
trailers, pipelining, HTTP/1.0 keep-alive rules, Expect); rejected ones cover every
rule of SPEC §7 and RFC 9112 framing, each with the status the server answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.http.httpkit import SECOND_EVENTS, Norm, head_norm

CAP_HEAD = 256
CAP_BODY = 1000
H = b"Host: a\r\n"
HOST = [(b"Host", b"a")]
END: Norm = ("end",)


def reject(status: int) -> Norm:
    return ("reject", status)


def body(data: bytes) -> Norm:
    return ("body", data)


@dataclass(frozen=True)
class Script:
    """Bytes a client sends and the events the parser must produce."""

    id: str
    raw: bytes
    events: list[Norm]
    # Body bytes before a Reject depend on how the bytes were split (body cap).
    body_varies: bool = False
    # Events in "pipelined" mode when the appended request changes the outcome.
    pipelined: list[Norm] | None = None

    @property
    def rejected(self) -> bool:
        return self.events[-1][0] == "reject"

    @property
    def keep_alive(self) -> bool:
        heads = [e for e in self.events if e[0] == "head"]
        return bool(heads) and bool(heads[-1][4])


def post_chunked(chunks: bytes, extra: bytes = b"") -> bytes:
    return (
        b"POST /up HTTP/1.1\r\nHost: a\r\n" + extra + b"Transfer-Encoding: chunked\r\n\r\n" + chunks
    )


CHUNKED_HEAD = head_norm("POST", b"/up", chunked=True)


def sized(total: int, shape: str) -> bytes:
    """A request whose head is exactly ``total`` bytes on the wire."""
    if shape == "header":
        base = b"GET / HTTP/1.1\r\nHost: a\r\nX-Fill: \r\n\r\n"
        return base.replace(b"X-Fill: ", b"X-Fill: " + b"v" * (total - len(base)))
    if shape == "target":
        base = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
        return base.replace(b"GET /", b"GET /" + b"t" * (total - len(base)))
    if shape == "no-headers":
        base = b"GET / HTTP/1.0\r\n\r\n"
        return base.replace(b"GET /", b"GET /" + b"t" * (total - len(base)))
    if shape == "many-headers":
        lines = b"".join(b"X-%02d: v\r\n" % i for i in range(15))
        base = b"OPTIONS / HTTP/1.1\r\nHost: a\r\n" + lines + b"X-Last: \r\n\r\n"
        return base.replace(b"X-Last: ", b"X-Last: " + b"w" * (total - len(base)))
    assert shape == "body-after"
    base = b"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nX: \r\n\r\n"
    return base.replace(b"X: ", b"X: " + b"v" * (total - len(base))) + b"abc"


def _size_scripts() -> list[Script]:
    out = []
    for shape in ("header", "target", "no-headers", "many-headers", "body-after"):
        raw = sized(CAP_HEAD, shape)
        head_len = raw.index(b"\r\n\r\n") + 4
        assert head_len == CAP_HEAD
        method = raw.split(b" ", 1)[0].decode()
        target = raw.split(b" ", 2)[1]
        version = "1.0" if shape == "no-headers" else "1.1"
        if shape == "body-after":
            events = [head_norm("PUT", keep_alive=True, content_length=3), body(b"abc"), END]
        else:
            events = [head_norm(method, target, version, keep_alive=version == "1.1"), END]
        out.append(Script(f"head-at-cap-{shape}", raw, events))
        out.append(Script(f"head-over-cap-{shape}", sized(CAP_HEAD + 1, shape), [reject(431)]))
    return out


ACCEPTED = [
    Script("get-minimal", b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", [head_norm(headers=HOST), END]),
    Script(
        "get-origin-form-query",
        b"GET /p/q?x=1&y=%20 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n",
        [head_norm(target=b"/p/q?x=1&y=%20", headers=[(b"Host", b"example.com:8080")]), END],
    ),
    Script(
        "get-absolute-form",
        b"GET http://a/x HTTP/1.1\r\nHost: a\r\n\r\n",
        [head_norm(target=b"http://a/x"), END],
    ),
    Script(
        "options-asterisk",
        b"OPTIONS * HTTP/1.1\r\n" + H + b"\r\n",
        [head_norm("OPTIONS", b"*"), END],
    ),
    Script("head-method", b"HEAD / HTTP/1.1\r\n" + H + b"\r\n", [head_norm("HEAD"), END]),
    Script(
        "header-order-and-case-kept",
        b"GET / HTTP/1.1\r\nHost: a\r\nX-B: 1\r\nx-a: 2\r\nX-B: 3\r\n\r\n",
        [head_norm(headers=[*HOST, (b"X-B", b"1"), (b"x-a", b"2"), (b"X-B", b"3")]), END],
    ),
    Script(
        "header-ows-and-tab-in-value",
        b"GET / HTTP/1.1\r\nHost:\ta\r\nX:  v\tw\r\n\r\n",
        [head_norm(headers=[*HOST, (b"X", b"v\tw")]), END],
    ),
    Script(
        "header-obs-text-value",
        b"GET / HTTP/1.1\r\nHost: a\r\nX: caf\xe9\r\n\r\n",
        [head_norm(headers=[*HOST, (b"X", b"caf\xe9")]), END],
    ),
    Script(
        "leading-empty-line",
        b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        [head_norm(headers=HOST), END],
    ),
    Script(
        "post-content-length",
        b"POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        [head_norm("POST", b"/f", content_length=5), body(b"hello"), END],
    ),
    Script(
        "post-content-length-zero",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
        [head_norm("POST", content_length=0), END],
    ),
    Script(
        "get-with-body",
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi",
        [head_norm(content_length=2), body(b"hi"), END],
    ),
    Script(
        "chunked",
        post_chunked(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
        [CHUNKED_HEAD, body(b"hello world"), END],
    ),
    Script(
        "chunked-upper-hex-and-leading-zeros",
        post_chunked(b"A\r\n0123456789\r\n0001\r\n!\r\n0\r\n\r\n"),
        [CHUNKED_HEAD, body(b"0123456789!"), END],
    ),
    Script(
        "chunked-extensions",
        post_chunked(b'3;name=value;q="a b"\r\nabc\r\n2;x\r\nde\r\n0;last=1\r\n\r\n'),
        [CHUNKED_HEAD, body(b"abcde"), END],
    ),
    Script(
        "chunked-trailers-not-merged",
        post_chunked(b"3\r\nabc\r\n0\r\nX-Sum: 1\r\nX-Other: two\r\n\r\n"),
        [
            head_norm(
                "POST",
                b"/up",
                chunked=True,
                headers=[*HOST, (b"Transfer-Encoding", b"chunked")],
            ),
            body(b"abc"),
            END,
        ],
    ),
    Script(
        "chunked-empty-body",
        post_chunked(b"0\r\n\r\n"),
        [CHUNKED_HEAD, END],
    ),
    Script(
        "chunked-case-insensitive",
        b"POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
        [CHUNKED_HEAD, body(b"x"), END],
    ),
    Script(
        "pipelined-inside-script",
        b"GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
        b"POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nz"
        b"GET /c HTTP/1.1\r\nHost: a\r\n\r\n",
        [
            head_norm(target=b"/a"),
            END,
            head_norm("POST", b"/b", content_length=1),
            body(b"z"),
            END,
            head_norm(target=b"/c"),
            END,
        ],
    ),
    Script(
        "empty-host-allowed",
        b"GET / HTTP/1.1\r\nHost: \r\n\r\n",
        [head_norm(headers=[(b"Host", b"")]), END],
    ),
    Script(
        "host-ipv6-literal-with-port",
        b"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
        [head_norm(headers=[(b"Host", b"[::1]:8080")]), END],
    ),
    Script(
        "host-ipv4-with-port",
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n",
        [head_norm(), END],
    ),
    Script(
        "upgrade-header-without-connection-option-ignored",
        b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n",
        [head_norm(), END],
    ),
    Script(
        "http10-no-host-closes",
        b"GET / HTTP/1.0\r\n\r\n",
        [head_norm(version="1.0", keep_alive=False), END],
    ),
    Script(
        "http10-keep-alive",
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        [head_norm(version="1.0", keep_alive=True), END],
    ),
    Script(
        "http11-connection-close",
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        [head_norm(keep_alive=False), END],
    ),
    Script(
        "http10-chunked-closes",
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        [head_norm("POST", version="1.0", keep_alive=False, chunked=True), body(b"ok"), END],
    ),
    Script(
        "http10-chunked-keep-alive-still-closes",
        b"POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2\r\nok\r\n0\r\n\r\n",
        [head_norm("POST", version="1.0", keep_alive=False, chunked=True), body(b"ok"), END],
    ),
    Script(
        "expect-100-continue",
        b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
        [head_norm("POST", content_length=3, expect=True), body(b"abc"), END],
    ),
    Script(
        "expect-100-continue-case-insensitive",
        b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx",
        [head_norm("POST", content_length=1, expect=True), body(b"x"), END],
    ),
    Script(
        "expect-100-continue-ignored-for-http10",
        b"POST / HTTP/1.0\r\nConnection: keep-alive\r\nExpect: 100-continue\r\n"
        b"Content-Length: 1\r\n\r\nx",
        [head_norm("POST", version="1.0", content_length=1), body(b"x"), END],
    ),
    Script(
        "content-length-at-body-cap",
        b"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n" + b"b" * CAP_BODY,
        [head_norm("PUT", content_length=CAP_BODY), body(b"b" * CAP_BODY), END],
    ),
    Script(
        "chunked-at-body-cap",
        post_chunked(b"1f4\r\n" + b"c" * 500 + b"\r\n1f4\r\n" + b"d" * 500 + b"\r\n0\r\n\r\n"),
        [CHUNKED_HEAD, body(b"c" * 500 + b"d" * 500), END],
    ),
]

REJECTED = [
    # Content-Length (RFC 9112 §6.3)
    *(
        Script(
            f"content-length-{name}",
            b"POST / HTTP/1.1\r\nHost: a\r\n" + line + b"\r\nabc",
            [reject(400)],
        )
        for name, line in [
            ("letters", b"Content-Length: 3x\r\n"),
            ("negative", b"Content-Length: -3\r\n"),
            ("plus-sign", b"Content-Length: +3\r\n"),
            ("list", b"Content-Length: 3, 3\r\n"),
            ("empty", b"Content-Length:\r\n"),
            ("hex", b"Content-Length: 0x3\r\n"),
            ("duplicate-same", b"Content-Length: 3\r\nContent-Length: 3\r\n"),
            ("duplicate-different", b"Content-Length: 3\r\nContent-Length: 4\r\n"),
            ("with-transfer-encoding", b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n"),
            ("after-transfer-encoding", b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n"),
        ]
    ),
    Script(
        "content-length-over-body-cap",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n",
        [reject(413)],
    ),
    Script(
        "content-length-overflows-integer",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        [reject(413)],
    ),
    # Transfer-Encoding (RFC 9112 §6.1): only plain "chunked"
    *(
        Script(
            f"transfer-encoding-{name}",
            post_chunked(b"3\r\nabc\r\n0\r\n\r\n").replace(b"Transfer-Encoding: chunked\r\n", line),
            [reject(400)],
        )
        for name, line in [
            ("gzip", b"Transfer-Encoding: gzip\r\n"),
            ("gzip-chunked", b"Transfer-Encoding: gzip, chunked\r\n"),
            ("chunked-gzip", b"Transfer-Encoding: chunked, gzip\r\n"),
            ("chunked-chunked", b"Transfer-Encoding: chunked, chunked\r\n"),
            ("chunked-twice", b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
            ("identity", b"Transfer-Encoding: identity\r\n"),
            ("empty", b"Transfer-Encoding:\r\n"),
        ]
    ),
    # Header field syntax (RFC 9112 §5, RFC 9110 §5.5)
    *(
        Script(f"header-{name}", b"GET / HTTP/1.1\r\nHost: a\r\n" + line + b"\r\n", [reject(400)])
        for name, line in [
            ("space-before-colon", b"X-A : b\r\n"),
            ("tab-before-colon", b"X-A\t: b\r\n"),
            ("empty-name", b": b\r\n"),
            ("name-ctl", b"X\x01A: b\r\n"),
            ("name-nul", b"X\x00A: b\r\n"),
            ("name-separator", b"X(A): b\r\n"),
            ("name-without-colon", b"X-A b\r\n"),
            ("value-nul", b"X-A: a\x00b\r\n"),
            ("value-ctl", b"X-A: a\x01b\r\n"),
            ("value-del", b"X-A: a\x7fb\r\n"),
            ("value-escape", b"X-A: \x1b[31m\r\n"),
            ("obs-fold-space", b"X-A: a\r\n b\r\n"),
            ("obs-fold-tab", b"X-A: a\r\n\tb\r\n"),
        ]
    ),
    Script("header-space-before-first-field", b"GET / HTTP/1.1\r\n Host: a\r\n\r\n", [reject(400)]),
    # Chunk framing (RFC 9112 §7.1)
    *(
        Script(f"chunk-{name}", post_chunked(chunks), [CHUNKED_HEAD, *pre, reject(400)])
        for name, chunks, pre in [
            ("size-not-hex", b"zz\r\nabc\r\n0\r\n\r\n", []),
            ("size-negative", b"-3\r\nabc\r\n0\r\n\r\n", []),
            ("size-trailing-space", b"3 \r\nabc\r\n0\r\n\r\n", []),
            ("size-empty", b"\r\nabc\r\n0\r\n\r\n", []),
            ("size-overflow", b"fffffffffffffffffff\r\nabc\r\n0\r\n\r\n", []),
            ("size-0x-prefix", b"0x3\r\nabc\r\n0\r\n\r\n", []),
            ("data-longer-than-size", b"3\r\nabcd\r\n0\r\n\r\n", [body(b"abc")]),
            ("data-without-crlf", b"3\r\nabc0\r\n\r\n", [body(b"abc")]),
            ("bad-trailer-field", b"3\r\nabc\r\n0\r\nX : y\r\n\r\n", [body(b"abc")]),
            ("bare-lf-after-size", b"3\nabc\r\n0\r\n\r\n", []),
            ("bare-cr-after-size", b"3\rabc\r\n0\r\n\r\n", []),
            ("bare-lf-after-data", b"3\r\nabc\n0\r\n\r\n", [body(b"abc")]),
        ]
    ),
    # Bare CR and bare LF line endings (RFC 9112 §2.2)
    *(
        Script(f"line-ending-{name}", raw, [reject(400)])
        for name, raw in [
            ("bare-cr-request-line", b"GET / HTTP/1.1\rHost: a\r\n\r\n"),
            ("bare-cr-in-value", b"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n"),
            ("bare-cr-end-of-field", b"GET / HTTP/1.1\r\nHost: a\r\r\n\r\n"),
            ("bare-cr-in-target", b"GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n"),
            ("bare-lf-everywhere", b"GET / HTTP/1.1\nHost: a\n\n"),
            ("bare-lf-end-of-field", b"GET / HTTP/1.1\r\nHost: a\n\r\n"),
            ("bare-lf-end-of-head", b"GET / HTTP/1.1\r\nHost: a\r\n\n"),
        ]
    ),
    # Host (RFC 9112 §3.2)
    Script("host-missing-http11", b"GET / HTTP/1.1\r\nX: y\r\n\r\n", [reject(400)]),
    Script("host-twice", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", [reject(400)]),
    Script("host-twice-same-value", b"GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", [reject(400)]),
    Script("host-twice-http10", b"GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", [reject(400)]),
    *(
        Script(
            f"host-invalid-{name}", b"GET / HTTP/1.1\r\nHost: " + value + b"\r\n\r\n", [reject(400)]
        )
        for name, value in [
            ("space", b"a b"),
            ("slash", b"a/b"),
            ("userinfo", b"user@a"),
            ("port-letters", b"a:8o"),
            ("two-ports", b"a:80:81"),
            ("unclosed-bracket", b"[::1"),
            ("quote", b'a"b'),
            ("backslash", b"a\\b"),
        ]
    ),
    # Upgrades and tunnels (no WebSockets, no CONNECT)
    Script(
        "upgrade-websocket",
        b"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        [reject(400)],
    ),
    Script(
        "upgrade-h2c",
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
        b"HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
        [reject(400)],
    ),
    Script("connect", b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", [reject(400)]),
    Script("h2-prior-knowledge-preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", [reject(400)]),
    # Versions
    Script("version-2.0", b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", [reject(505)]),
    Script("version-1.2", b"GET / HTTP/1.2\r\nHost: a\r\n\r\n", [reject(505)]),
    Script("version-3.0", b"GET / HTTP/3.0\r\nHost: a\r\n\r\n", [reject(505)]),
    Script("version-0.9-line", b"GET /\r\n\r\n", [reject(400)]),
    Script("version-0.9-explicit", b"GET / HTTP/0.9\r\n\r\n", [reject(400)]),
    Script("version-lowercase", b"GET / http/1.1\r\nHost: a\r\n\r\n", [reject(400)]),
    Script("version-no-dot", b"GET / HTTP/11\r\nHost: a\r\n\r\n", [reject(400)]),
    Script("version-trailing-space", b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", [reject(400)]),
    # Request line
    Script("method-invalid-token", b"G@T / HTTP/1.1\r\nHost: a\r\n\r\n", [reject(400)]),
    Script("target-ctl", b"GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", [reject(400)]),
    Script("target-nul", b"GET /a\x00 HTTP/1.1\r\nHost: a\r\n\r\n", [reject(400)]),
    # Expect (RFC 9110 §10.1.1)
    Script(
        "expect-unknown",
        b"POST / HTTP/1.1\r\nHost: a\r\nExpect: something\r\nContent-Length: 1\r\n\r\nx",
        [reject(417)],
    ),
    Script(
        "expect-100-continue-plus-unknown",
        b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, x\r\nContent-Length: 1\r\n\r\nx",
        [reject(417)],
    ),
    # Body cap for chunked bodies: 413 once the body grows past it.
    Script(
        "chunked-over-body-cap",
        post_chunked(b"1f4\r\n" + b"c" * 500 + b"\r\n1f5\r\n" + b"d" * 501 + b"\r\n0\r\n\r\n"),
        [CHUNKED_HEAD, reject(413)],
        body_varies=True,
    ),
    Script(
        "chunked-one-huge-chunk-over-body-cap",
        post_chunked(b"100000\r\n" + b"e" * 1200),
        [CHUNKED_HEAD, reject(413)],
        body_varies=True,
    ),
    # Head cap: the request line, header lines and final CRLF, as sent.
    Script("endless-header-value", b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"v" * 400, [reject(431)]),
    # Followed by a request, the name holds a space: invalid before it is too long.
    Script(
        "endless-header-name",
        b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X" * 400,
        [reject(431)],
        pipelined=[reject(400)],
    ),
    Script("endless-target", b"GET /" + b"t" * 400, [reject(431)]),
    # Empty lines before a request line are not part of its head (RFC 9112 §2.2): only
    # while nothing else arrives do they count, so the next request is still served.
    Script(
        "endless-leading-empty-lines",
        b"\r\n" * 200,
        [reject(431)],
        pipelined=SECOND_EVENTS,
    ),
    Script(
        "trailer-section-over-cap",
        post_chunked(b"1\r\nx\r\n0\r\n" + b"X-T: 0123456789\r\n" * 20 + b"\r\n"),
        [CHUNKED_HEAD, body(b"x"), reject(431)],
    ),
    *_size_scripts(),
]

SCRIPTS = ACCEPTED + REJECTED
