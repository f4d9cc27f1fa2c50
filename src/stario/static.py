"""Static assets: a fingerprinted manifest built at startup, served with long-lived caching.

::

    manifest = AssetManifest("static")              # hashes every file once
    StaticAssets(manifest).register(app)             # GET /static/{path...}
    manifest.href("css/app.css")                     # "/static/css/app.3f2a9c1b.css"

Every file gets its content hash in its URL, so it can be cached for a year
(``immutable``); a new deploy changes the hash and therefore the URL. Compressed
variants (br, zstd, gzip) are built at startup and kept only when smaller.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Final
from urllib.parse import quote, unquote

from stario.compression import Codec, choose_encoding, is_compressible
from stario.context import Context
from stario.errors import HttpException, StarioError
from stario.files import Representation, guess_content_type, send_representation
from stario.routing import Router
from stario.writer import Writer

__all__ = ["Asset", "AssetManifest", "AssetNotFound", "StaticAssets"]

IMMUTABLE: Final = "public, max-age=31536000, immutable"
# Up to this size a file's bytes stay in memory; larger files are streamed from disk.
MEMORY_LIMIT: Final = 256 * 1024
# Larger files are not precompressed (their variants would live in memory).
PRECOMPRESS_LIMIT: Final = 8 * 1024 * 1024
# Best ratio for ordinary assets; above SMALL, levels that keep startup to a second or so
# per MiB. zstd 19 stays within the 8 MiB window browsers accept.
_SMALL: Final = 256 * 1024
_LEVELS: Final = {"br": (11, 8), "zstd": (19, 15), "gzip": (9, 9)}
_HASH_CHARS: Final = 8


class AssetNotFound(KeyError):
    """``href()`` was asked for a file that is not in the manifest."""

    def __str__(self) -> str:
        return str(self.args[0])


class Asset:
    """One file of a manifest: its names, metadata and ready-made representations."""

    __slots__ = ("content_type", "digest", "file", "hashed", "identity", "path", "variants")

    def __init__(self, path: str, file: Path, digest: str, content_type: str) -> None:
        self.path = path
        self.file = file
        self.digest = digest
        self.content_type = content_type
        self.hashed = _fingerprint(path, digest[:_HASH_CHARS])
        self.identity: Representation
        self.variants: dict[str, Representation] = {}

    @property
    def codings(self) -> tuple[str, ...]:
        """The precompressed variants, best first."""
        return tuple(self.variants)


def _fingerprint(path: str, digest: str) -> str:
    """``css/app.css`` -> ``css/app.<digest>.css`` (the last suffix only)."""
    head, _, name = path.rpartition("/")
    stem, dot, ext = name.rpartition(".")
    hashed = f"{stem}.{digest}.{ext}" if dot and stem else f"{name}.{digest}"
    return f"{head}/{hashed}" if head else hashed


class AssetManifest:
    """Every file under ``directory``, fingerprinted once, by path relative to it.

    Hidden files and directories (a segment starting with ``.``), non-regular files and
    symlinks that lead outside ``directory`` or to a hidden file in it are left out;
    symlinked directories are not followed. The manifest is a snapshot: restart
    (``stario watch`` does) to pick up changes. ``precompress=False`` skips building
    compressed variants.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        url_prefix: str = "/static",
        *,
        precompress: bool = True,
    ) -> None:
        root = Path(directory)
        if not root.is_dir():
            raise StarioError(
                f"static directory {str(root)!r} does not exist or is not a directory",
                help="pass the folder that holds your CSS, JS and images",
                example='AssetManifest(Path(__file__).parent / "static")',
            )
        self.directory = root.resolve()
        self.url_prefix = "/" + url_prefix.strip("/") if url_prefix.strip("/") else ""
        self.assets: dict[str, Asset] = {}
        self._routes: dict[str, tuple[Asset, bool]] = {}
        self._negotiated: dict[tuple[str, tuple[str, ...]], str | None] = {}
        self._build(precompress)

    # --- lookups ----------------------------------------------------------------------

    def href(self, path: str) -> str:
        """The fingerprinted URL of ``path`` (relative to the directory), for templates."""
        asset = self.assets.get(path.lstrip("/"))
        if asset is None:
            raise AssetNotFound(
                f"{path!r} is not in the asset manifest of {str(self.directory)!r}"
                f" ({len(self.assets)} files); check the spelling and that it is not"
                " hidden, and restart after adding files"
            )
        return f"{self.url_prefix}/{quote(asset.hashed)}"

    def resolve(self, raw: str) -> tuple[Asset, bool] | None:
        """The asset for a raw (percent-encoded) URL path below the prefix, or None.

        The boolean says whether ``raw`` is the fingerprinted name. SECURITY: only
        names collected at startup can match; encoded slashes or backslashes, NUL,
        invalid UTF-8 and hidden segments never do.
        """
        if "%" in raw:
            lowered = raw.lower()
            if "%2f" in lowered or "%5c" in lowered or "%00" in lowered:
                return None
            try:
                raw = unquote(raw, errors="strict")
            except UnicodeDecodeError:
                return None
        if "\\" in raw or "\x00" in raw or raw.startswith(".") or "/." in raw:
            return None
        return self._routes.get(raw)

    def negotiate(self, accept: str, asset: Asset) -> Representation:
        """The variant of ``asset`` for an ``Accept-Encoding`` value (identity if none)."""
        key = (accept, asset.codings)
        cache = self._negotiated
        if key not in cache:
            if len(cache) >= 256:
                cache.clear()  # SECURITY: clients choose the keys; keep it bounded
            cache[key] = choose_encoding(accept, asset.codings)
        coding = cache[key]
        return asset.identity if coding is None else asset.variants[coding]

    def __getitem__(self, path: str) -> Asset:
        return self.assets[path]

    def __contains__(self, path: object) -> bool:
        return path in self.assets

    def __iter__(self) -> Iterator[str]:
        return iter(self.assets)

    def __len__(self) -> int:
        return len(self.assets)

    # --- building -------------------------------------------------------------------------

    def _build(self, precompress: bool) -> None:
        files = sorted(self._walk())
        workers = os.cpu_count() or 2
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stario-assets") as pool:
            loaded = list(pool.map(lambda item: _load(*item), files))
            jobs = [
                pool.submit(_precompress, asset, data)
                for asset, data in loaded
                if precompress and data is not None
            ]
            for job in jobs:
                job.result()
        for asset, _ in loaded:
            self._add(asset)

    def _walk(self) -> Iterator[tuple[str, Path]]:
        root = str(self.directory)
        for dirpath, dirnames, filenames in os.walk(root):
            # SECURITY: hidden directories (.git, .env folders) are never descended into.
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                full = os.path.join(dirpath, name)
                target = None if name.startswith(".") else _target(full, root)
                if target is None:
                    continue
                try:
                    if not stat.S_ISREG(os.stat(target).st_mode):
                        continue
                except OSError:
                    continue  # a dangling symlink
                rel = os.path.relpath(full, root).replace(os.sep, "/")
                yield rel, Path(target)

    def _add(self, asset: Asset) -> None:
        for key, fingerprinted in ((asset.path, False), (asset.hashed, True)):
            other = self._routes.get(key)
            if other is not None:
                raise StarioError(
                    f"static files {other[0].path!r} and {asset.path!r} share the URL {key!r}",
                    help="rename one of them; a name must not look like another's fingerprint",
                )
            self._routes[key] = (asset, fingerprinted)
        self.assets[asset.path] = asset


def _target(full: str, root: str) -> str | None:
    """SECURITY: the file to serve for ``full``; None for a symlink that may not be served.

    A symlink counts only when its target, fully resolved, is inside ``root`` and not
    hidden there; the resolved path is kept, so re-pointing the link after startup
    cannot change what is served.
    """
    if not os.path.islink(full):
        return full
    real = os.path.realpath(full)
    if not real.startswith(root + os.sep):
        return None
    inner = real[len(root) + 1 :].split(os.sep)
    return None if any(part.startswith(".") for part in inner) else real


def _load(rel: str, file: Path) -> tuple[Asset, bytes | None]:
    """Hash a file; return its asset and, when it may be precompressed, its bytes."""
    st = file.stat()
    digest = hashlib.sha256()
    data: bytes | None = None
    if st.st_size <= PRECOMPRESS_LIMIT:
        data = file.read_bytes()
        digest.update(data)
    else:
        with file.open("rb") as fh:
            while chunk := fh.read(1024 * 1024):
                digest.update(chunk)
    hexdigest = digest.hexdigest()[:16]
    ctype = guess_content_type(rel)
    asset = Asset(rel, file, hexdigest, ctype)
    in_memory = data if data is not None and len(data) <= MEMORY_LIMIT else None
    asset.identity = Representation(
        content_type=ctype,
        etag=f'"{hexdigest}"',
        mtime=int(st.st_mtime),
        size=st.st_size,
        data=in_memory,
        path=str(file),
        headers=(("cache-control", IMMUTABLE),),
    )
    return asset, data if is_compressible(ctype) else None


def _precompress(asset: Asset, data: bytes) -> None:
    """Build the br, zstd and gzip variants of ``asset``; keep those that are smaller."""
    identity = asset.identity
    vary = ("vary", "accept-encoding")
    for coding, (small, large) in _LEVELS.items():
        encoded = Codec(coding, small if len(data) <= _SMALL else large).compress(data)
        if len(encoded) >= len(data):
            continue
        asset.variants[coding] = Representation(
            content_type=identity.content_type,
            etag=f'"{asset.digest}-{coding}"',
            mtime=identity.mtime,
            size=len(encoded),
            data=encoded,
            headers=(*identity.headers, vary, ("content-encoding", coding)),
            ranges=False,
        )
    if asset.variants:
        identity.headers += (vary,)


class StaticAssets:
    """The handler that serves an ``AssetManifest``: ``StaticAssets(manifest).register(app)``.

    Fingerprinted URLs answer with ``Cache-Control: public, max-age=31536000,
    immutable``, an ETag and Last-Modified (304 on revalidation), one Range, and the
    best precompressed variant for the client's ``Accept-Encoding``. The plain name
    (``/static/css/app.css``) redirects (307) to the fingerprinted one, cacheable for
    ``redirect_max_age`` seconds. Everything else is 404.
    """

    __slots__ = ("_prefix_segments", "manifest", "redirect_max_age")

    def __init__(self, manifest: AssetManifest, *, redirect_max_age: int = 60) -> None:
        self.manifest = manifest
        self.redirect_max_age = redirect_max_age
        self._prefix_segments: dict[str, int] = {}

    def register(self, router: Router, *, name: str | None = "static") -> None:
        """Route ``GET`` (and HEAD) ``<url_prefix>/{path...}`` to this handler."""
        router.get(self.manifest.url_prefix + "/{path...}", self, name=name)

    async def __call__(self, c: Context, w: Writer) -> None:
        """Serve one asset request."""
        req = c.req
        found = self.manifest.resolve(self._rest(c.route.pattern, req.raw_path))
        if found is None:
            raise HttpException(404, "Not Found")
        asset, fingerprinted = found
        if not fingerprinted:
            w.headers.set("location", f"{self.manifest.url_prefix}/{quote(asset.hashed)}")
            w.headers.set("cache-control", f"public, max-age={self.redirect_max_age}")
            w.respond(b"", "text/plain; charset=utf-8", 307)
            return
        rep = asset.identity
        if asset.variants and "range" not in req.headers:
            accept = req.headers.get("accept-encoding")
            if accept is not None:
                rep = self.manifest.negotiate(accept, asset)
        await send_representation(req, w, rep)

    def _rest(self, pattern: str, raw_path: str) -> str:
        """The raw path below the route's prefix (mount prefixes included)."""
        count = self._prefix_segments.get(pattern)
        if count is None:
            path = pattern[pattern.find("/") :]
            count = self._prefix_segments[pattern] = path.count("/")
        parts = raw_path.split("/", count)
        return parts[-1] if len(parts) > count else ""
