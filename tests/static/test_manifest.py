"""``AssetManifest``: what it collects, how it names files, and the variants it keeps."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from stario import StarioError
from stario.compression import CODINGS
from stario.static import AssetManifest, AssetNotFound
from tests.compression.codecs import decode
from tests.static.conftest import CSS


def test_every_visible_regular_file_is_collected(manifest: AssetManifest) -> None:
    assert sorted(manifest) == [
        "LICENSE",
        "alias.css",
        "app.wasm",
        "big.bin",
        "big.txt",
        "css/app.css",
        "data.json",
        "docs/my file \u00fc.txt",
        "empty.txt",
        "fonts/inter.woff2",
        "img/icon.svg",
        "img/logo.png",
        "js/app.js",
        "js/app.min.js",
        "js/mod.mjs",
        "tiny.txt",
    ]
    # Hidden files and folders, symlinks leaving the directory or leading to hidden
    # files, symlinked folders and dangling links are not part of it.
    for left_out in (
        ".env",
        ".git/config",
        "css/.draft.css",
        "leak.txt",
        "dangling.txt",
        "env.txt",
        "git-config.txt",
    ):
        assert left_out not in manifest
    assert not any(name.startswith("linked-dir") for name in manifest)


def test_file_names_carry_the_content_hash(manifest: AssetManifest) -> None:
    digest = hashlib.sha256(CSS).hexdigest()[:8]
    assert manifest["css/app.css"].hashed == f"css/app.{digest}.css"
    assert manifest.href("css/app.css") == f"/static/css/app.{digest}.css"
    assert manifest.href("/css/app.css") == manifest.href("css/app.css")
    assert manifest["js/app.min.js"].hashed.startswith("js/app.min.")
    assert manifest["js/app.min.js"].hashed.endswith(".js")
    assert manifest["LICENSE"].hashed.startswith("LICENSE.")
    # The symlink inside the directory serves the same bytes under its own name.
    assert manifest["alias.css"].digest == manifest["css/app.css"].digest


def test_href_quotes_and_honours_the_prefix(site: Path) -> None:
    manifest = AssetManifest(site, url_prefix="assets/")
    href = manifest.href("docs/my file \u00fc.txt")
    assert href.startswith("/assets/docs/my%20file%20%C3%BC.")
    assert AssetManifest(site, url_prefix="/").href("tiny.txt").startswith("/tiny.")


def test_changing_a_file_changes_its_url(site: Path) -> None:
    before = AssetManifest(site).href("css/app.css")
    (site / "css" / "app.css").write_bytes(CSS + b"/* v2 */")
    assert AssetManifest(site).href("css/app.css") != before


def test_unknown_file_raises_a_clear_key_error(manifest: AssetManifest) -> None:
    with pytest.raises(KeyError) as info:
        manifest.href("css/missing.css")
    assert isinstance(info.value, AssetNotFound)
    assert "'css/missing.css' is not in the asset manifest" in str(info.value)
    with pytest.raises(KeyError):
        manifest.href(".env")


def test_missing_directory_fails_at_startup(tmp_path: Path) -> None:
    with pytest.raises(StarioError, match="does not exist"):
        AssetManifest(tmp_path / "nope")


def test_a_name_that_looks_like_a_fingerprint_collides(site: Path) -> None:
    hashed = AssetManifest(site)["tiny.txt"].hashed
    (site / hashed).write_bytes(b"other")
    with pytest.raises(StarioError, match="share the URL"):
        AssetManifest(site)


def test_variants_are_kept_only_when_smaller(manifest: AssetManifest) -> None:
    css = manifest["css/app.css"]
    assert css.codings == CODINGS
    for coding, rep in css.variants.items():
        assert rep.data is not None
        assert rep.size == len(rep.data) < len(CSS)
        assert decode(coding, rep.data) == CSS
    assert manifest["tiny.txt"].variants == {}  # two bytes never get smaller
    assert manifest["img/logo.png"].variants == {}  # not a compressible type
    assert manifest["fonts/inter.woff2"].variants == {}
    assert set(manifest["big.txt"].variants) == set(CODINGS)


def test_precompress_can_be_turned_off(site: Path) -> None:
    manifest = AssetManifest(site, precompress=False)
    assert all(not manifest[name].variants for name in manifest)


@pytest.mark.parametrize(
    ("name", "ctype"),
    [
        ("css/app.css", "text/css; charset=utf-8"),
        ("js/app.js", "text/javascript; charset=utf-8"),
        ("js/mod.mjs", "text/javascript; charset=utf-8"),
        ("img/icon.svg", "image/svg+xml; charset=utf-8"),
        ("app.wasm", "application/wasm"),
        ("fonts/inter.woff2", "font/woff2"),
        ("img/logo.png", "image/png"),
        ("data.json", "application/json"),
        ("tiny.txt", "text/plain; charset=utf-8"),
        ("big.bin", "application/octet-stream"),
        ("LICENSE", "application/octet-stream"),
    ],
)
def test_content_types(manifest: AssetManifest, name: str, ctype: str) -> None:
    assert manifest[name].content_type == ctype


def test_symlink_escape_via_parent_segments_is_left_out(site: Path) -> None:
    os.symlink("../outside/secret.txt", site / "relative-leak.txt")
    assert "relative-leak.txt" not in AssetManifest(site)
