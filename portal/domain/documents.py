"""What an uploaded document may be (domain layer: pure, works on the bytes alone; issue 21 D).

A floor plan or attachment is a PDF, a JPEG or a PNG, recognised by its content, never by its
file name, and only when it really is one:

* a PDF starts with ``%PDF-`` at its first byte (a file that starts as HTML and carries a PDF
  further on, a polyglot, is refused), has no HTML markup in its first kilobyte (what browsers
  sniff), parses as a PDF (pypdf) with at least one page, is not encrypted, and holds no
  JavaScript (``/JS``, ``/JavaScript``) and no launch action (``/Launch``) anywhere in its
  objects: the names tree, ``/OpenAction``, annotations' ``/A`` and ``/AA``, form fields —
  every object reachable from the trailer is looked at;
* a JPEG or PNG decodes completely (Pillow), and is at most ``MAX_IMAGE_PIXELS`` pixels.

Anything else is refused with a message code of ``portal/messages.py`` (``document.*``).
"""

from __future__ import annotations

import io
import re
import warnings
from typing import Any, Final

from PIL import Image, ImageFile
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

PDF_MAGIC: Final = b"%PDF-"
PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC: Final = b"\xff\xd8\xff"
# Kind → (MIME type, file extension).
KINDS: Final = {
    "pdf": ("application/pdf", ".pdf"),
    "png": ("image/png", ".png"),
    "jpeg": ("image/jpeg", ".jpg"),
}
# A floor plan scanned at 600 dpi on A0 is about 28 million pixels; decoding more is refused
# (Pillow's own bomb limit is 89 million, with a warning only).
MAX_IMAGE_PIXELS: Final = 40_000_000
# A PDF with more objects than this is not looked through (and not accepted).
MAX_PDF_OBJECTS: Final = 200_000
# What a browser's content sniffing takes for HTML (WHATWG MIME Sniffing §7.1), in the header;
# no tag that could be a PDF hex string (``<a …>``, ``<b>``).
_HTML = re.compile(
    rb"<(?:!doctype|html|head|body|script|iframe|svg|object|embed|meta|img|style|title|table|"
    rb"font|br|p[\s>]|div|h1|!--)",
    re.IGNORECASE,
)
SNIFF_WINDOW: Final = 1024
# Action names that run something: JavaScript, or a program (``/Launch``).
_ACTIVE_KEYS: Final = frozenset({"/JS", "/JavaScript", "/Launch"})
_ACTIVE_TYPES: Final = frozenset({"/JavaScript", "/Launch"})


def kind_of(data: bytes) -> str | None:
    """``pdf``, ``png`` or ``jpeg`` by the file's first bytes, else None."""
    if data.startswith(PDF_MAGIC):
        return "pdf"
    if data.startswith(PNG_MAGIC):
        return "png"
    if data.startswith(JPEG_MAGIC):
        return "jpeg"
    return None


def mime_type(data: bytes) -> str:
    return KINDS[kind_of(data) or "pdf"][0]


def extension(data: bytes) -> str:
    return KINDS[kind_of(data) or "pdf"][1]


def content_problem(data: bytes) -> str | None:
    """Why ``data`` is not an acceptable PDF, JPEG or PNG (a ``document.*`` code), or None."""
    kind = kind_of(data)
    if kind is None:
        return "document.unsupported"
    if kind == "pdf":
        return _pdf_problem(data)
    return _image_problem(data, kind)


def _pdf_problem(data: bytes) -> str | None:
    if _HTML.search(data[:SNIFF_WINDOW]):
        return "document.unsupported"  # HTML and PDF at once: a polyglot
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            return "document.encrypted"
        if len(reader.pages) < 1:
            return "document.damaged"
        return "document.active_content" if _has_active_content(reader.trailer) else None
    except _TooComplex:
        return "document.damaged"
    except Exception:  # pypdf raises many kinds on broken files: all mean "cannot be read"
        return "document.damaged"


class _TooComplex(Exception):
    pass


def _has_active_content(trailer: Any) -> bool:
    """True when any object reachable from ``trailer`` names JavaScript or a launch action."""
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [trailer]
    visited = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        visited += 1
        if visited > MAX_PDF_OBJECTS:
            raise _TooComplex
        if isinstance(item, DictionaryObject):  # streams too: their dictionary
            for name, value in item.items():
                if str(name) in _ACTIVE_KEYS:
                    return True
                if str(name) == "/S" and isinstance(value, NameObject) and value in _ACTIVE_TYPES:
                    return True
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return False


def _image_problem(data: bytes, kind: str) -> str | None:
    expected = {"png": "PNG", "jpeg": "JPEG"}[kind]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != expected:
                    return "document.unsupported"
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    return "document.image_too_large"
                image.verify()  # the structure and, for PNG, every chunk's checksum
            # WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES to True when it is
            # imported (weasyprint/images.py), and then a truncated JPEG "loads" with grey where
            # its end is missing. The receipts embed no raster image (the QR code is SVG), so the
            # portal can keep the flag off; it is set here, before each decode, because the
            # receipts' renderer may be imported after the first upload.
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # and every pixel decodes: a truncated file fails here
    except Exception:  # Pillow raises OSError, SyntaxError, ValueError … on broken files
        return "document.damaged"
    return None
