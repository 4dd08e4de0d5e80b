"""Builds BAG 2.0 Extract files for the tests, in the Kadaster's layout (IMBAGLV 2.1.0).

Each deelbestand is a ``sl-bag-extract:bagStand`` holding ``sl:stand/sl-bag-extract:bagObject/
Objecten:<Type>`` objects with their ``Historie:Voorkomen``, and each XML file sits in its own
ZIP (``0221VBO15022021.zip`` → ``0221VBO15022021-000001.xml``); the national extract is a ZIP of
those ZIPs, a municipality's one level deeper (``BAGGEM0221L-15022021.zip`` →
``0221GEM15022021.zip`` → the part ZIPs). tests/integration/test_bag_extract_schema.py validates
every file written here against the Kadaster's schemas.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

NAMESPACES = {
    "sl-bag-extract": "http://www.kadaster.nl/schemas/lvbag/extract-deelbestand-lvc/v20200601",
    "sl": "http://www.kadaster.nl/schemas/standlevering-generiek/1.0",
    "selecties-extract": "http://www.kadaster.nl/schemas/lvbag/extract-selecties/v20200601",
    "Objecten": "www.kadaster.nl/schemas/lvbag/imbag/objecten/v20200601",
    "Historie": "www.kadaster.nl/schemas/lvbag/imbag/historie/v20200601",
    "Objecten-ref": "www.kadaster.nl/schemas/lvbag/imbag/objecten-ref/v20200601",
    "gml": "http://www.opengis.net/gml/3.2",
}
GWR_NAMESPACES = {
    "gwr-bestand": "www.kadaster.nl/schemas/lvbag/gem-wpl-rel/gwr-deelbestand-lvc/v20200601",
    "gwr-product": "www.kadaster.nl/schemas/lvbag/gem-wpl-rel/gwr-producten-lvc/v20200601",
    "bagtypes": "www.kadaster.nl/schemas/lvbag/gem-wpl-rel/bag-types/v20200601",
    "selecties-extract": "http://www.kadaster.nl/schemas/lvbag/extract-selecties/v20200601",
}
TYPE_NAMES = {"WPL": "Woonplaats", "OPR": "OpenbareRuimte", "NUM": "Nummeraanduiding"}
TYPE_NAMES["VBO"] = "Verblijfsobject"
TYPE_NAMES["PND"] = "Pand"


def _xmlns(namespaces: dict[str, str]) -> str:
    return " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in namespaces.items())


@dataclass(frozen=True)
class V:
    """A voorkomen: begin (and end) dates, an inactive time, its number."""

    begin: str = "2010-01-01"
    end: str | None = None
    inactive: str | None = None
    number: int = 1


def _voorkomen(v: V) -> str:
    end = f"<Historie:eindGeldigheid>{v.end}</Historie:eindGeldigheid>" if v.end else ""
    inactive = (
        f"<Historie:tijdstipInactief>{v.inactive}T00:00:00.000</Historie:tijdstipInactief>"
        if v.inactive
        else ""
    )
    return (
        "<Objecten:voorkomen><Historie:Voorkomen>"
        f"<Historie:voorkomenidentificatie>{v.number}</Historie:voorkomenidentificatie>"
        f"<Historie:beginGeldigheid>{v.begin}</Historie:beginGeldigheid>{end}"
        f"<Historie:tijdstipRegistratie>{v.begin}T09:00:00.000</Historie:tijdstipRegistratie>"
        f"{inactive}"
        "<Historie:BeschikbaarLV><Historie:tijdstipRegistratieLV>"
        f"{v.begin}T09:00:01.000</Historie:tijdstipRegistratieLV></Historie:BeschikbaarLV>"
        "</Historie:Voorkomen></Objecten:voorkomen>"
    )


def _document(v: V) -> str:
    return (
        "<Objecten:geconstateerd>N</Objecten:geconstateerd>"
        f"<Objecten:documentdatum>{v.begin}</Objecten:documentdatum>"
        "<Objecten:documentnummer>BAG-2010-001</Objecten:documentnummer>"
    )


_SQUARE = (
    '<gml:Polygon srsName="urn:ogc:def:crs:EPSG::28992" srsDimension="2"><gml:exterior>'
    "<gml:LinearRing><gml:posList>0.0 0.0 0.0 10.0 10.0 10.0 10.0 0.0 0.0 0.0</gml:posList>"
    "</gml:LinearRing></gml:exterior></gml:Polygon>"
)


def woonplaats(ident: str, name: str, v: V = V()) -> str:
    return (
        "<Objecten:Woonplaats>"
        f'<Objecten:identificatie domein="NL.IMBAG.Woonplaats">{ident}</Objecten:identificatie>'
        f"<Objecten:naam>{escape(name)}</Objecten:naam>"
        f"<Objecten:geometrie><Objecten:vlak>{_SQUARE}</Objecten:vlak></Objecten:geometrie>"
        "<Objecten:status>Woonplaats aangewezen</Objecten:status>"
        f"{_document(v)}{_voorkomen(v)}</Objecten:Woonplaats>"
    )


def openbare_ruimte(ident: str, name: str, town: str, v: V = V()) -> str:
    return (
        "<Objecten:OpenbareRuimte>"
        f'<Objecten:identificatie domein="NL.IMBAG.Openbareruimte">{ident}'
        "</Objecten:identificatie>"
        f"<Objecten:naam>{escape(name)}</Objecten:naam><Objecten:type>Weg</Objecten:type>"
        f"<Objecten:status>Naamgeving uitgegeven</Objecten:status>{_document(v)}"
        '<Objecten:ligtIn><Objecten-ref:WoonplaatsRef domein="NL.IMBAG.Woonplaats">'
        f"{town}</Objecten-ref:WoonplaatsRef></Objecten:ligtIn>"
        f"{_voorkomen(v)}</Objecten:OpenbareRuimte>"
    )


def nummeraanduiding(
    ident: str,
    number: int,
    street: str,
    postcode: str | None = "1234AB",
    letter: str | None = None,
    addition: str | None = None,
    town: str | None = None,
    v: V = V(),
) -> str:
    parts = [
        "<Objecten:Nummeraanduiding>",
        f'<Objecten:identificatie domein="NL.IMBAG.Nummeraanduiding">{ident}'
        "</Objecten:identificatie>",
        f"<Objecten:huisnummer>{number}</Objecten:huisnummer>",
    ]
    if letter:
        parts.append(f"<Objecten:huisletter>{letter}</Objecten:huisletter>")
    if addition:
        parts.append(f"<Objecten:huisnummertoevoeging>{addition}</Objecten:huisnummertoevoeging>")
    if postcode:
        parts.append(f"<Objecten:postcode>{postcode}</Objecten:postcode>")
    parts.append(
        "<Objecten:typeAdresseerbaarObject>Verblijfsobject</Objecten:typeAdresseerbaarObject>"
        f"<Objecten:status>Naamgeving uitgegeven</Objecten:status>{_document(v)}"
    )
    if town:
        parts.append(
            '<Objecten:ligtIn><Objecten-ref:WoonplaatsRef domein="NL.IMBAG.Woonplaats">'
            f"{town}</Objecten-ref:WoonplaatsRef></Objecten:ligtIn>"
        )
    parts.append(
        f"{_voorkomen(v)}<Objecten:ligtAan>"
        '<Objecten-ref:OpenbareRuimteRef domein="NL.IMBAG.Openbareruimte">'
        f"{street}</Objecten-ref:OpenbareRuimteRef></Objecten:ligtAan>"
        "</Objecten:Nummeraanduiding>"
    )
    return "".join(parts)


def _num_ref(ident: str) -> str:
    return (
        '<Objecten-ref:NummeraanduidingRef domein="NL.IMBAG.Nummeraanduiding">'
        f"{ident}</Objecten-ref:NummeraanduidingRef>"
    )


def verblijfsobject(
    ident: str,
    main: str,
    uses: tuple[str, ...] = ("woonfunctie",),
    area: int = 80,
    status: str = "Verblijfsobject in gebruik",
    side: tuple[str, ...] = (),
    v: V = V(),
) -> str:
    side_xml = (
        "<Objecten:heeftAlsNevenadres>"
        + "".join(map(_num_ref, side))
        + "</Objecten:heeftAlsNevenadres>"
        if side
        else ""
    )
    return (
        "<Objecten:Verblijfsobject>"
        f"<Objecten:heeftAlsHoofdadres>{_num_ref(main)}</Objecten:heeftAlsHoofdadres>"
        f"{_voorkomen(v)}{side_xml}"
        f'<Objecten:identificatie domein="NL.IMBAG.Verblijfsobject">{ident}'
        "</Objecten:identificatie>"
        '<Objecten:geometrie><Objecten:punt><gml:Point srsName="urn:ogc:def:crs:EPSG::28992" '
        'srsDimension="3"><gml:pos>120000.0 480000.0 0.0</gml:pos></gml:Point>'
        "</Objecten:punt></Objecten:geometrie>"
        + "".join(f"<Objecten:gebruiksdoel>{use}</Objecten:gebruiksdoel>" for use in uses)
        + f"<Objecten:oppervlakte>{area}</Objecten:oppervlakte>"
        f"<Objecten:status>{status}</Objecten:status>{_document(v)}"
        '<Objecten:maaktDeelUitVan><Objecten-ref:PandRef domein="NL.IMBAG.Pand">'
        f"{ident[:4]}100000000001</Objecten-ref:PandRef></Objecten:maaktDeelUitVan>"
        "</Objecten:Verblijfsobject>"
    )


def pand(ident: str, v: V = V()) -> str:
    return (
        "<Objecten:Pand>"
        f'<Objecten:identificatie domein="NL.IMBAG.Pand">{ident}</Objecten:identificatie>'
        f"<Objecten:geometrie>{_SQUARE}</Objecten:geometrie>"
        "<Objecten:oorspronkelijkBouwjaar>1990</Objecten:oorspronkelijkBouwjaar>"
        f"<Objecten:status>Pand in gebruik</Objecten:status>{_document(v)}{_voorkomen(v)}"
        "</Objecten:Pand>"
    )


def deelbestand(kind: str, objects: list[str], gemeente: str | None, day: str) -> bytes:
    """One ``…<KIND>…-000001.xml`` of the extract."""
    if gemeente:
        area = (
            "<selecties-extract:Gebied-GEM><selecties-extract:GemeenteCollectie>"
            "<selecties-extract:Gemeente><selecties-extract:GemeenteIdentificatie>"
            f"{gemeente}</selecties-extract:GemeenteIdentificatie></selecties-extract:Gemeente>"
            "</selecties-extract:GemeenteCollectie></selecties-extract:Gebied-GEM>"
        )
    else:
        area = "<selecties-extract:Gebied-NLD/>"
    stands = "".join(
        f"<sl:stand><sl-bag-extract:bagObject>{obj}</sl-bag-extract:bagObject></sl:stand>"
        for obj in objects
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<sl-bag-extract:bagStand {_xmlns(NAMESPACES)}>"
        f"<sl-bag-extract:bagInfo><selecties-extract:Gebied-Registratief>{area}"
        "</selecties-extract:Gebied-Registratief><selecties-extract:LVC-Extract>"
        f"<selecties-extract:StandTechnischeDatum>{day}</selecties-extract:StandTechnischeDatum>"
        "</selecties-extract:LVC-Extract></sl-bag-extract:bagInfo>"
        "<sl:standBestand><sl:dataset>LVBAG</sl:dataset><sl:inhoud>"
        f"<sl:gebied>{'GEMEENTE' if gemeente else 'NEDERLAND'}</sl:gebied>"
        f"<sl:leveringsId>0000000001</sl:leveringsId><sl:objectTypen><sl:objectType>{kind}"
        f"</sl:objectType></sl:objectTypen></sl:inhoud>{stands}</sl:standBestand>"
        "</sl-bag-extract:bagStand>"
    ).encode()


@dataclass(frozen=True)
class Rel:
    woonplaats: str
    gemeente: str
    begin: str
    end: str | None = None


def gwr_file(relations: list[Rel], day: str) -> bytes:
    rows = []
    for rel in relations:
        end = (
            f"<bagtypes:einddatumTijdvakGeldigheid>{rel.end}</bagtypes:einddatumTijdvakGeldigheid>"
            if rel.end
            else ""
        )
        rows.append(
            "<gwr-product:GemeenteWoonplaatsRelatie><gwr-product:tijdvakgeldigheid>"
            f"<bagtypes:begindatumTijdvakGeldigheid>{rel.begin}"
            f"</bagtypes:begindatumTijdvakGeldigheid>{end}</gwr-product:tijdvakgeldigheid>"
            "<gwr-product:gerelateerdeWoonplaats><gwr-product:identificatie>"
            f"{rel.woonplaats}</gwr-product:identificatie></gwr-product:gerelateerdeWoonplaats>"
            "<gwr-product:gerelateerdeGemeente><gwr-product:identificatie>"
            f"{rel.gemeente}</gwr-product:identificatie></gwr-product:gerelateerdeGemeente>"
            "<gwr-product:status>definitief</gwr-product:status>"
            "</gwr-product:GemeenteWoonplaatsRelatie>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<gwr-bestand:BAG-GWR-Deelbestand-LVC {_xmlns(GWR_NAMESPACES)}>"
        "<gwr-bestand:SelectieGegevens><selecties-extract:StandTechnischeDatum>"
        f"{day}</selecties-extract:StandTechnischeDatum></gwr-bestand:SelectieGegevens>"
        "<gwr-bestand:Product><gwr-product:GemeenteWoonplaatsRelatieProduct>"
        + "".join(rows)
        + "</gwr-product:GemeenteWoonplaatsRelatieProduct></gwr-bestand:Product>"
        "</gwr-bestand:BAG-GWR-Deelbestand-LVC>"
    ).encode()


def leveringsdocument(gemeente: str | None, day: str) -> bytes:
    """``Leveringsdocument-BAG-Extract.xml``: what the delivery holds (the portal does not read
    it; it is in the layout, and valid)."""
    if gemeente:
        area = (
            "<selecties-extract:Gebied-GEM><selecties-extract:GemeenteCollectie>"
            "<selecties-extract:Gemeente><selecties-extract:GemeenteIdentificatie>"
            f"{gemeente}</selecties-extract:GemeenteIdentificatie></selecties-extract:Gemeente>"
            "</selecties-extract:GemeenteCollectie></selecties-extract:Gebied-GEM>"
        )
    else:
        area = "<selecties-extract:Gebied-NLD/>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<xb:BAG-Extract-Levering '
        'xmlns:xb="http://www.kadaster.nl/schemas/lvbag/extract-levering/v20200601" '
        f'xmlns:selecties-extract="{NAMESPACES["selecties-extract"]}">'
        "<xb:SelectieGegevens><selecties-extract:LVC-Extract>"
        f"<selecties-extract:StandTechnischeDatum>{day}</selecties-extract:StandTechnischeDatum>"
        "</selecties-extract:LVC-Extract><selecties-extract:Gebied-Registratief>"
        f"{area}</selecties-extract:Gebied-Registratief></xb:SelectieGegevens>"
        "<xb:SchemaInfo><xb:naam>BAG Extract</xb:naam><xb:versie>2.1.0</xb:versie>"
        "</xb:SchemaInfo></xb:BAG-Extract-Levering>"
    ).encode()


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def extract_files(
    objects: dict[str, list[str]],
    relations: list[Rel],
    gemeente: str | None = "0221",
    stamp: str = "15022021",
    day: str = "2021-02-15",
) -> dict[str, bytes]:
    """Every XML file of an extract, by its name: the object parts (split into files of at most
    two objects, as the Kadaster numbers them) and the GEM-WPL-RELATIE file."""
    prefix = gemeente or "9999"
    files: dict[str, bytes] = {}
    for kind, items in objects.items():
        for n, start in enumerate(range(0, max(len(items), 1), 2), start=1):
            name = f"{prefix}{kind}{stamp}-{n:06d}.xml"
            files[name] = deelbestand(kind, items[start : start + 2], gemeente, day)
    files[f"GEM-WPL-RELATIE-{stamp}.xml"] = gwr_file(relations, day)
    files["Leveringsdocument-BAG-Extract.xml"] = leveringsdocument(gemeente, day)
    return files


def write_extract(
    target: Path,
    objects: dict[str, list[str]],
    relations: list[Rel],
    gemeente: str | None = "0221",
    stamp: str = "15022021",
    day: str = "2021-02-15",
) -> Path:
    """The extract as the Kadaster delivers it, at ``target`` (a directory): returns the ZIP."""
    prefix = gemeente or "9999"
    files = extract_files(objects, relations, gemeente, stamp, day)
    inner: dict[str, bytes] = {
        "Leveringsdocument-BAG-Extract.xml": files["Leveringsdocument-BAG-Extract.xml"]
    }
    for kind in objects:
        members = {n: d for n, d in files.items() if n.startswith(f"{prefix}{kind}")}
        inner[f"{prefix}{kind}{stamp}.zip"] = _zip(members)
    gwr = f"GEM-WPL-RELATIE-{stamp}"
    inner[f"{gwr}.zip"] = _zip({f"{gwr}.xml": files[f"{gwr}.xml"]})
    # The side files the portal must leave alone.
    inner[f"{prefix}Inactief{stamp}.zip"] = _zip({f"{prefix}IA{stamp}.xml": b"<broken"})
    if gemeente:
        path = target / f"BAGGEM{gemeente}L-{stamp}.zip"
        path.write_bytes(_zip({f"{gemeente}GEM{stamp}.zip": _zip(inner)}))
    else:
        path = target / f"lvbag-extract-nl-{stamp}.zip"
        path.write_bytes(_zip(inner))
    return path


# --- the scenario the import tests load ---------------------------------------------------------

GM = "0221"
STREET = "0221300000000001"
STREET_ELSEWHERE = "0221300000000003"


def num_id(n: int) -> str:
    return f"0221200000{n:06d}"


def vbo_id(n: int) -> str:
    return f"0221010000{n:06d}"


def scenario(area_of_1: int = 80) -> tuple[dict[str, list[str]], list[Rel]]:
    """The municipality extract of GM0221 on 2021-02-15 that the import tests read:

    - VBO 1: woonfunctie, ``area_of_1`` m², at Dorpsstraat 1 in Dorp (woonplaats 1001, which
      belonged to gemeente 0100 until 2020 and to 0221 since: a closed and an open relation);
    - VBO 2: two gebruiksdoelen, at number 2A-1 whose own ``ligtIn`` says Gehucht (1002), with a
      nevenadres (number 3, no address of its own in the portal);
    - VBO 4: its address has no postcode (skipped); VBO 5: never built (skipped by status);
    - VBO 6: an ended version (50 m²), the current one (60 m²) and a future one (70 m²);
    - VBO 7: the current version (40 m²) and a later one made inactive (99 m²);
    - VBO 8: only a version that starts in 2030 (not yet an address);
    - VBO 9: its main address is not in the extract (dangling reference);
    - VBO 10: in Elders (1003), in gemeente 0999, which the portal does not know;
    - the street: an ended version named Oude Dorpsstraat, the current one Dorpsstraat.
    """
    wpl = [woonplaats("1001", "Dorp"), woonplaats("1002", "Gehucht"), woonplaats("1003", "Elders")]
    opr = [
        openbare_ruimte(STREET, "Oude Dorpsstraat", "1001", V("2000-01-01", "2015-01-01")),
        openbare_ruimte(STREET, "Dorpsstraat", "1001", V("2015-01-01", number=2)),
        openbare_ruimte(STREET_ELSEWHERE, "Verweg", "1003"),
    ]
    num = [
        nummeraanduiding(num_id(1), 1, STREET),
        nummeraanduiding(num_id(2), 2, STREET, letter="A", addition="1", town="1002"),
        nummeraanduiding(num_id(3), 3, STREET),
        nummeraanduiding(num_id(4), 4, STREET, postcode=None),
        *(nummeraanduiding(num_id(n), n, STREET) for n in (5, 6, 7, 8)),
        nummeraanduiding(num_id(10), 10, STREET_ELSEWHERE, postcode="9999ZZ"),
    ]
    vbo = [
        verblijfsobject(vbo_id(1), num_id(1), area=area_of_1),
        verblijfsobject(
            vbo_id(2),
            num_id(2),
            uses=("woonfunctie", "logiesfunctie"),
            area=120,
            side=(num_id(3),),
        ),
        verblijfsobject(vbo_id(4), num_id(4)),
        verblijfsobject(vbo_id(5), num_id(5), status="Niet gerealiseerd verblijfsobject"),
        verblijfsobject(vbo_id(6), num_id(6), area=50, v=V("2010-01-01", "2015-01-01")),
        verblijfsobject(vbo_id(6), num_id(6), area=60, v=V("2015-01-01", "2030-01-01", number=2)),
        verblijfsobject(vbo_id(6), num_id(6), area=70, v=V("2030-01-01", number=3)),
        verblijfsobject(vbo_id(7), num_id(7), area=40, v=V("2010-01-01")),
        verblijfsobject(vbo_id(7), num_id(7), area=99, v=V("2018-01-01", None, "2019-01-01", 2)),
        verblijfsobject(vbo_id(8), num_id(8), v=V("2030-01-01")),
        verblijfsobject(vbo_id(9), num_id(99)),
        verblijfsobject(vbo_id(10), num_id(10)),
    ]
    relations = [
        Rel("1001", "0100", "2000-01-01", "2020-01-01"),
        Rel("1001", GM, "2020-01-01"),
        Rel("1002", GM, "2000-01-01"),
        Rel("1003", "0999", "2000-01-01"),
    ]
    objects = {"WPL": wpl, "OPR": opr, "NUM": num, "VBO": vbo, "PND": [pand(f"{GM}100000000001")]}
    return objects, relations
