"""The BAG import row of ``make bench`` (docs/address-register.md §5): a generated BAG 2.0 Extract
of N verblijfsobjecten in the national layout (a ZIP of per-part ZIPs of numbered XML files, every
object with its main address, street and woonplaats, one in ten with an ended earlier version),
loaded end to end with ``services.bag_import.import_bag`` into a fresh PostgreSQL database and
committed; the baseline is a plain COPY of the same address rows into a table without indexes.

Usage: ``.venv/bin/python bench/bag_import.py [--objects 1000000] [--database bench_bag]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import national  # noqa: E402

PEILDATUM = date(2026, 6, 1)
STAMP = "01062026"
OBJECTS_PER_FILE = 50_000
MUNICIPALITIES = 40
TOWNS = 200
ADDRESSES_PER_STREET = 25

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<sl-bag-extract:bagStand '
    'xmlns:sl-bag-extract="http://www.kadaster.nl/schemas/lvbag/extract-deelbestand-lvc/v20200601" '
    'xmlns:sl="http://www.kadaster.nl/schemas/standlevering-generiek/1.0" '
    'xmlns:selecties-extract="http://www.kadaster.nl/schemas/lvbag/extract-selecties/v20200601" '
    'xmlns:Objecten="www.kadaster.nl/schemas/lvbag/imbag/objecten/v20200601" '
    'xmlns:Historie="www.kadaster.nl/schemas/lvbag/imbag/historie/v20200601" '
    'xmlns:Objecten-ref="www.kadaster.nl/schemas/lvbag/imbag/objecten-ref/v20200601" '
    'xmlns:gml="http://www.opengis.net/gml/3.2"><sl-bag-extract:bagInfo>'
    "<selecties-extract:Gebied-Registratief><selecties-extract:Gebied-NLD/>"
    "</selecties-extract:Gebied-Registratief><selecties-extract:LVC-Extract>"
    "<selecties-extract:StandTechnischeDatum>2026-06-01</selecties-extract:StandTechnischeDatum>"
    "</selecties-extract:LVC-Extract></sl-bag-extract:bagInfo><sl:standBestand>"
    "<sl:dataset>LVBAG</sl:dataset><sl:inhoud><sl:gebied>NEDERLAND</sl:gebied>"
    "<sl:leveringsId>0000000001</sl:leveringsId><sl:objectTypen><sl:objectType>{kind}"
    "</sl:objectType></sl:objectTypen></sl:inhoud>"
)
_TAIL = "</sl:standBestand></sl-bag-extract:bagStand>"


def _voorkomen(begin: str, end: str | None = None, number: int = 1) -> str:
    ended = f"<Historie:eindGeldigheid>{end}</Historie:eindGeldigheid>" if end else ""
    return (
        "<Objecten:voorkomen><Historie:Voorkomen>"
        f"<Historie:voorkomenidentificatie>{number}</Historie:voorkomenidentificatie>"
        f"<Historie:beginGeldigheid>{begin}</Historie:beginGeldigheid>{ended}"
        f"<Historie:tijdstipRegistratie>{begin}T09:00:00.000</Historie:tijdstipRegistratie>"
        "<Historie:BeschikbaarLV><Historie:tijdstipRegistratieLV>"
        f"{begin}T09:00:01.000</Historie:tijdstipRegistratieLV></Historie:BeschikbaarLV>"
        "</Historie:Voorkomen></Objecten:voorkomen>"
    )


_DOC = (
    "<Objecten:geconstateerd>N</Objecten:geconstateerd>"
    "<Objecten:documentdatum>2010-01-01</Objecten:documentdatum>"
    "<Objecten:documentnummer>BAG-2010-001</Objecten:documentnummer>"
)
_V1 = _voorkomen("2010-01-01")


def _stand(obj: str) -> str:
    return f"<sl:stand><sl-bag-extract:bagObject>{obj}</sl-bag-extract:bagObject></sl:stand>"


def _town(n: int) -> str:
    return _stand(
        f'<Objecten:Woonplaats><Objecten:identificatie domein="NL.IMBAG.Woonplaats">{1000 + n}'
        f"</Objecten:identificatie><Objecten:naam>Plaats {n}</Objecten:naam>"
        '<Objecten:geometrie><Objecten:vlak><gml:Polygon srsName="urn:ogc:def:crs:EPSG::28992">'
        "<gml:exterior><gml:LinearRing><gml:posList>0 0 0 1 1 1 0 0</gml:posList>"
        "</gml:LinearRing></gml:exterior></gml:Polygon></Objecten:vlak></Objecten:geometrie>"
        f"<Objecten:status>Woonplaats aangewezen</Objecten:status>{_DOC}{_V1}"
        "</Objecten:Woonplaats>"
    )


def _street(n: int) -> str:
    return _stand(
        '<Objecten:OpenbareRuimte><Objecten:identificatie domein="NL.IMBAG.Openbareruimte">'
        f"0001300{n:09d}</Objecten:identificatie><Objecten:naam>Straat {n}</Objecten:naam>"
        "<Objecten:type>Weg</Objecten:type><Objecten:status>Naamgeving uitgegeven"
        f"</Objecten:status>{_DOC}<Objecten:ligtIn><Objecten-ref:WoonplaatsRef "
        f'domein="NL.IMBAG.Woonplaats">{1000 + n % TOWNS}</Objecten-ref:WoonplaatsRef>'
        f"</Objecten:ligtIn>{_V1}</Objecten:OpenbareRuimte>"
    )


def _postcode(n: int) -> str:
    street = n // ADDRESSES_PER_STREET
    return f"{1000 + street % 9000}{chr(65 + street // 9000 % 26)}{chr(65 + street // 234000 % 26)}"


def _address(n: int) -> str:
    return _stand(
        '<Objecten:Nummeraanduiding><Objecten:identificatie domein="NL.IMBAG.Nummeraanduiding">'
        f"0001200{n:09d}</Objecten:identificatie>"
        f"<Objecten:huisnummer>{1 + n % ADDRESSES_PER_STREET}</Objecten:huisnummer>"
        f"<Objecten:postcode>{_postcode(n)}</Objecten:postcode>"
        "<Objecten:typeAdresseerbaarObject>Verblijfsobject</Objecten:typeAdresseerbaarObject>"
        f"<Objecten:status>Naamgeving uitgegeven</Objecten:status>{_DOC}{_V1}"
        '<Objecten:ligtAan><Objecten-ref:OpenbareRuimteRef domein="NL.IMBAG.Openbareruimte">'
        f"0001300{n // ADDRESSES_PER_STREET:09d}</Objecten-ref:OpenbareRuimteRef>"
        "</Objecten:ligtAan></Objecten:Nummeraanduiding>"
    )


def _unit(n: int, area: int, voorkomen: str) -> str:
    uses = "<Objecten:gebruiksdoel>woonfunctie</Objecten:gebruiksdoel>"
    if n % 7 == 0:
        uses += "<Objecten:gebruiksdoel>winkelfunctie</Objecten:gebruiksdoel>"
    return _stand(
        "<Objecten:Verblijfsobject><Objecten:heeftAlsHoofdadres>"
        '<Objecten-ref:NummeraanduidingRef domein="NL.IMBAG.Nummeraanduiding">'
        f"0001200{n:09d}</Objecten-ref:NummeraanduidingRef></Objecten:heeftAlsHoofdadres>"
        f'{voorkomen}<Objecten:identificatie domein="NL.IMBAG.Verblijfsobject">0001010{n:09d}'
        "</Objecten:identificatie><Objecten:geometrie><Objecten:punt><gml:Point "
        'srsName="urn:ogc:def:crs:EPSG::28992" srsDimension="3"><gml:pos>120000.0 480000.0 0.0'
        f"</gml:pos></gml:Point></Objecten:punt></Objecten:geometrie>{uses}"
        f"<Objecten:oppervlakte>{area}</Objecten:oppervlakte><Objecten:status>Verblijfsobject "
        f"in gebruik</Objecten:status>{_DOC}<Objecten:maaktDeelUitVan><Objecten-ref:PandRef "
        f'domein="NL.IMBAG.Pand">0001100{n:09d}</Objecten-ref:PandRef></Objecten:maaktDeelUitVan>'
        "</Objecten:Verblijfsobject>"
    )


def _units(n: int) -> str:
    area = 30 + n % 150
    current = _unit(n, area, _voorkomen("2015-01-01", None, 2 if n % 10 == 0 else 1))
    if n % 10:
        return current
    return _unit(n, area + 5, _voorkomen("2010-01-01", "2015-01-01")) + current


def _relations() -> bytes:
    rows = "".join(
        "<gwr-product:GemeenteWoonplaatsRelatie><gwr-product:tijdvakgeldigheid>"
        "<bagtypes:begindatumTijdvakGeldigheid>2000-01-01</bagtypes:begindatumTijdvakGeldigheid>"
        "</gwr-product:tijdvakgeldigheid><gwr-product:gerelateerdeWoonplaats>"
        f"<gwr-product:identificatie>{1000 + t}</gwr-product:identificatie>"
        "</gwr-product:gerelateerdeWoonplaats><gwr-product:gerelateerdeGemeente>"
        f"<gwr-product:identificatie>{1 + t % MUNICIPALITIES:04d}</gwr-product:identificatie>"
        "</gwr-product:gerelateerdeGemeente><gwr-product:status>definitief</gwr-product:status>"
        "</gwr-product:GemeenteWoonplaatsRelatie>"
        for t in range(TOWNS)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<gwr-bestand:BAG-GWR-Deelbestand-LVC '
        'xmlns:gwr-bestand="www.kadaster.nl/schemas/lvbag/gem-wpl-rel/'
        'gwr-deelbestand-lvc/v20200601" '
        'xmlns:gwr-product="www.kadaster.nl/schemas/lvbag/gem-wpl-rel/gwr-producten-lvc/v20200601" '
        'xmlns:bagtypes="www.kadaster.nl/schemas/lvbag/gem-wpl-rel/bag-types/v20200601" '
        'xmlns:selecties-extract="http://www.kadaster.nl/schemas/lvbag/extract-selecties/v20200601">'
        "<gwr-bestand:SelectieGegevens><selecties-extract:StandTechnischeDatum>2026-06-01"
        "</selecties-extract:StandTechnischeDatum></gwr-bestand:SelectieGegevens>"
        "<gwr-bestand:Product><gwr-product:GemeenteWoonplaatsRelatieProduct>"
        f"{rows}</gwr-product:GemeenteWoonplaatsRelatieProduct></gwr-bestand:Product>"
        "</gwr-bestand:BAG-GWR-Deelbestand-LVC>"
    ).encode()


def _part(path: Path, kind: str, count: int, make: Any) -> None:
    """``9999<KIND><stamp>.zip`` with numbered XML files of ``OBJECTS_PER_FILE`` objects."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for number, start in enumerate(range(0, count, OBJECTS_PER_FILE), start=1):
            name = f"9999{kind}{STAMP}-{number:06d}.xml"
            with archive.open(name, "w", force_zip64=True) as handle:
                handle.write(_HEAD.format(kind=kind).encode())
                end = min(start + OBJECTS_PER_FILE, count)
                for chunk in range(start, end, 1000):
                    text = "".join(make(n) for n in range(chunk, min(chunk + 1000, end)))
                    handle.write(text.encode())
                handle.write(_TAIL.encode())


def write_extract(directory: Path, objects: int) -> Path:
    """The national extract of ``objects`` verblijfsobjecten, as ``lvbag-extract-nl.zip``."""
    parts = directory / "parts"
    parts.mkdir()
    _part(parts / f"9999WPL{STAMP}.zip", "WPL", TOWNS, _town)
    streets = -(-objects // ADDRESSES_PER_STREET)
    _part(parts / f"9999OPR{STAMP}.zip", "OPR", streets, _street)
    _part(parts / f"9999NUM{STAMP}.zip", "NUM", objects, _address)
    _part(parts / f"9999VBO{STAMP}.zip", "VBO", objects, _units)
    target = directory / "lvbag-extract-nl.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as outer:
        outer.writestr(f"GEM-WPL-RELATIE-{STAMP}.zip", _zip_one(f"GEM-WPL-RELATIE-{STAMP}.xml"))
        for part in sorted(parts.iterdir()):
            outer.write(part, part.name)
            part.unlink()
    parts.rmdir()
    return target


def _zip_one(name: str) -> bytes:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, _relations())
    return buffer.getvalue()


def measure(database: str, objects: int) -> dict[str, Any]:
    """Generate, import (timed end to end, committed), then COPY the same rows (timed)."""
    from portal import create_app
    from portal.extensions import db
    from portal.models import Municipality
    from portal.services.bag_import import COLUMNS, import_bag

    url = national.recreate_database(database)
    national.migrate(url)
    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        for m in range(1, MUNICIPALITIES + 1):
            db.session.add(Municipality(code=f"GM{m:04d}", name=f"Gemeente {m}"))
        db.session.commit()
    with tempfile.TemporaryDirectory(prefix="bench-bag-") as tmp:
        started = time.perf_counter()
        path = write_extract(Path(tmp), objects)
        generate_s = time.perf_counter() - started
        size_mb = path.stat().st_size / 1e6
        with app.app_context():
            started = time.perf_counter()
            report = import_bag(path, PEILDATUM)
            db.session.commit()
            import_s = time.perf_counter() - started
    assert report.inserted == objects, report.lines()
    raw_url = url.replace("+psycopg", "")
    with psycopg.connect(raw_url) as conn:
        rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM addresses").fetchall()
        conn.execute(
            "CREATE TABLE bench_bag_copy AS SELECT nummeraanduiding_id, "
            + ", ".join(COLUMNS[1:])
            + " FROM addresses WITH NO DATA"
        )
        conn.commit()
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY bench_bag_copy ({', '.join(COLUMNS)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        conn.commit()
        copy_s = time.perf_counter() - started
    with psycopg.connect(f"{national.SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    return {
        "objects": objects,
        "extract_mb": round(size_mb, 1),
        "generate_s": generate_s,
        "import_s": import_s,
        "objects_per_s": objects / import_s,
        "copy_s": copy_s,
        "copy_rows_per_s": objects / copy_s,
        "report": report.lines(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=1_000_000)
    parser.add_argument("--database", default="bench_bag")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.database, args.objects), indent=1))


if __name__ == "__main__":
    main()
