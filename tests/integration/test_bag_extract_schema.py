"""Every XML file the BAG fixtures write is valid against the Kadaster's schemas (IMBAGLV 2.1.0).

The schemas are the Kadaster's publication, kept beside the repository (not in it):
``BAG_XSD_DIR`` (relative to the repository root, or absolute; default: the directory
``shared/reference/bag-extract-xsd`` next to the repository's own directory). Where they are
absent this test skips, unless ``BAG_XSD_REQUIRED=1`` (CI) makes that a failure. The import
tests do not depend on it. Validated: every object part, the GEM-WPL-RELATIE file and the
Leveringsdocument, of the municipality and of the national layout.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree

from tests import bag_extract

ROOT = Path(__file__).resolve().parents[2]
OBJECTS_XSD = "lvbag/extract-deelbestand-lvc/v20200601/BagvsExtractDeelbestandExtractLvc-2.1.0.xsd"
GWR_XSD = "lvbag/gem-wpl-rel/gwr-deelbestand-lvc/v20200601/BagvsGwrDeelbestandLvc-2.1.0.xsd"
DELIVERY_XSD = "lvbag/extract-levering/v20200601/BagvsExtractLeveringsdocument-2.1.0.xsd"


def _xsd_dir() -> Path:
    configured = os.environ.get("BAG_XSD_DIR")
    default = ROOT.parent / "shared" / "reference" / "bag-extract-xsd"
    path = Path(configured) if configured else default
    directory = path if path.is_absolute() else ROOT / path
    if not (directory / OBJECTS_XSD).is_file():
        if os.environ.get("BAG_XSD_REQUIRED") == "1":
            pytest.fail(f"BAG_XSD_REQUIRED=1 but the schemas are not at {directory}")
        pytest.skip(f"the Kadaster's BAG schemas are not at {directory} (BAG_XSD_DIR)")
    return directory


@pytest.fixture(scope="module")
def schemas() -> dict[str, etree.XMLSchema]:
    directory = _xsd_dir()
    return {
        "objects": etree.XMLSchema(etree.parse(str(directory / OBJECTS_XSD))),
        "gwr": etree.XMLSchema(etree.parse(str(directory / GWR_XSD))),
        "delivery": etree.XMLSchema(etree.parse(str(directory / DELIVERY_XSD))),
    }


def _files() -> dict[str, bytes]:
    objects, relations = bag_extract.scenario()
    files = bag_extract.extract_files(objects, relations)
    national = bag_extract.extract_files(objects, relations, gemeente=None)
    files.update(national)
    files["Leveringsdocument-BAG-Extract-national.xml"] = national.pop(
        "Leveringsdocument-BAG-Extract.xml"
    )
    return files


@pytest.mark.parametrize("name", sorted(_files()))
def test_fixture_file_is_valid(name: str, schemas: dict[str, etree.XMLSchema]) -> None:
    document = etree.fromstring(_files()[name])
    if name.startswith("GEM-WPL-RELATIE"):
        schema = schemas["gwr"]
    elif name.startswith("Leveringsdocument"):
        schema = schemas["delivery"]
    else:
        schema = schemas["objects"]
    if not schema.validate(document):
        pytest.fail(f"{name}: {schema.error_log}")


def test_the_validation_can_fail(schemas: dict[str, etree.XMLSchema]) -> None:
    objects, _ = bag_extract.scenario()
    wrong = bag_extract.deelbestand(
        "VBO",
        [objects["VBO"][0].replace("oppervlakte>80<", "oppervlakte>0<")],
        "0221",
        "2021-02-15",
    )
    assert not schemas["objects"].validate(etree.fromstring(wrong))
