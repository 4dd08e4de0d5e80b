"""What an uploaded document may be (domain/documents.py, issue 21 D): real PDFs without
JavaScript or launch actions, and JPEG or PNG images that decode completely. The files are made
here with pypdf's writer and Pillow; the hostile ones are changed from those."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

from portal.domain.documents import content_problem, extension, kind_of, mime_type
from tests.helpers import MINIMAL_PDF, image_bytes, pdf_bytes


def written(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def action(kind: str, **values: str) -> DictionaryObject:
    entries = {NameObject("/S"): NameObject(kind)}
    entries.update({NameObject(k): TextStringObject(v) for k, v in values.items()})
    return DictionaryObject(entries)


def escaped_names(data: bytes) -> bytes:
    """/JavaScript and /JS written with #-escapes: /J#61vaScript, /J#53."""
    return data.replace(b"/JavaScript", b"/J#61vaScript").replace(b"/JS", b"/J#53")


JS = action("/JavaScript", **{"/JS": "app.alert(1)"})
LAUNCH = action("/Launch", **{"/F": "C:\\Windows\\System32\\calc.exe"})


def pdf_with(where: str, act: DictionaryObject) -> bytes:
    """A one-page PDF with ``act`` as the document's /OpenAction, a link annotation's /A, or a
    page's additional action (/AA /O)."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    if where == "open":
        writer._root_object[NameObject("/OpenAction")] = act
    elif where == "annotation":
        annotation = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (0, 0, 100, 100)]),
                NameObject("/A"): act,
            }
        )
        page[NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    elif where == "page_aa":
        page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): act})
    return written(writer)


def pdf_with_names_tree_javascript() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    tree = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("welkom"), writer._add_object(JS)])}
    )
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): writer._add_object(tree)}
    )
    return written(writer)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (MINIMAL_PDF, None),
        (pdf_bytes(pages=3), None),
        (MINIMAL_PDF + b"\r\n" + b"\x00" * 500, None),  # a little junk after %%EOF
        (image_bytes("PNG"), None),
        (image_bytes("JPEG"), None),
        # polyglots and look-alikes
        (b"<html><script>alert(1)</script></html>\n" + MINIMAL_PDF, "document.unsupported"),
        (b"\xef\xbb\xbf " + MINIMAL_PDF, "document.unsupported"),  # not at byte 0
        (
            MINIMAL_PDF.replace(b"%\xe2\xe3\xcf\xd3", b"%<html><script>x()</script>"),
            "document.unsupported",
        ),
        (b"MZ\x90\x00\x03" + b"\x00" * 500, "document.unsupported"),  # a Windows program
        (b"GIF89a" + b"\x00" * 100, "document.unsupported"),
        # broken
        (b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "document.damaged"),
        (MINIMAL_PDF[: len(MINIMAL_PDF) // 2], "document.damaged"),
        (image_bytes("PNG")[:-30], "document.damaged"),  # truncated PNG
        (image_bytes("JPEG", (400, 300))[:-200], "document.damaged"),  # truncated JPEG
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "document.damaged"),
        # active content
        (pdf_with("open", JS), "document.active_content"),
        (pdf_with("open", LAUNCH), "document.active_content"),
        (pdf_with("annotation", JS), "document.active_content"),
        (pdf_with("annotation", LAUNCH), "document.active_content"),
        (pdf_with("page_aa", JS), "document.active_content"),
        (pdf_with_names_tree_javascript(), "document.active_content"),
        # a name written with #-escapes is the same name (ISO 32000-1 §7.3.5)
        (escaped_names(pdf_with("open", JS)), "document.active_content"),
        # a harmless action stays allowed
        (pdf_with("open", action("/URI", **{"/URI": "https://example.nl"})), None),
    ],
    ids=lambda value: None,
)
def test_content_problem(data: bytes, code: str | None) -> None:
    assert content_problem(data) == code


def test_an_encrypted_pdf_is_refused() -> None:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt("geheim", algorithm="RC4-128")
    assert content_problem(written(writer)) == "document.encrypted"


def test_kind_mime_type_and_extension_come_from_the_content() -> None:
    assert kind_of(MINIMAL_PDF) == "pdf" and mime_type(MINIMAL_PDF) == "application/pdf"
    assert extension(image_bytes("PNG")) == ".png" and mime_type(image_bytes("PNG")) == "image/png"
    assert extension(image_bytes("JPEG")) == ".jpg"
    assert kind_of(b"MZ") is None


def test_a_truncated_jpeg_is_refused_also_after_weasyprint_was_imported() -> None:
    """WeasyPrint turns Pillow's process-wide LOAD_TRUNCATED_IMAGES on when imported, as the
    portal does for its receipts; the check must not depend on which came first."""
    import weasyprint  # noqa: F401
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = True  # as weasyprint/images.py leaves it
    assert content_problem(image_bytes("JPEG", (400, 300))[:-200]) == "document.damaged"
