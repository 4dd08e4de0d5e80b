"""P5 receipt PDF measurements, one mode per fresh process (called by bench/run.py).

``pdf.py timing URL N``: interleaved rounds of (a) the portal's ``receipt_pdf`` on a receipt
not yet rendered (database fetch + Jinja + WeasyPrint tagged PDF/A-3a + store), (b) a bare
``HTML(string=<the same HTML>).write_pdf(stylesheets=[receipt.css], pdf_variant=<the portal's>)``
(the same variant, so the tagging is on both sides of the P5 ratio) and (c) the reference receipt
of docs/performance.md §1.1 (inline CSS, @page margin boxes with counter(pages) and string-set, a
flex header, a 10×5 table, a paragraph, a footer, an SVG QR data URI; plain PDF, untagged); medians.
``pdf.py memory-portal URL N`` / ``memory-bare URL N``: RSS growth over N renders after 5
warm-ups. Prints one JSON line.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import segno  # noqa: E402
from sqlalchemy import select, update  # noqa: E402
from weasyprint import CSS, HTML  # noqa: E402
from weasyprint.text import ffi  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Receipt  # noqa: E402
from portal.receipts.fetcher import AssetOnlyFetcher, asset_url  # noqa: E402
from portal.receipts.render import PDF_VARIANT, STYLESHEET, render_receipt_html  # noqa: E402
from portal.services.receipts import receipt_pdf  # noqa: E402


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 1024 / 1024


def reference_html(seed: int) -> str:
    rng = random.Random(seed)
    qr = segno.make(f"https://meldportaal.example/verify/{seed}").svg_data_uri(scale=1)
    rows = "".join(
        "<tr>" + "".join(f"<td>{rng.randint(1, 99999)}</td>" for _ in range(5)) + "</tr>"
        for _ in range(10)
    )
    return f"""<!doctype html><html lang="nl"><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 25mm 18mm;
  @top-left {{ content: string(title); font-family: "DejaVu Serif"; font-size: 9pt }}
  @bottom-right {{ content: "Pagina " counter(page) " van " counter(pages);
                   font-family: "DejaVu Serif"; font-size: 9pt }} }}
body {{ font-family: "DejaVu Sans"; font-size: 10pt }}
h1 {{ string-set: title content(); font-size: 16pt }}
header {{ display: flex; justify-content: space-between; align-items: center }}
table {{ width: 100%; border-collapse: collapse }} td, th {{ border: 1px solid #999; padding: 2pt }}
footer {{ margin-top: 12pt; font-size: 8pt; color: #444 }} img {{ width: 30mm }}
</style></head><body>
<header><h1>Ontvangstbevestiging MH-2026-{seed:07d}</h1><img src="{qr}" alt="QR"></header>
<table><thead><tr><th>a</th><th>b</th><th>c</th><th>d</th><th>e</th></tr></thead>
<tbody>{rows}</tbody></table>
<p>Bevestiging {rng.random()}: de melding is ontvangen en geregistreerd. Ë ĳ €.</p>
<footer>Meldportaal Huisvesting Arbeidsmigranten</footer></body></html>"""


def bare(html: str) -> bytes:
    fetcher = AssetOnlyFetcher()
    sheet = CSS(url=asset_url(STYLESHEET), url_fetcher=fetcher)
    return HTML(string=html, url_fetcher=fetcher).write_pdf(  # type: ignore[no-any-return]
        stylesheets=[sheet], pdf_variant=PDF_VARIANT
    )


def timed(fn: Any, *args: Any) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def main() -> None:
    mode, url, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        need = (min(count, 30) + 2) if mode == "timing" else count + 5
        ids = list(
            db.session.execute(
                select(Receipt.id)
                .where(Receipt.pdf.is_(None), Receipt.declaration_id.is_not(None))
                .order_by(Receipt.id.desc() if mode == "memory-bare" else Receipt.id)
                .limit(need)
            ).scalars()
        )
        if len(ids) < need:
            # P1 files these receipts; on a loaded machine its short quick load may file fewer.
            # Then receipts are rendered again (their stored PDF cleared first, in this bench
            # database only), in turn; without any receipt there is nothing to measure.
            ids += list(
                db.session.execute(
                    select(Receipt.id)
                    .where(Receipt.pdf.is_not(None), Receipt.declaration_id.is_not(None))
                    .order_by(Receipt.id)
                    .limit(need - len(ids))
                ).scalars()
            )
            if not ids:
                raise SystemExit("no declaration receipts in the database; P1 files them")
            ids = [ids[n % len(ids)] for n in range(need)]

        def portal(receipt_id: int) -> None:
            receipt = db.session.get(Receipt, receipt_id)
            assert receipt is not None
            if receipt.pdf is not None:  # a receipt rendered before: render it again
                db.session.execute(update(Receipt).where(Receipt.id == receipt_id).values(pdf=None))
                db.session.refresh(receipt)
            receipt_pdf(receipt)
            db.session.commit()

        def html_of(receipt_id: int) -> str:
            receipt = db.session.get(Receipt, receipt_id)
            assert receipt is not None
            return render_receipt_html(json.loads(receipt.snapshot_json), receipt.locale)

        out: dict[str, Any] = {"harfbuzz_subset": getattr(ffi, "harfbuzz_subset", None) is not None}
        if mode == "timing":
            portal_t, bare_t, ref_t = [], [], []
            for n, receipt_id in enumerate(ids):
                html = html_of(receipt_id)  # the same HTML the portal renders next
                b = timed(bare, html)
                p = timed(portal, receipt_id)
                r = timed(lambda seed=n: HTML(string=reference_html(seed)).write_pdf())
                if n >= 2:
                    portal_t.append(p)
                    bare_t.append(b)
                    ref_t.append(r)
            out.update(
                portal_ms=1000 * statistics.median(portal_t),
                bare_ms=1000 * statistics.median(bare_t),
                reference_ms=1000 * statistics.median(ref_t),
                timing_rounds=len(portal_t),
            )
        else:
            render = portal if mode == "memory-portal" else (lambda i: bare(html_of(i)))
            for receipt_id in ids[:5]:
                render(receipt_id)
            before = rss_mb()
            for receipt_id in ids[5:]:
                render(receipt_id)
                db.session.expunge_all()
            key = "portal" if mode == "memory-portal" else "bare"
            out[f"{key}_growth_mb"] = rss_mb() - before
            out[f"{key}_rss_before_mb"] = before
            out["count"] = count
    print(json.dumps(out))


if __name__ == "__main__":
    main()
