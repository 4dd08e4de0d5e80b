"""The BAG 2.0 Extract: find its parts in nested ZIPs or directories, stream its objects.

The national extract is a ZIP of ZIPs (``9999WPL08112023.zip``, ``9999OPR…``, ``9999NUM…``,
``9999VBO…``, ``GEM-WPL-RELATIE-08112023.zip`` and more, each holding numbered XML files); a
municipality's extract (``BAGGEM0221L-15022021.zip``) nests the same one level deeper; an operator
may also have unpacked either. ``locate`` walks all of these by name (a ZIP it cannot name is
opened and searched, so any depth works); inner ZIPs are copied to temporary files, because a
ZIP member cannot be seeked cheaply. ``objects`` streams one part with ``lxml.etree.iterparse``
and clears each ``sl:stand`` once read, so memory does not grow with the file.
"""

from __future__ import annotations

import multiprocessing
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from lxml import etree

from portal.domain import bag

OBJECTEN = "www.kadaster.nl/schemas/lvbag/imbag/objecten/v20200601"
HISTORIE = "www.kadaster.nl/schemas/lvbag/imbag/historie/v20200601"
OBJECTEN_REF = "www.kadaster.nl/schemas/lvbag/imbag/objecten-ref/v20200601"
STANDLEVERING = "http://www.kadaster.nl/schemas/standlevering-generiek/1.0"
GWR_PRODUCT = "www.kadaster.nl/schemas/lvbag/gem-wpl-rel/gwr-producten-lvc/v20200601"
BAG_TYPES = "www.kadaster.nl/schemas/lvbag/gem-wpl-rel/bag-types/v20200601"

# The parts the portal reads, in the order it reads them (the later ones refer to the earlier).
KINDS = ("GWR", "WPL", "OPR", "NUM", "VBO")
# The parts it leaves alone: berths, pitches, buildings, and the inactive / under-investigation /
# not-BAG side files.
_SKIPPED = ("LIG", "STA", "PND", "INACTIEF", "INONDERZOEK", "NIETBAG", "LEVERINGSDOCUMENT")
_KIND_OF_NAME = re.compile(r"^(?:\d{4})?(WPL|OPR|NUM|VBO|LIG|STA|PND)\d{8}", re.IGNORECASE)


def kind_of(name: str) -> str | None:
    """``VBO`` for ``9999VBO08112023.zip`` or ``0221VBO15022021-000001.xml``, ``GWR`` for the
    GEM-WPL-RELATIE file, ``skip`` for a part the portal does not read, None if unnamed."""
    base = name.rsplit("/", 1)[-1]
    upper = base.upper()
    if upper.startswith("GEM-WPL-RELATIE"):
        return "GWR"
    match = _KIND_OF_NAME.match(base)
    if match:
        kind = match.group(1).upper()
        return kind if kind in KINDS else "skip"
    if any(word in upper for word in _SKIPPED):
        return "skip"
    return None


@dataclass(frozen=True)
class Part:
    """One XML file of the extract: a plain file, or a member of a ZIP at ``container``."""

    kind: str
    container: Path
    member: str | None = None

    def open(self) -> IO[bytes]:
        if self.member is None:
            return self.container.open("rb")
        archive = zipfile.ZipFile(self.container)
        stream = archive.open(self.member)
        return stream


@dataclass
class Extract:
    """The located parts by kind; inner ZIPs live in ``workdir`` until ``close``."""

    parts: dict[str, list[Part]] = field(default_factory=lambda: {k: [] for k in KINDS})
    workdir: Path | None = None
    _stack: ExitStack = field(default_factory=ExitStack)

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Extract:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _temporary(self) -> Path:
        if self.workdir is None:
            self.workdir = Path(self._stack.enter_context(tempfile.TemporaryDirectory("-bag")))
        return self.workdir


def is_zip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def locate(path: Path) -> Extract:
    """The extract's parts under ``path`` (a ZIP or a directory, any nesting)."""
    extract = Extract()
    try:
        if path.is_dir():
            _walk_directory(path, extract, None)
        else:
            _walk_zip(path, extract, None)
    except BaseException:
        extract.close()
        raise
    for parts in extract.parts.values():
        parts.sort(key=lambda p: (str(p.container), p.member or ""))
    return extract


def _walk_directory(directory: Path, extract: Extract, inherited: str | None) -> None:
    for entry in sorted(directory.iterdir()):
        kind = kind_of(entry.name) or inherited
        if kind == "skip":
            continue
        if entry.is_dir():
            _walk_directory(entry, extract, kind)
        elif entry.suffix.lower() == ".zip":
            _walk_zip(entry, extract, kind)
        elif entry.suffix.lower() == ".xml" and kind in KINDS:
            extract.parts[kind].append(Part(kind, entry))


def _walk_zip(path: Path, extract: Extract, inherited: str | None) -> None:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = info.filename
            kind = kind_of(name) or inherited
            if kind == "skip":
                continue
            if name.lower().endswith(".zip"):
                inner = extract._temporary() / f"{len(list(extract._temporary().iterdir()))}.zip"
                with archive.open(info) as source, inner.open("wb") as target:
                    shutil.copyfileobj(source, target, 1 << 20)
                _walk_zip(inner, extract, kind)
            elif name.lower().endswith(".xml") and kind in KINDS:
                extract.parts[kind].append(Part(kind, path, name))


# --- the objects --------------------------------------------------------------------------------

_O = "{" + OBJECTEN + "}"
_H = "{" + HISTORIE + "}"
_R = "{" + OBJECTEN_REF + "}"
_G = "{" + GWR_PRODUCT + "}"
_T = "{" + BAG_TYPES + "}"
_STAND = "{" + STANDLEVERING + "}stand"

# Element → the field it fills (the first occurrence inside an object, except ``uses``).
_FIELDS = {
    _O + "identificatie": "id",
    _O + "naam": "name",
    _O + "huisnummer": "number",
    _O + "huisletter": "letter",
    _O + "huisnummertoevoeging": "addition",
    _O + "postcode": "postcode",
    _O + "oppervlakte": "area",
    _O + "status": "status",
    _R + "WoonplaatsRef": "ligt_in",
    _R + "OpenbareRuimteRef": "street",
    _H + "beginGeldigheid": "begin",
    _H + "eindGeldigheid": "end",
    _H + "tijdstipInactief": "inactive",
}
_USE = _O + "gebruiksdoel"
_NUM_REF = _R + "NummeraanduidingRef"
_MAIN_ADDRESS = _O + "heeftAlsHoofdadres"


_OBJECT_ENDS = frozenset(
    _O + name for name in ("Woonplaats", "OpenbareRuimte", "Nummeraanduiding", "Verblijfsobject")
)
# The only elements iterparse reports (lxml filters in C): the fields and the objects' ends.
_REPORTED = [*_FIELDS, _USE, _NUM_REF, *_OBJECT_ENDS]
# Freed every so many objects: the stands read so far, all at once.
_FREE_EVERY = 512


def objects(part: Part) -> Iterator[dict[str, Any]]:
    """Each object of an object part as a flat record (see ``_FIELDS``; ``uses`` a list,
    ``main`` the hoofdadres: the first NummeraanduidingRef, as the schema puts
    ``heeftAlsHoofdadres`` before ``heeftAlsNevenadres``). Only the wanted elements are
    reported; the stands already read are freed every ``_FREE_EVERY`` objects."""
    fields = _FIELDS
    with part.open() as stream:
        record: dict[str, Any] = {"uses": []}
        count = 0
        for _, element in etree.iterparse(stream, events=("end",), tag=_REPORTED, huge_tree=True):
            tag = element.tag
            key = fields.get(tag)
            if key is not None:
                if key not in record:
                    record[key] = element.text
            elif tag == _USE:
                record["uses"].append(element.text)
            elif tag == _NUM_REF:
                if "main" not in record:
                    record["main"] = element.text
            else:  # an object ends
                yield record
                record = {"uses": []}
                count += 1
                if count % _FREE_EVERY == 0:
                    _free_before(element)


def _free_before(element: Any) -> None:
    """Remove the ``sl:stand`` elements before the one holding ``element``."""
    stand = element.getparent().getparent()
    container = stand.getparent()
    if stand.tag == _STAND and container is not None:
        del container[: container.index(stand)]


_RELATION = _G + "GemeenteWoonplaatsRelatie"
_RELATION_FIELDS = {
    _T + "begindatumTijdvakGeldigheid": "begin",
    _T + "einddatumTijdvakGeldigheid": "end",
    _G + "status": "status",
}


def relations(part: Part) -> Iterator[dict[str, str]]:
    """Each GemeenteWoonplaatsRelatie as {begin, end?, woonplaats, gemeente, status}."""
    with part.open() as stream:
        for _, element in etree.iterparse(stream, events=("end",), tag=_RELATION):
            record: dict[str, str] = {}
            for child in element.iter():
                key = _RELATION_FIELDS.get(child.tag)
                if key is not None:
                    record[key] = child.text or ""
                elif child.tag == _G + "identificatie":
                    parent = child.getparent().tag
                    if parent == _G + "gerelateerdeWoonplaats":
                        record["woonplaats"] = child.text or ""
                    elif parent == _G + "gerelateerdeGemeente":
                        record["gemeente"] = child.text or ""
            yield record
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]


# --- one part, read to compact rows (in a worker process, or in the caller) ----------------------


class BrokenPart(ValueError):
    """A part of the extract that cannot be read (damaged XML or ZIP); picklable, so a worker
    process can report it."""


def _text(record: dict[str, Any], key: str) -> str:
    return (record.get(key) or "").strip()


def part_rows(part: Part, day: str) -> tuple[str, int, list[tuple[Any, ...]]]:
    """The objects of one part whose version is in force on ``day`` (``YYYY-MM-DD``), as tuples
    (identificatie and begin first; see ``ROW_SHAPES``), with the number of versions read. A
    plain function of a file, so parts can be read in parallel processes. ``BrokenPart`` when
    the file cannot be read."""
    try:
        return _part_rows(part, day)
    except (etree.XMLSyntaxError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise BrokenPart(f"{part.member or part.container.name}: {exc}") from None


def _part_rows(part: Part, day: str) -> tuple[str, int, list[tuple[Any, ...]]]:
    kind = part.kind
    rows: list[tuple[Any, ...]] = []
    read = 0
    in_force = bag.in_force_text
    append = rows.append
    for record in objects(part):
        read += 1
        if not in_force(record["begin"], record.get("end"), "inactive" in record, day):
            continue
        ident, begin = record["id"], record["begin"][:10]
        if kind == "VBO":
            area = record.get("area")
            append(
                (
                    ident,
                    begin,
                    record.get("main") or "",
                    bag.uses_text(record["uses"]),
                    int(area) if area else None,
                    _text(record, "status"),
                )
            )
        elif kind == "NUM":
            append(
                (
                    ident,
                    begin,
                    int(record["number"]),
                    _text(record, "letter").upper(),
                    _text(record, "addition").upper(),
                    bag.postcode_text(record.get("postcode")),
                    record.get("street") or "",
                    record.get("ligt_in"),
                )
            )
        elif kind == "OPR":
            append((ident, begin, _text(record, "name"), record.get("ligt_in") or ""))
        else:  # WPL
            append((ident, begin, _text(record, "name")))
    return kind, read, rows


# What a row of each kind holds after (identificatie, begin).
ROW_SHAPES = {
    "WPL": ("name",),
    "OPR": ("name", "ligt_in"),
    "NUM": ("house_number", "house_letter", "addition", "postcode", "street", "ligt_in"),
    "VBO": ("main", "uses", "area", "status"),
}


def _part_rows_job(job: tuple[Part, str]) -> tuple[str, int, list[tuple[Any, ...]]]:
    return part_rows(*job)


def read_parts(
    parts: list[Part], day: str, workers: int
) -> Iterator[tuple[str, int, list[tuple[Any, ...]]]]:
    """``part_rows`` of every part, in ``workers`` forked processes when there is more than one
    part and more than one worker (results as they come), else here, one after the other."""
    if workers <= 1 or len(parts) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for part in parts:
            yield part_rows(part, day)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(_part_rows_job, [(part, day) for part in parts])
