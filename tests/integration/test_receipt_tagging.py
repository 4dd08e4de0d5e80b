"""Every PDF the portal issues is a tagged PDF/A-3a (issue 24), read here with pikepdf.

Each kind of receipt (a declaration, a batch, a permit renewal application) in both languages:
the catalogue says the file is tagged (``MarkInfo/Marked``) and in which language (``Lang``);
the structure tree follows the HTML (one H1, heading levels never skipped, tables of TR/TH/TD
whose data cells name their row header, lists, the QR code a Figure whose ``Alt`` gives the
verification URL); every font is embedded; the XMP metadata says PDF/A-3 conformance A; the
canonical JSON is still attached with ``/AFRelationship /Data``; and pdftotext still finds the
reference and the verification code, now also spelled out for a screen reader.

Sabotage (shown by hand, 2026-12-07): with ``render.PDF_VARIANT`` set back to ``"pdf/a-3b"``, the
untagged receipt of before, 36 of these tests fail (catalogue, headings, tables, Figure, lists,
XMP conformance; the first with "MarkInfo missing from the catalogue: the PDF is not tagged");
the fonts, the attachment, the text, the HTML and the bookmarks pass either way.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from io import BytesIO
from typing import Any

import pikepdf
import pytest
from flask import Flask

from portal.domain.receipt_codes import canonical_json, snapshot_sha256
from portal.extensions import db
from portal.models import Receipt
from portal.receipts import batch, render
from portal.services.receipts import receipt_pdf
from portal.services.verification import verify_receipt
from tests.integration.test_receipt_render import make_snapshot

LOCALES = ("nl", "en")
KINDS = ("declaration", "batch", "permit_application")
# Enough declarations for several pages and two lists, each list under a heading of its own.
BATCH_ROWS = batch.ROWS_PER_LIST + 50


def declaration_snapshot() -> dict[str, Any]:
    return make_snapshot()


def batch_snapshot(rows: int = BATCH_ROWS) -> dict[str, Any]:
    """A batch receipt's snapshot as ``domain/snapshots.batch_snapshot`` builds it."""
    return {
        "kind": "batch",
        "reference": "MH-2026-000900",
        "filed_at": "2026-11-27T10:00:00+00:00",
        "verification_code": "PQRS-TVWX-YZ23",
        "verify_url": "http://127.0.0.1:5000/verify/PQRS-TVWX-YZ23",
        "organisation": {"name": "Flexwerk Uitzendbureau B.V.", "kvk": "90000011"},
        "source": "upload",
        "count": rows,
        "declarations": [
            {
                "reference": f"MH-2026-{1000 + n:06d}",
                "address": f"Oudegracht {n}, 3511 AB Utrecht",
                "postcode": "3511 AB",
                "municipality_code": "GM0344",
                "occupants": 2 + n % 5,
                "start_date": "2026-12-01",
                "end_date": None,
                "findings": ["near_limit"] if n % 9 == 0 else [],
            }
            for n in range(1, rows + 1)
        ],
    }


def permit_application_snapshot() -> dict[str, Any]:
    """A renewal application's snapshot as ``services/permit_applications.build_snapshot``
    builds it."""
    return {
        "kind": "permit_application",
        "reference": "MH-2026-000950",
        "filed_at": "2026-11-27T09:30:00+00:00",
        "verification_code": "7QK3-M9XA-2HDT",
        "verify_url": "http://127.0.0.1:5000/verify/7QK3-M9XA-2HDT",
        "municipality": {"code": "GM0344", "name": "Utrecht"},
        "organisation": {"name": "Huisvesting Test B.V.", "kvk": "90000033"},
        "address": {
            "street": "Oudegracht",
            "number_label": "12A-2",
            "postcode": "3511 AB",
            "town": "Utrecht",
            "nummeraanduiding_id": "0344200000000550",
        },
        "permit": {
            "type": "omzettingsvergunning",
            "decision_reference": "OV-2024-17",
            "max_occupants": 8,
            "valid_from": "2024-01-01",
            "valid_until": "2026-12-31",
        },
        "requested": {"valid_from": "2027-01-01", "valid_until": None, "max_occupants": 10},
        "note": "Two rooms were added in 2026.",
        "floor_plan": {"filename": "plattegrond.pdf", "size_bytes": 245_760, "sha256": "ab" * 32},
    }


SNAPSHOTS = {
    "declaration": declaration_snapshot,
    "batch": batch_snapshot,
    "permit_application": permit_application_snapshot,
}


@dataclass(frozen=True)
class Issued:
    kind: str
    locale: str
    snapshot: dict[str, Any]
    html: str
    pdf: bytes


@pytest.fixture(scope="module")
def issued(app: Flask) -> dict[tuple[str, str], Issued]:
    """Each kind in each language, rendered once for the module (the batch takes a second)."""
    documents = {}
    with app.app_context():
        for kind in KINDS:
            for locale in LOCALES:
                snapshot = SNAPSHOTS[kind]()
                documents[kind, locale] = Issued(
                    kind,
                    locale,
                    snapshot,
                    render.render_receipt_html(snapshot, locale),
                    render.render_receipt_pdf(snapshot, locale),
                )
    return documents


@pytest.fixture(params=[(kind, locale) for kind in KINDS for locale in LOCALES], ids="-".join)
def document(request: pytest.FixtureRequest, issued: dict[tuple[str, str], Issued]) -> Issued:
    return issued[request.param]


@pytest.fixture
def pdf(document: Issued) -> Iterator[pikepdf.Pdf]:
    with pikepdf.open(BytesIO(document.pdf)) as opened:
        yield opened


# --- reading the structure tree ---------------------------------------------------------------


def _kids(element: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    """The structure elements below ``element`` (not its marked content or annotations)."""
    kids = element.get("/K")
    if kids is None:
        return []
    items = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
    return [kid for kid in items if isinstance(kid, pikepdf.Dictionary) and "/S" in kid]


def structure(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every structure element in document order (depth first)."""
    found: list[pikepdf.Dictionary] = []

    def walk(element: pikepdf.Dictionary) -> None:
        found.append(element)
        for kid in _kids(element):
            walk(kid)

    for top in _kids(pdf.Root.StructTreeRoot):
        walk(top)
    return found


def tag(element: pikepdf.Dictionary) -> str:
    return str(element.S)[1:]


def pdf_text(data: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"],
        input=data,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return done.stdout.decode("utf-8")


# --- the tagged PDF ---------------------------------------------------------------------------


def test_catalogue_says_tagged_and_in_the_receipts_language(
    document: Issued, pdf: pikepdf.Pdf
) -> None:
    root = pdf.Root
    assert "/MarkInfo" in root, "MarkInfo missing from the catalogue: the PDF is not tagged"
    assert bool(root.MarkInfo.Marked) is True
    assert "/StructTreeRoot" in root
    assert str(root.Lang) == document.locale
    # The viewer shows the <title> (document and reference), not the file name.
    assert bool(root.ViewerPreferences.DisplayDocTitle) is True
    assert document.snapshot["reference"] in str(pdf.docinfo.Title)


def test_headings_start_at_one_h1_and_skip_no_level(document: Issued, pdf: pikepdf.Pdf) -> None:
    levels = [int(t[1]) for t in map(tag, structure(pdf)) if re.fullmatch(r"H[1-6]", t)]
    assert levels.count(1) == 1, levels
    assert levels[0] == 1, levels
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"heading level skipped: H{before} then H{after} in {levels}"
    assert 2 in levels


def test_facts_are_tables_whose_cells_name_their_row_header(pdf: pikepdf.Pdf) -> None:
    tables = [e for e in structure(pdf) if tag(e) == "Table"]
    assert tables
    for table in tables:
        inside = []

        def walk(element: pikepdf.Dictionary, into: list[pikepdf.Dictionary] = inside) -> None:
            for kid in _kids(element):
                into.append(kid)
                walk(kid, into)

        walk(table)
        rows = [e for e in inside if tag(e) == "TR"]
        headers = {str(e.ID): e for e in inside if tag(e) == "TH"}
        cells = [e for e in inside if tag(e) == "TD"]
        assert rows and headers and cells
        for cell in cells:
            # th scope="row": WeasyPrint links each data cell to the header of its row.
            named = [str(header) for header in cell.A.Headers]
            assert len(named) == 1 and named[0] in headers, named


def test_qr_code_is_a_figure_whose_alternative_gives_the_verification_url(
    document: Issued, pdf: pikepdf.Pdf
) -> None:
    figures = [e for e in structure(pdf) if tag(e) == "Figure"]
    assert len(figures) == 1
    alt = str(figures[0].get("/Alt", ""))
    assert document.snapshot["verify_url"] in alt
    assert ("QR-code" if document.locale == "nl" else "QR code") in alt


def test_lists_are_lists(document: Issued, pdf: pikepdf.Pdf) -> None:
    items = {
        "declaration": 1,  # the findings: one
        "batch": BATCH_ROWS,  # one list item per declaration
        "permit_application": 0,
    }
    elements = structure(pdf)
    listed = [e for e in elements if tag(e) == "L"]
    assert sum(tag(e) == "LI" for e in elements) == items[document.kind]
    # WeasyPrint 70 tags a list once per page it spans (the batch's two lists make several Ls).
    assert all({tag(kid) for kid in _kids(e)} == {"LI"} for e in listed)
    assert all(tag(kid) == "LBody" for e in elements if tag(e) == "LI" for kid in _kids(e))


def test_batch_receipt_has_a_bookmark_for_every_heading(issued: dict[Any, Issued]) -> None:
    document = issued["batch", "en"]
    with pikepdf.open(BytesIO(document.pdf)) as opened, opened.open_outline() as outline:
        pages = len(opened.pages)
        tree = [
            (
                item.title,
                [(sub.title, [leaf.title for leaf in sub.children]) for sub in item.children],
            )
            for item in outline.root
        ]
    assert pages > 2
    lists = ["Declarations 1 to 200", f"Declarations 201 to {BATCH_ROWS}"]
    assert tree == [
        (
            "Receipt for a batch of housing declarations",
            [("Filing", []), ("Declarations in this batch", lists)],
        )
    ]


def test_every_font_is_embedded(pdf: pikepdf.Pdf) -> None:
    fonts = [
        obj
        for obj in pdf.objects
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == pikepdf.Name.Font
    ]
    described = [font for font in fonts if font.Subtype not in (pikepdf.Name.Type0, "/Type3")]
    assert described
    for font in described:
        files = {"/FontFile", "/FontFile2", "/FontFile3"} & set(font.FontDescriptor.keys())
        assert files, f"{font.get('/BaseFont')} is not embedded"


def test_xmp_says_pdf_a_3_conformance_a(pdf: pikepdf.Pdf) -> None:
    with pdf.open_metadata() as meta:
        assert meta["pdfaid:part"] == "3"
        assert meta["pdfaid:conformance"] == "A"


def test_canonical_json_is_still_attached_as_the_data(document: Issued, pdf: pikepdf.Pdf) -> None:
    names = pdf.Root.Names.EmbeddedFiles.Names
    specs = [names[i + 1] for i in range(0, len(names), 2)]
    assert len(specs) == 1
    (spec,) = specs
    assert spec.AFRelationship == pikepdf.Name.Data
    # The catalogue's AF names the same file (WeasyPrint 70 lists it twice there).
    assert {str(s.UF) for s in pdf.Root.AF} == {str(spec.UF)}
    assert spec.EF.F.read_bytes() == canonical_json(document.snapshot)


def test_pdftotext_finds_the_reference_and_the_code_also_spelled_out(document: Issued) -> None:
    text = pdf_text(document.pdf)
    code = document.snapshot["verification_code"]
    assert document.snapshot["reference"] in text
    assert code in text
    spelled = ", ".join(" ".join(group) for group in code.split("-"))
    assert spelled in text  # the visually hidden text a screen reader spells
    assert snapshot_sha256(document.snapshot) in text


# --- the HTML behind it -----------------------------------------------------------------------


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def test_html_is_built_for_tagging(document: Issued) -> None:
    markup = _Markup()
    markup.feed(document.html)
    tags = markup.tags
    assert tags[0] == ("html", {"lang": document.locale})
    assert [t for t, _attrs in tags].count("h1") == 1
    assert "hr" not in [t for t, _attrs in tags]  # lines are borders in the CSS
    assert all(attrs.get("scope") in {"row", "col"} for t, attrs in tags if t == "th")
    assert [t for t, attrs in tags if t == "img" and not attrs.get("alt")] == []
    assert [t for t, _attrs in tags].count("figure") == 1
    assert document.snapshot["reference"] in markup.title


def test_dutch_terms_on_an_english_receipt_say_they_are_dutch(issued: dict[Any, Issued]) -> None:
    page = issued["declaration", "en"].html
    assert '<span lang="nl">woonfunctie</span>' in page
    assert '<span lang="nl">Nummeraanduiding 0344200000000550</span>' in page


# --- stored receipts keep their bytes ---------------------------------------------------------


def test_a_receipt_stored_before_tagging_keeps_its_bytes_and_still_verifies(
    ctx: Flask, make_org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A receipt rendered and stored as PDF/A-3b before issue 24 is served as stored (the
    download returns ``Receipt.pdf``), and /verify reads the snapshot, never the PDF."""
    snapshot = batch_snapshot(rows=3)
    with monkeypatch.context() as old:
        old.setattr(render, "PDF_VARIANT", "pdf/a-3b")
        untagged = render.render_receipt_pdf(snapshot, "nl")
    with pikepdf.open(BytesIO(untagged)) as opened:
        assert "/MarkInfo" not in opened.Root
    receipt = Receipt(
        reference=snapshot["reference"],
        verification_code=snapshot["verification_code"],
        organisation_id=make_org().id,
        locale="nl",
        snapshot_json=canonical_json(snapshot).decode(),
        sha256=snapshot_sha256(snapshot),
        template_version="2026.1",
        pdf=untagged,
    )
    db.session.add(receipt)
    db.session.commit()

    assert receipt_pdf(db.session.get(Receipt, receipt.id)) == untagged
    result = verify_receipt(snapshot["verification_code"])
    assert (result.status, result.kind, result.declaration_count) == ("authentic", "batch", 3)
    assert json.loads(receipt.snapshot_json) == snapshot
