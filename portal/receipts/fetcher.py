"""The locked URL fetcher for receipt rendering (receipts layer).

WeasyPrint fetches every stylesheet, image, font and SVG reference through its URL fetcher. A
receipt contains text that organisations typed, so the fetcher is the last line against
server-side request forgery and local file disclosure (docs/security.md §8, T9; CVE-2025-68616):

- ``portal-asset:<name>`` serves a file bundled in ``portal/receipts/assets/`` — looked up by
  exact name in a list made at import, never joined onto a path, so ``../`` cannot escape;
- ``data:`` URIs are decoded in memory (the QR code is one);
- everything else — http, https, ftp, file, relative paths, unknown schemes — is refused
  before any I/O, and counted so tests (and logs) can see that a refusal happened.

A refusal is an ordinary exception: WeasyPrint logs it and renders without the resource, so a
receipt is still issued (the notification duty is never blocked). User text is always escaped
by the template, so in normal operation nothing is ever refused; a refusal means markup got in.
Redirects cannot happen: nothing that could redirect is ever opened.
"""

from __future__ import annotations

import logging
import mimetypes
import re
import threading
from pathlib import Path
from typing import Any, Final
from urllib.request import DataHandler, Request

from weasyprint.urls import URLFetcher, URLFetcherResponse

ASSET_SCHEME: Final = "portal-asset"
ASSET_DIR: Final = Path(__file__).resolve().parent / "assets"
_ASSET_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*\.[a-z0-9]+$")
# Data URIs are small here (an SVG QR code is a few kB); a huge one is not ours.
MAX_DATA_URI_CHARS: Final = 512 * 1024

log = logging.getLogger(__name__)


def asset_url(name: str) -> str:
    """The URL under which the fetcher serves the bundled asset ``name``."""
    return f"{ASSET_SCHEME}:{name}"


def _bundled_assets() -> dict[str, Path]:
    """Every asset by its file name; only plain lower-case names qualify."""
    if not ASSET_DIR.is_dir():
        return {}
    return {
        path.name: path
        for path in ASSET_DIR.iterdir()
        if path.is_file() and _ASSET_NAME.match(path.name)
    }


ASSETS: Final[dict[str, Path]] = _bundled_assets()


class RefusedURL(ValueError):
    """The locked fetcher does not serve this URL."""


class AssetOnlyFetcher(URLFetcher):  # type: ignore[misc]  # weasyprint ships no type hints
    """A WeasyPrint URL fetcher that serves bundled receipt assets and ``data:`` URIs only."""

    def __init__(self) -> None:
        # allowed_protocols and no redirects also lock the parent, in case a future WeasyPrint
        # reaches it some other way than through fetch().
        super().__init__(
            timeout=1,
            allowed_protocols=(ASSET_SCHEME, "data"),
            allow_redirects=False,
            fail_on_errors=False,
        )
        self._lock = threading.Lock()
        self.refused: list[str] = []

    @property
    def refusals(self) -> int:
        """How many URLs this fetcher has refused."""
        with self._lock:
            return len(self.refused)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """Serve ``portal-asset:`` and ``data:`` URLs; refuse every other URL."""
        scheme, _, rest = (url or "").partition(":")
        scheme = scheme.lower()
        if scheme == ASSET_SCHEME and rest in ASSETS:
            path = ASSETS[rest]
            mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                url, body=path.read_bytes(), headers={"Content-Type": mime_type}
            )
        if scheme == "data" and len(url) <= MAX_DATA_URI_CHARS:
            return self._data(url)
        self._refuse(url)
        raise RefusedURL(f"receipt fetcher refuses {url[:200]!r}")

    def _data(self, url: str) -> URLFetcherResponse:
        try:
            # Only data: URLs reach this line; DataHandler decodes in memory, no I/O.
            response = DataHandler().data_open(Request(url))  # noqa: S310
        except ValueError:
            self._refuse(url)
            raise RefusedURL("malformed data: URI") from None
        body = response.read()
        content_type = response.headers.get("Content-Type", "text/plain")
        return URLFetcherResponse(url, body=body, headers={"Content-Type": content_type})

    def _refuse(self, url: str) -> None:
        with self._lock:
            self.refused.append(url[:200])
        log.warning("receipt fetcher refused %r", url[:200])

    def open(self, url: Any, data: Any = None, timeout: Any = None) -> URLFetcherResponse:
        """Everything WeasyPrint opens goes through :meth:`fetch`, never urllib's handlers."""
        return self.fetch(url.full_url if isinstance(url, Request) else url)

    def __call__(self, url: str) -> URLFetcherResponse:
        return self.fetch(url)
