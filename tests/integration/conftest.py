"""Fixtures for tests against a real ``stario serve`` process and a real Chromium.

- `datastar_js`: the Datastar browser bundle, fetched once per session.
- `serve`: start ``python -m stario serve MODULE:bootstrap`` and get its base URL.
- `browser`, `new_page`, `page`: Chromium driven by Playwright's async API.
- `shot`, `check_console`: screenshots under ``test-artifacts/browser/`` and a
  check that the page logged no errors (Datastar's included).

Browser tests are ``async def`` and share one event loop for the whole session,
because Playwright's objects belong to the loop that created them; the collection
hook below puts every test that uses `browser` on that loop.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterator,
    Mapping,
    Sequence,
)
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest
import pytest_asyncio

from tests.children import STARIO_PATH
from tests.e2e.live import StderrLines

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Error, Page

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
GET_DATASTAR_JS = REPO.parent / "shared" / "tools" / "get-datastar-js"
START_BOUND = 15.0  # seconds for a server to listen, and for it to exit after SIGTERM
FETCH_BOUND = 90.0  # seconds for get-datastar-js (a pip download)
BROWSER_TIMEOUT_MS = 10_000  # every Playwright action, navigation and expect()
_LISTENING = re.compile(r"stario: listening on (http://127\.0\.0\.1:\d+)")
_SKIP = "BROWSER TESTS SKIPPED: "


# --- markers -------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives Chromium through Playwright (skipped without Chromium)"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
            # Playwright objects are bound to one loop: the session-wide one.
            item.add_marker(pytest.mark.asyncio(loop_scope="session"), append=False)


_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    # The page fixtures decide at teardown whether the test body failed.
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def _failed(item: pytest.Item) -> bool:
    reports = item.stash.get(_REPORTS, {})
    return any(r.failed for r in reports.values())


# --- the Datastar bundle -------------------------------------------------------------------


@pytest.fixture(scope="session")
def datastar_js(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path to ``datastar.js``: ``$DATASTAR_JS_PATH`` if set, else fetched by get-datastar-js."""
    preset = os.environ.get("DATASTAR_JS_PATH")
    if preset:
        if not Path(preset).is_file():
            pytest.skip(f"{_SKIP}DATASTAR_JS_PATH={preset} is not a file")
        return Path(preset)
    if not GET_DATASTAR_JS.is_file():
        pytest.skip(f"{_SKIP}no {GET_DATASTAR_JS} to fetch datastar.js")
    dest = tmp_path_factory.mktemp("datastar") / "datastar.js"
    try:
        done = subprocess.run(
            ["bash", str(GET_DATASTAR_JS), str(dest)],
            env={**os.environ, "PYTHON": sys.executable},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=FETCH_BOUND,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"{_SKIP}get-datastar-js took over {FETCH_BOUND} s")
    if done.returncode != 0 or not dest.is_file():
        stderr = " | ".join(done.stderr.strip().splitlines())
        pytest.skip(f"{_SKIP}get-datastar-js failed ({done.returncode}): {stderr}")
    return dest


# --- real server processes -----------------------------------------------------------------


class Serve(Protocol):
    """The `serve` fixture: start an app, return its base URL (``http://127.0.0.1:PORT``)."""

    def __call__(
        self,
        app: str,
        *,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        pythonpath: Sequence[Path] = (),
        tracer: str = "noop",
        args: Sequence[str] = (),
    ) -> str: ...


class ServerProcess:
    """One ``python -m stario serve`` child; stdout goes to a file, stderr is read live."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str], stdout: Path) -> None:
        self.argv = argv
        self.stdout_path = stdout
        self._stdout = stdout.open("wb")
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._stdout,
            stderr=subprocess.PIPE,
        )
        self._stderr = StderrLines(self.proc)
        self.lines = self._stderr.lines

    def wait_listening(self) -> str:
        """The base URL once the server listens and accepts a connection."""
        while True:
            try:
                line = self._stderr.next(START_BOUND)
            except queue.Empty:
                raise AssertionError(
                    f"server not listening within {START_BOUND} s\n{self.log()}"
                ) from None
            if line is None:
                raise AssertionError(f"server exited before listening\n{self.log()}")
            match = _LISTENING.search(line)
            if match:
                break
        url = match[1]
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=START_BOUND):
            pass
        return url

    def log(self) -> str:
        """The command line, exit status and everything the child wrote so far."""
        self.proc.poll()
        stdout = self.stdout_path.read_text("utf-8", "replace") if self.stdout_path.exists() else ""
        return (
            f"$ {' '.join(self.argv)}  (pid {self.proc.pid}, "
            f"exit {self.proc.returncode})\n--- stderr\n"
            + "\n".join(self.lines)
            + f"\n--- stdout\n{stdout[-4000:]}"
        )

    def stop(self) -> None:
        """SIGTERM, wait (bounded), SIGKILL only if it is still running; our PID only."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=START_BOUND)
            except subprocess.TimeoutExpired:
                print(f"server pid {self.proc.pid} ignored SIGTERM for {START_BOUND} s; killing")
                self.proc.kill()
                self.proc.wait(timeout=START_BOUND)
        self._stderr.close(START_BOUND)
        self._stdout.close()


def server_env(extra: Mapping[str, str], pythonpath: Sequence[Path]) -> dict[str, str]:
    """The child's environment: ours without ``STARIO_*``, this process's stario, `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STARIO_")}
    paths = [STARIO_PATH, *(str(p) for p in pythonpath), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # never leave __pycache__ in examples/
    env.update(extra)
    return env


@pytest.fixture
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    """Start ``python -m stario serve APP --host 127.0.0.1 --port 0``; stop all at teardown.

    ``serve("main:bootstrap", cwd=DIR, env={"DATASTAR_JS_PATH": str(datastar_js)})``
    returns ``http://127.0.0.1:PORT``. With ``tracer="json"`` spans go to a file whose
    content is printed at teardown with the server's stderr.
    """
    started: list[ServerProcess] = []
    logs = tmp_path_factory.mktemp("serve")

    def start(
        app: str,
        *,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        pythonpath: Sequence[Path] = (),
        tracer: str = "noop",
        args: Sequence[str] = (),
    ) -> str:
        argv = [sys.executable, "-m", "stario", "serve", app, "--host", "127.0.0.1"]
        argv += ["--port", "0", "--tracer", tracer, "--graceful-timeout", "2", *args]
        stdout = logs / f"server-{len(started) + 1}.stdout"
        server = ServerProcess(argv, cwd, server_env(env or {}, pythonpath), stdout)
        started.append(server)
        return server.wait_listening()

    try:
        yield start
    finally:
        for server in reversed(started):
            server.stop()
            print(server.log())  # shown by pytest when the test failed


# --- Chromium ------------------------------------------------------------------------------


def _has_chromium() -> bool:
    return os.access(CHROMIUM, os.X_OK)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium (headless) via Playwright; skips loudly when either is missing."""
    if not _has_chromium():
        pytest.skip(f"{_SKIP}{CHROMIUM} missing; run scripts/install-browser as root")
    try:
        from playwright.async_api import async_playwright, expect
    except ImportError:
        pytest.skip(f"{_SKIP}playwright is not installed; pip install -e '.[browser]'")
    expect.set_options(timeout=BROWSER_TIMEOUT_MS)
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000
        )
        try:
            yield chromium
        finally:
            await chromium.close()


class PageKit:
    """The pages one test opened, their console errors and its screenshot counter."""

    def __init__(self, item: pytest.Item) -> None:
        self.item = item
        self.prefix = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{item.path.stem}.{item.name}")
        self.count = 0
        self.contexts: list[BrowserContext] = []
        self.errors: dict[Page, list[str]] = {}
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for old in ARTIFACTS.glob(f"{self.prefix}-*"):
            old.unlink()  # a previous run's files would mislead

    def watch(self, page: Page) -> None:
        """Record the page's uncaught errors, console errors and Datastar warnings."""
        errors = self.errors.setdefault(page, [])

        def on_console(msg: ConsoleMessage) -> None:
            where = msg.location.get("url", "")
            if where.endswith("/favicon.ico"):
                return  # apps need not serve one; Chromium asks anyway
            datastar_warning = msg.type == "warning" and "data-star.dev" in msg.text
            if msg.type == "error" or datastar_warning:
                errors.append(f"console.{msg.type}: {msg.text} ({where})")

        def on_pageerror(exc: Error) -> None:
            errors.append(f"uncaught: {exc.message}")

        page.on("console", on_console)
        page.on("pageerror", on_pageerror)

    async def shot(self, page: Page, label: str = "") -> Path:
        """Save a full-page screenshot as ``<module>.<test>-<n>[-<label>].png``."""
        self.count += 1
        suffix = "-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", label) if label else ""
        path = ARTIFACTS / f"{self.prefix}-{self.count}{suffix}.png"
        await page.screenshot(path=path, full_page=True, timeout=BROWSER_TIMEOUT_MS)
        return path

    def check(self, page: Page, ignore: Sequence[str] = ()) -> None:
        """Fail the test if `page` logged errors (other than those matching `ignore`)."""
        errors = [e for e in self.errors.get(page, []) if not any(re.search(p, e) for p in ignore)]
        if errors:
            pytest.fail("the page logged errors:\n  " + "\n  ".join(errors), pytrace=False)

    async def close(self) -> None:
        """Screenshot every open page, check consoles after a pass, close the contexts."""
        from playwright.async_api import Error as PlaywrightError

        failed = _failed(self.item)
        for page in self.errors:
            if page.is_closed():
                continue
            try:
                path = await self.shot(page, "failed" if failed else "")
            except PlaywrightError as exc:
                print(f"no screenshot of {page.url}: {exc.message}")
            else:
                print(f"screenshot: {path}")
        for context in self.contexts:
            await context.close()
        if not failed:
            for page in self.errors:
                self.check(page)


NewPage = Callable[..., Awaitable["Page"]]
Shot = Callable[["Page", str], Awaitable[Path]]
CheckConsole = Callable[..., None]


@pytest_asyncio.fixture(loop_scope="session")
async def _page_kit(
    request: pytest.FixtureRequest, browser: Browser, serve: Serve
) -> AsyncIterator[PageKit]:
    # Depending on `serve` makes pages close before the servers they talk to stop.
    kit = PageKit(request.node)
    try:
        yield kit
    finally:
        await kit.close()


@pytest_asyncio.fixture(loop_scope="session")
async def new_page(browser: Browser, _page_kit: PageKit) -> NewPage:
    """``await new_page(**context_options)``: a page in a fresh browser context."""

    async def make(**context_options: Any) -> Page:
        context = await browser.new_context(**context_options)
        _page_kit.contexts.append(context)
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        page = await context.new_page()
        _page_kit.watch(page)
        return page

    return make


@pytest_asyncio.fixture(loop_scope="session")
async def page(new_page: NewPage) -> Page:
    """A fresh page in its own context (screenshot and console check at teardown)."""
    return await new_page()


@pytest.fixture
def shot(_page_kit: PageKit) -> Shot:
    """``await shot(page, label)``: save a screenshot now; returns its path."""
    return _page_kit.shot


@pytest.fixture
def check_console(_page_kit: PageKit) -> CheckConsole:
    """``check_console(page, ignore=(regex, ...))``: fail if the page logged errors."""
    return _page_kit.check
