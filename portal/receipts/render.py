"""Snapshot → HTML → tagged PDF/A-3a receipt (receipts layer).

Rules (docs/architecture.md §3.5, docs/security.md T9, docs/performance.md §1
and §6):

- the input is the snapshot dict the caller stores with the receipt — never ORM objects — so a
  receipt can be rendered again, byte for byte the same data, years later;
- the HTML comes from ``templates/receipts/receipt.html`` with autoescaping on: every string
  from the snapshot is text, never markup;
- WeasyPrint fetches only through :class:`AssetOnlyFetcher` (bundled assets and ``data:``);
- the stylesheet and the ``FontConfiguration`` are built once per process (about 20 % faster per
  receipt), the QR code is an SVG data URI, and the only font family is DejaVu Sans;
- the PDF is PDF/A-3a with the canonical JSON of the snapshot embedded, so the archived file
  carries the exact data it shows and its SHA-256 can be checked without the portal;
- PDF/A-3a is PDF/A-3b plus tagging (issue 24): WeasyPrint writes the structure of the HTML
  (headings, tables with their row headers, lists, the QR code as a Figure with its alt text) as
  the PDF's structure tree, sets the catalogue's ``Lang`` from ``<html lang>`` and the Title from
  ``<title>``, so a screen reader reads the receipt (templates/receipts/_layout.html says what the
  markup must keep). A receipt already stored keeps its bytes: only new renders are tagged.

Renders need a Flask application context (translations and the template environment).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import segno
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration

from portal.domain.receipt_codes import canonical_json, snapshot_sha256
from portal.receipts import batch, permit_application, texts
from portal.receipts.fetcher import AssetOnlyFetcher, asset_url
from portal.receipts.formatting import day as _date
from portal.receipts.formatting import moment as _datetime
from portal.receipts.formatting import number as _number
from portal.receipts.formatting import period as _period
from portal.receipts.formatting import spelled
from portal.receipts.formatting import text as _text

TEMPLATE: Final = "receipts/receipt.html"
STYLESHEET: Final = "receipt.css"
# Bump when the layout or texts change in a way a reader would notice; the caller stores it
# with the receipt row (docs/architecture.md §3.5: the template version).

# Archival and tagged: pdf/a-3a since WeasyPrint 67; its tags come from the HTML.
PDF_VARIANT: Final = "pdf/a-3a"
# ISO 32000-2 §7.11.3 / PDF/A-3: "Data" = the data the visual presentation was made from.
ATTACHMENT_RELATIONSHIP: Final = "Data"

# segno options for the QR code: error level M (boosted when the URL leaves room), an SVG with a
# viewBox (no width/height) so CSS sizes it, no classes, black on transparent.
QR_MAKE_OPTIONS: Final[dict[str, Any]] = {"error": "m", "micro": False}
QR_SVG_OPTIONS: Final[dict[str, Any]] = {
    "scale": 1,
    "border": 4,  # the quiet zone ISO/IEC 18004 asks for
    "omitsize": True,
    "svgclass": None,
    "lineclass": None,
    "dark": "#000",
}

# The @color-profile in receipt.css that becomes the PDF/A OutputIntent (sRGB IEC61966-2.1).
OUTPUT_INTENT: Final = "--portal-srgb"


@dataclass(frozen=True)
class _Engine:
    font_config: FontConfiguration
    color_profiles: dict[str, Any]
    stylesheet: CSS


_engine: _Engine | None = None
_engine_lock = threading.Lock()
# One render at a time per process: the shared FontConfiguration and colour profile are not
# thread-safe (WeasyPrint writes the profile's PDF object number onto it), and rendering is
# CPU-bound under the GIL anyway — parallelism comes from more worker processes
# (docs/performance.md §1.3).
_render_lock = threading.Lock()


def _pdf_engine() -> _Engine:
    """The compiled stylesheet and its font configuration, built on first use per process."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                font_config = FontConfiguration()
                color_profiles: dict[str, Any] = {}
                stylesheet = CSS(
                    url=asset_url(STYLESHEET),
                    url_fetcher=AssetOnlyFetcher(),
                    font_config=font_config,
                    color_profiles=color_profiles,
                )
                if OUTPUT_INTENT not in color_profiles:
                    raise RuntimeError(f"{STYLESHEET} lost its {OUTPUT_INTENT} colour profile")
                _engine = _Engine(font_config, color_profiles, stylesheet)
    return _engine


def new_fetcher() -> AssetOnlyFetcher:
    """A fresh locked fetcher for one render, so its refusals belong to that render."""
    return AssetOnlyFetcher()


def qr_svg_data_uri(text: str) -> str:
    """The QR code of ``text`` as an SVG ``data:`` URI (segno)."""
    return str(segno.make(text, **QR_MAKE_OPTIONS).svg_data_uri(**QR_SVG_OPTIONS))


def attachment_name(snapshot: Mapping[str, Any]) -> str:
    """``ontvangstbevestiging-MH-2026-000123.json``; ``receipt.json`` without a usable reference."""
    reference = str(snapshot.get("reference") or "")
    if reference and all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in reference):
        return f"ontvangstbevestiging-{reference}.json"
    return "receipt.json"


def render_receipt_html(snapshot: Mapping[str, Any], locale: str) -> str:
    """The receipt as an HTML document in ``locale`` (``nl`` or ``en``).

    A declaration filing uses ``receipts/receipt.html``; other kinds of receipt (a renewal
    application, a batch) name their template and view builder in ``OTHER_KINDS``.
    """
    _check_locale(locale)
    with force_locale(locale):
        kind = _text(snapshot.get("kind"))
        template_name, build = OTHER_KINDS.get(kind, (TEMPLATE, _view))
        context = {**common_view(snapshot, locale), **build(snapshot, locale)}
        template = current_app.jinja_env.get_template(template_name)
        return template.render(**context)


def common_view(snapshot: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """What every kind of receipt shows in its header and integrity box."""
    code = _text(snapshot.get("verification_code"))
    verify_url = _text(snapshot.get("verify_url"))
    return {
        "lang": locale,
        "kind": _text(snapshot.get("kind")),
        "kind_text": texts.kind_text(_text(snapshot.get("kind"))),
        "reference": _text(snapshot.get("reference")),
        "filed_at": _datetime(snapshot.get("filed_at"), locale),
        "verification_code": code,
        "verification_code_spelled": spelled(code),
        "verify_url": verify_url,
        "verify_page": _verify_page(verify_url, code),
        "qr_data_uri": qr_svg_data_uri(verify_url) if verify_url else "",
        "sha256": snapshot_sha256(snapshot),
    }


def render_receipt_pdf(snapshot: Mapping[str, Any], locale: str) -> bytes:
    """The receipt as tagged PDF/A-3a bytes with ``canonical_json(snapshot)`` embedded."""
    html = render_receipt_html(snapshot, locale)
    with force_locale(locale):
        description = _("The filed data of this receipt (canonical JSON)")
    return html_to_pdf(
        html,
        attachments=[(attachment_name(snapshot), canonical_json(snapshot), description)],
    )


def html_to_pdf(
    html: str, *, attachments: Sequence[tuple[str, bytes, str]] = (), fetcher: Any = None
) -> bytes:
    """Render trusted receipt HTML to tagged PDF/A-3a through the locked fetcher.

    ``attachments`` are ``(file name, bytes, description)``. ``fetcher`` exists for the
    sabotage test in tests/integration/test_receipt_render.py; production code never passes it.
    """
    engine = _pdf_engine()
    url_fetcher = fetcher if fetcher is not None else new_fetcher()
    document = HTML(string=html, url_fetcher=url_fetcher)
    files = [
        Attachment(
            string=data,
            name=name,
            description=description,
            relationship=ATTACHMENT_RELATIONSHIP,
            url_fetcher=url_fetcher,
        )
        for name, data, description in attachments
    ]
    with _render_lock:
        pdf = document.write_pdf(
            stylesheets=[engine.stylesheet],
            font_config=engine.font_config,
            color_profiles=dict(engine.color_profiles),  # a document never adds to the shared one
            output_intent=OUTPUT_INTENT,
            pdf_variant=PDF_VARIANT,
            attachments=files,
        )
    if not isinstance(pdf, bytes):
        raise TypeError("WeasyPrint returned no PDF bytes")
    return pdf


# --- view model -------------------------------------------------------------------------------


def _check_locale(locale: str) -> None:
    supported = current_app.config.get("LOCALES", ["nl", "en"])
    if locale not in supported:
        raise ValueError(f"unsupported receipt locale {locale!r}; expected one of {supported}")


def _verify_page(verify_url: str, code: str) -> str:
    """``…/verify/ABCD-EFGH-JKMN`` → ``…/verify``: where a reader types the code."""
    base, _sep, last = verify_url.rstrip("/").rpartition("/")
    if base and code and last.upper() == code.upper():
        return base
    return verify_url


def _finding(finding: Mapping[str, Any], locale: str) -> dict[str, str]:
    code = _text(finding.get("code"))
    severity = _text(finding.get("severity"))
    occupants, limit = finding.get("occupants"), finding.get("limit")
    rule = texts.rule_text(finding.get("rule"), finding)
    if occupants is not None and limit is not None:
        numbers = _(
            "%(occupants)s occupants, limit %(limit)s (%(rule)s)",
            occupants=_number(occupants, locale),
            limit=_number(limit, locale),
            rule=rule,
        )
    elif rule:
        numbers = _("Rule: %(rule)s", rule=rule)
    else:
        numbers = ""
    return {
        "code": code,
        "severity": severity if severity in texts.SEVERITY_TEXTS else "info",
        "severity_text": str(texts.SEVERITY_TEXTS.get(severity, "")),
        "title": texts.finding_title(code),
        "meaning": texts.finding_meaning(code),
        "period": _period(finding.get("start"), finding.get("end"), locale),
        "numbers": numbers,
    }


def _view(snapshot: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """Everything a declaration receipt shows beyond ``common_view``, as ready-made strings
    (the template only lays out)."""
    municipality = snapshot.get("municipality") or {}
    organisation = snapshot.get("organisation") or {}
    address = snapshot.get("address") or {}
    declaration = snapshot.get("declaration") or {}
    floor_area = address.get("floor_area_m2")
    registered = declaration.get("occupants_registered_brp")
    separate = declaration.get("separate_contracts")
    return {
        "municipality_name": _text(municipality.get("name")),
        "municipality_code": _text(municipality.get("code")),
        "organisation_name": _text(organisation.get("name")),
        "organisation_kvk": _text(organisation.get("kvk")),
        "declared_for_kvk": _text(snapshot.get("declared_for_kvk")),
        "street_line": " ".join(
            part
            for part in (_text(address.get("street")), _text(address.get("number_label")))
            if part
        ),
        "postcode": _text(address.get("postcode")),
        "town": _text(address.get("town")),
        "nummeraanduiding_id": _text(address.get("nummeraanduiding_id")),
        "address_verified": bool(address.get("verified"))
        and bool(address.get("nummeraanduiding_id")),
        "floor_area": (
            _("%(area)s m²", area=_number(floor_area, locale)) if floor_area is not None else ""
        ),
        "uses": ", ".join(_text(use) for use in address.get("uses") or []),
        "occupants": _number(declaration.get("occupants"), locale),
        "occupants_registered_brp": _number(registered, locale) if registered is not None else "",
        "period": _period(declaration.get("start_date"), declaration.get("end_date"), locale),
        "end_reason": texts.end_reason_text(declaration.get("end_reason")),
        "separate_contracts": ("" if separate is None else (_("Yes") if separate else _("No"))),
        "supersedes": _text(declaration.get("supersedes")),
        "effective_date": _date(declaration.get("effective_date"), locale),
        "findings": [_finding(f, locale) for f in snapshot.get("findings") or []],
    }


ViewBuilder = Callable[[Mapping[str, Any], str], dict[str, Any]]


# kind → (template, view builder) for receipts other than a declaration filing.
OTHER_KINDS: Final[dict[str, tuple[str, ViewBuilder]]] = {
    permit_application.KIND: (permit_application.TEMPLATE, permit_application.view),
    batch.KIND: (batch.TEMPLATE, batch.view),
}
