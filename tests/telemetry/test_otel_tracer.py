"""OtelTracer: the mapping onto the OpenTelemetry SDK and a real OTLP/HTTP export."""

from __future__ import annotations

import asyncio
import gzip
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry import trace as otel_trace
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from stario.app import App
from stario.config import ServerConfig
from stario.context import Context
from stario.server import Server
from stario.telemetry import OtelTracer, Span
from stario.writer import Writer
from tests.children import STARIO_PATH

BOUND = 10.0  # seconds; a generous upper bound for any single wait


@pytest.fixture(autouse=True)
def clean_otel_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ambient OTEL_* or proxy settings leak into a test."""
    for key in list(os.environ):
        if key.startswith("OTEL_") or key.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


def by_name(exporter: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    spans = exporter.get_finished_spans()
    named = {span.name: span for span in spans}
    assert len(named) == len(spans), "span names must be unique in these tests"
    return named


def hex_id(n: int, digits: int) -> str:
    return format(n, f"0{digits}x")


# --- the mapping ------------------------------------------------------------------------


def record_request(tracer: OtelTracer) -> tuple[Span, Span, Span]:
    """A request root span with a link, events, an exception and one child step."""
    earlier = tracer.start("earlier")
    earlier.end()
    root = tracer.start("GET", attributes={"request.method": "GET", "request.path": "/items"})
    root.attrs({"response.status_code": 500, "tags": ["a", "b"], "gone": None})
    root.link(earlier, {"link.reason": "retry"})
    root.event("cache.miss", {"cache.key": "items"}, body="looked in 3 places")
    with root.step("db.query", {"db.rows": 3}) as child:
        child.event("rows.fetched")
    try:
        raise KeyError("item 7")
    except KeyError as exc:
        root.exception(exc)
        root.fail("KeyError: 'item 7'")
    root.end()
    return root, child, earlier


def test_ids_parents_names_kinds_and_times(exporter: InMemorySpanExporter) -> None:
    tracer = OtelTracer(exporter=exporter, batch=False)
    root, child, earlier = record_request(tracer)
    spans = by_name(exporter)
    assert set(spans) == {"earlier", "GET", "db.query"}
    for ours in (root, child, earlier):
        theirs = spans[ours.name]
        assert hex_id(theirs.context.trace_id, 32) == ours.trace_id
        assert hex_id(theirs.context.span_id, 16) == ours.span_id
        assert theirs.context.trace_flags.sampled
        assert (theirs.start_time, theirs.end_time) == (ours.start_ns, ours.end_ns)
    assert spans["GET"].parent is None
    assert spans["earlier"].parent is None
    parent = spans["db.query"].parent
    assert parent is not None
    assert hex_id(parent.span_id, 16) == root.span_id
    assert parent.trace_id == spans["GET"].context.trace_id
    assert spans["GET"].kind is SpanKind.SERVER  # request root spans carry request.method
    assert spans["db.query"].kind is SpanKind.INTERNAL
    assert spans["earlier"].kind is SpanKind.INTERNAL
    assert spans["GET"].instrumentation_scope is not None
    assert spans["GET"].instrumentation_scope.name == "stario"
    tracer.close()


def test_attributes_events_link_and_status(exporter: InMemorySpanExporter) -> None:
    tracer = OtelTracer(exporter=exporter, batch=False)
    root, _child, earlier = record_request(tracer)
    spans = by_name(exporter)
    get = spans["GET"]
    assert dict(get.attributes or {}) == {
        "request.method": "GET",
        "request.path": "/items",
        "response.status_code": 500,
        "tags": ("a", "b"),
    }  # None values are dropped
    assert dict(spans["db.query"].attributes or {}) == {"db.rows": 3}

    miss, exception = get.events
    assert (miss.name, miss.timestamp) == ("cache.miss", root.events[0].time_ns)
    assert dict(miss.attributes or {}) == {
        "cache.key": "items",
        "event.body": "looked in 3 places",
    }
    assert (exception.name, exception.timestamp) == ("exception", root.events[1].time_ns)
    attrs = dict(exception.attributes or {})
    assert attrs["exception.type"] == "KeyError"
    assert attrs["exception.message"] == "'item 7'"
    assert isinstance(attrs["exception.stacktrace"], str)
    assert 'raise KeyError("item 7")' in attrs["exception.stacktrace"]
    assert set(attrs) == {"exception.type", "exception.message", "exception.stacktrace"}
    (fetched,) = spans["db.query"].events
    assert fetched.name == "rows.fetched"
    assert dict(fetched.attributes or {}) == {}

    (link,) = get.links
    assert hex_id(link.context.trace_id, 32) == earlier.trace_id
    assert hex_id(link.context.span_id, 16) == earlier.span_id
    assert dict(link.attributes or {}) == {"link.reason": "retry"}

    assert get.status.status_code is StatusCode.ERROR
    assert get.status.description == "KeyError: 'item 7'"
    # stario's default "ok" is left UNSET, as OpenTelemetry asks of instrumentation.
    assert spans["db.query"].status.status_code is StatusCode.UNSET
    tracer.close()


def test_attribute_values_the_data_model_lacks_are_converted(
    exporter: InMemorySpanExporter,
) -> None:
    tracer = OtelTracer(exporter=exporter, batch=False)
    span = tracer.start("convert")
    odd: Any = {"nested": 1}
    span.attrs(
        {
            "flags": [True, False],
            "floats": (1.5, 2.5),
            "mixed": [1, "a", 2.5],
            "empty": [],
            "odd": odd,
            "nothing": None,
            "huge": 2**70,
            "huge.list": [1, 2**64],
        }
    )
    span.end()
    tracer.close()
    (out,) = exporter.get_finished_spans()
    assert dict(out.attributes or {}) == {
        "flags": (True, False),
        "floats": (1.5, 2.5),
        "mixed": ("1", "a", "2.5"),
        "empty": (),
        "odd": "{'nested': 1}",
        "huge": str(2**70),  # OTLP integers are int64
        "huge.list": ("1", str(2**64)),
    }


def test_a_current_otel_span_never_becomes_the_parent(exporter: InMemorySpanExporter) -> None:
    tracer = OtelTracer(exporter=exporter, batch=False)
    other = SdkTracerProvider().get_tracer("elsewhere")
    with other.start_as_current_span("ambient") as ambient:
        assert otel_trace.get_current_span() is ambient
        ours = tracer.start("mine")
        ours.end()
    (out,) = exporter.get_finished_spans()
    assert out.parent is None
    assert hex_id(out.context.trace_id, 32) == ours.trace_id
    assert out.context.trace_id != ambient.get_span_context().trace_id
    tracer.close()


def test_spans_ended_on_many_threads_keep_their_own_ids(exporter: InMemorySpanExporter) -> None:
    tracer = OtelTracer(exporter=exporter, batch=False)
    roots = [tracer.start(f"root-{i}") for i in range(40)]
    children = [root.step(f"child-{i}") for i, root in enumerate(roots)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda s: s.end(), children + roots, timeout=BOUND))
    assert tracer.export_errors == 0
    spans = by_name(exporter)
    assert len(spans) == 80
    for ours in children + roots:
        theirs = spans[ours.name]
        assert hex_id(theirs.context.span_id, 16) == ours.span_id
        assert hex_id(theirs.context.trace_id, 32) == ours.trace_id
        parent = theirs.parent
        assert (None if parent is None else hex_id(parent.span_id, 16)) == ours.parent_id
    tracer.close()


def test_ratio_sampling_keeps_or_drops_whole_traces(
    exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.5")
    tracer = OtelTracer(exporter=exporter, batch=False)
    for i in range(60):
        root = tracer.start(f"root-{i}")
        root.step(f"child-{i}").end()  # the child is exported before its parent
        root.end()
    tracer.close()
    kept = {span.name for span in exporter.get_finished_spans()}
    kept_roots = {name for name in kept if name.startswith("root-")}
    assert {name.replace("child-", "root-") for name in kept - kept_roots} == kept_roots
    assert 0 < len(kept_roots) < 60  # some sampled out, some kept (2**-59 odds otherwise)


def test_service_name_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    def service(**kw: Any) -> object:
        exporter = InMemorySpanExporter()
        tracer = OtelTracer(exporter=exporter, batch=False, **kw)
        tracer.start("x").end()
        tracer.close()
        (span,) = exporter.get_finished_spans()
        return span.resource.attributes.get("service.name")

    assert service() == "stario"
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs,deployment.env=test")
    assert service() == "from-attrs"
    monkeypatch.setenv("OTEL_SERVICE_NAME", "from-env")
    assert service() == "from-env"
    assert service(resource_attributes={"service.name": "from-mapping"}) == "from-mapping"
    assert service(service_name="from-arg", resource_attributes={"service.name": "x"}) == (
        "from-arg"
    )


def test_resource_attributes_from_argument_and_environment(
    exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=staging")
    tracer = OtelTracer(
        exporter=exporter, batch=False, resource_attributes={"service.version": "1.2.3"}
    )
    tracer.start("x").end()
    tracer.close()
    (span,) = exporter.get_finished_spans()
    attrs = span.resource.attributes
    assert attrs["service.version"] == "1.2.3"
    assert attrs["deployment.environment"] == "staging"
    assert attrs["telemetry.sdk.name"] == "opentelemetry"


def test_close_flushes_the_batch_and_is_idempotent(exporter: InMemorySpanExporter) -> None:
    tracer = OtelTracer(exporter=exporter)  # batched: exported from a background thread
    for i in range(5):
        tracer.start(f"span-{i}").end()
    tracer.close()
    assert sorted(s.name for s in exporter.get_finished_spans()) == [f"span-{i}" for i in range(5)]
    tracer.close()
    tracer.start("late").end()  # after close: dropped quietly, never an error
    assert len(exporter.get_finished_spans()) == 5
    assert tracer.export_errors == 0


# --- a real OTLP/HTTP export -------------------------------------------------------------


class Receiver:
    """A minimal OTLP/HTTP trace receiver on 127.0.0.1 (protobuf bodies)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], ExportTraceServiceRequest]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                message = ExportTraceServiceRequest()
                message.ParseFromString(body)
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append((self.path, headers, message))
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.http.server_address[1]
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def spans(self) -> list[tuple[dict[str, Any], Any]]:
        """Every received span with its resource attributes."""
        out = []
        for _, _, message in self.requests:
            for resource_spans in message.resource_spans:
                resource = attributes(resource_spans.resource.attributes)
                for scope_spans in resource_spans.scope_spans:
                    out.extend((resource, span) for span in scope_spans.spans)
        return out


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.thread.start()
    yield r
    r.http.shutdown()
    r.http.server_close()
    r.thread.join(BOUND)


def value(v: AnyValue) -> Any:
    kind = v.WhichOneof("value")
    return None if kind is None else getattr(v, kind)


def attributes(kvs: Any) -> dict[str, Any]:
    pairs: list[KeyValue] = list(kvs)
    return {kv.key: value(kv.value) for kv in pairs}


async def hello(c: Context, w: Writer) -> None:
    with c.span.step("render"):
        w.respond("hello", "text/plain")


@asynccontextmanager
async def serving(server: Server) -> AsyncIterator[Server]:
    task = asyncio.ensure_future(server.serve())
    started = asyncio.ensure_future(server.started())
    try:
        await asyncio.wait({task, started}, timeout=BOUND, return_when="FIRST_COMPLETED")
        if task.done():
            task.result()
        assert started.done(), "the server did not start"
        yield server
    finally:
        started.cancel()
        server.shutdown()
        await asyncio.wait_for(asyncio.shield(task), BOUND)


async def fetch(port: int, target: str) -> bytes:
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), BOUND)
    try:
        writer.write(f"GET {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        return await asyncio.wait_for(reader.read(), BOUND)
    finally:
        writer.close()


async def test_a_real_server_exports_request_spans_over_otlp_http(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = f"http://127.0.0.1:{receiver.port}/v1/traces"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=secret")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "shop")
    app = App()
    app.get("/hello", hello)
    server = Server(app, OtelTracer(), ServerConfig(port=0), announce=lambda _: None)
    async with serving(server):
        assert server.port is not None
        assert (await fetch(server.port, "/hello")).startswith(b"HTTP/1.1 200")
        assert (await fetch(server.port, "/missing")).startswith(b"HTTP/1.1 404")
    # serve() closed the tracer, which flushed the batch to the receiver.

    assert receiver.requests, "the receiver got no export"
    assert {path for path, _, _ in receiver.requests} == {"/v1/traces"}
    assert all(h.get("x-api-key") == "secret" for _, h, _ in receiver.requests)
    assert all(h.get("content-type") == "application/x-protobuf" for _, h, _ in receiver.requests)
    spans = receiver.spans()
    assert {resource["service.name"] for resource, _ in spans} == {"shop"}
    requests = [span for _, span in spans if span.name == "GET"]
    by_path = {attributes(span.attributes)["request.path"]: span for span in requests}
    assert set(by_path) == {"/hello", "/missing"}
    for path, status in (("/hello", 200), ("/missing", 404)):
        attrs = attributes(by_path[path].attributes)
        assert attrs["request.method"] == "GET"
        assert attrs["response.status_code"] == status
        assert by_path[path].kind == ProtoSpan.SPAN_KIND_SERVER
    (render,) = [span for _, span in spans if span.name == "render"]
    assert render.parent_span_id == by_path["/hello"].span_id
    assert render.trace_id == by_path["/hello"].trace_id
    names = {span.name for _, span in spans}
    assert {"server.startup", "server.shutdown"} <= names


# --- without the extra ----------------------------------------------------------------

BLOCKED = """
import sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "opentelemetry" or name.startswith("opentelemetry."):
            raise ImportError(f"blocked: {name}")
        return None

sys.meta_path.insert(0, Block())

import stario
import stario.telemetry
from stario.telemetry import OtelTracer

assert not any(m.startswith("opentelemetry") for m in sys.modules)
try:
    OtelTracer()
except RuntimeError as exc:
    print(exc)
else:
    raise SystemExit("OtelTracer() did not raise")
"""


def test_import_works_without_opentelemetry_and_construction_explains() -> None:
    done = subprocess.run(
        [sys.executable, "-c", BLOCKED],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": STARIO_PATH, "PATH": ""},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "the otel tracer needs the opentelemetry packages: pip install 'stario[otel]'\n"
    )


def test_importing_stario_does_not_load_opentelemetry() -> None:
    code = (
        "import sys, stario, stario.telemetry, stario.server\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
        "stario.telemetry.OtelTracer\n"
        "print('opentelemetry.sdk.trace' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": STARIO_PATH, "PATH": ""},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\nTrue\n"
