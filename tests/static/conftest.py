"""A static directory with every kind of file the manifest must handle."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from stario.static import AssetManifest
from tests.compression.codecs import html_page

CSS = (b".button { color: #123456; padding: 4px 8px; border-radius: 3px; }\n" * 64)[:4096]
BIG_TEXT = html_page(600_000, seed=11)  # over the in-memory limit, still precompressed
BIG_BINARY = random.Random(5).randbytes(1_200_000)  # streamed from disk


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A fresh copy, for tests that change files."""
    return make_site(tmp_path)


@pytest.fixture(scope="session")
def shared_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy for the tests that only read."""
    return make_site(tmp_path_factory.mktemp("shared"))


@pytest.fixture(scope="session")
def manifest(shared_site: Path) -> AssetManifest:
    """The manifest of ``shared_site`` (built once: precompression takes a moment)."""
    return AssetManifest(shared_site)


def make_site(tmp_path: Path) -> Path:
    """Write the sample directory under ``tmp_path``; return its root."""
    root = tmp_path / "static"
    files: dict[str, bytes] = {
        "css/app.css": CSS,
        "js/app.js": b"export const answer = 42;\n" * 40,
        "js/app.min.js": b"console.log(1);" * 50,
        "js/mod.mjs": b"export default 1;\n" * 40,
        "img/logo.png": random.Random(1).randbytes(3000),
        "img/icon.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>\n' * 20,
        "fonts/inter.woff2": random.Random(2).randbytes(2000),
        "app.wasm": b"\x00asm\x01\x00\x00\x00" + bytes(2000),
        "data.json": b'{"items": [' + b'{"a": 1}, ' * 200 + b"{}]}",
        "tiny.txt": b"hi",
        "empty.txt": b"",
        "LICENSE": b"Permission is hereby granted\n" * 30,
        "docs/my file \u00fc.txt": b"unicode name\n" * 50,
        "big.txt": BIG_TEXT,
        "big.bin": BIG_BINARY,
        ".env": b"SECRET=1",
        ".git/config": b"[core]",
        "css/.secret/x.css": b"hidden",
        "css/.draft.css": b"hidden",
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"outside the directory")
    os.symlink(outside / "secret.txt", root / "leak.txt")
    os.symlink(outside, root / "linked-dir")
    os.symlink(root / "css" / "app.css", root / "alias.css")
    os.symlink(root / "missing", root / "dangling.txt")
    # Links inside the directory that lead to hidden files: left out like their targets.
    os.symlink(root / ".env", root / "env.txt")
    os.symlink(os.path.join(".git", "config"), root / "git-config.txt")
    return root
