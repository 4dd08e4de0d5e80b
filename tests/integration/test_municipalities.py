"""Importing municipalities and finding the policy in force (services/municipalities.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.demo.generate import DEMO_MUNICIPALITIES_CSV
from portal.domain.errors import Problem
from portal.domain.policy import OccupancyPolicy
from portal.extensions import db
from portal.models import Municipality, MunicipalPolicy, Region
from portal.services.errors import Refused
from portal.services.municipalities import import_municipalities, policy_for


def municipality(code: str) -> Municipality:
    return db.session.execute(select(Municipality).filter_by(code=code)).scalar_one()


def count(model: type) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_demo_municipalities_import_with_their_region(ctx: Flask) -> None:
    report = import_municipalities(DEMO_MUNICIPALITIES_CSV)
    db.session.commit()
    assert (report.inserted, report.updated, report.unchanged, report.rejected) == (5, 0, 0, [])
    venlo = municipality("GM0983")
    assert (venlo.name, venlo.province) == ("Venlo", "Limburg")
    assert venlo.region is not None and venlo.region.name == "Noord-Limburg"
    assert municipality("GM1507").region_id == venlo.region_id
    assert municipality("GM0344").region is None
    assert count(Region) == 1


def test_importing_the_same_file_twice_changes_nothing(ctx: Flask) -> None:
    import_municipalities(DEMO_MUNICIPALITIES_CSV)
    db.session.commit()
    report = import_municipalities(DEMO_MUNICIPALITIES_CSV)
    db.session.commit()
    assert (report.inserted, report.updated, report.unchanged, report.rejected) == (0, 0, 5, [])
    assert count(Municipality) == 5
    assert count(Region) == 1


def test_changed_name_province_or_region_counts_as_updated(ctx: Flask) -> None:
    import_municipalities(DEMO_MUNICIPALITIES_CSV)
    db.session.commit()
    text = (
        "code,name,province,region\n"
        "GM0344,Utrecht,Utrecht,Regio Utrecht\n"  # region added (new region)
        "GM0983,Venlo,Limburg,\n"  # region removed
        "GM1507,Horst a/d Maas,Limburg,Noord-Limburg\n"  # name changed
        "GM0599,Rotterdam,Zuid-Holland,\n"  # unchanged
    )
    report = import_municipalities(text)
    db.session.commit()
    assert (report.inserted, report.updated, report.unchanged) == (0, 3, 1)
    utrecht = municipality("GM0344")
    assert utrecht.region is not None and utrecht.region.name == "Regio Utrecht"
    assert municipality("GM0983").region_id is None
    assert municipality("GM1507").name == "Horst a/d Maas"
    assert count(Region) == 2


def test_file_without_optional_columns_keeps_province_and_region(ctx: Flask) -> None:
    import_municipalities(DEMO_MUNICIPALITIES_CSV)
    db.session.commit()
    report = import_municipalities("code,name\n983,Venlo\n1507,Horst aan de Maas\n")
    assert (report.updated, report.unchanged) == (0, 2)
    venlo = municipality("GM0983")
    assert venlo.province == "Limburg"
    assert venlo.region is not None


def test_bad_lines_are_named_and_good_lines_imported(ctx: Flask) -> None:
    text = (
        "code,name,province,region\n"
        "GM0344,Utrecht,Utrecht,\n"  # line 2
        "GM34X,Nergens,Utrecht,\n"  # line 3: bad code
        "0363,,Noord-Holland,\n"  # line 4: no name
        ",Zonder code,,\n"  # line 5: no code
        "344,Utrecht again,Utrecht,\n"  # line 6: GM0344 again
        "599,Rotterdam,Zuid-Holland,\n"  # line 7: good, short code
        f"GM0014,{'G' * 121},Groningen,\n"  # line 8: name too long
    )
    report = import_municipalities(text)
    assert [(r.line, r.code) for r in report.rejected] == [
        (3, "municipality_code.format"),
        (4, "field.required"),
        (5, "field.required"),
        (6, "duplicate_in_file"),
        (8, "field.too_long"),
    ]
    assert report.rejected[1].detail == "name"
    assert report.inserted == 2
    assert municipality("GM0599").name == "Rotterdam"
    assert municipality("GM0344").name == "Utrecht"


def test_semicolon_and_bom_are_accepted(ctx: Flask) -> None:
    data = "\ufeffCode;Name;Province;Region\r\nGM0983;Venlo;Limburg;Noord-Limburg\r\n".encode()
    report = import_municipalities(data)
    assert (report.inserted, report.rejected) == (1, [])
    assert municipality("GM0983").province == "Limburg"


def test_file_missing_the_name_column_is_refused(ctx: Flask) -> None:
    with pytest.raises(Refused) as caught:
        import_municipalities("code,province\nGM0344,Utrecht\n")
    assert caught.value.problems == [Problem("file", "columns.missing", "name")]
    assert count(Municipality) == 0


def test_file_that_is_not_utf8_is_refused(ctx: Flask) -> None:
    with pytest.raises(Refused) as caught:
        import_municipalities("code,name\nGM0518,'s-Gravenhage Zuidwal\xe9\n".encode("latin-1"))
    assert caught.value.problems == [Problem("file", "file.encoding")]
    assert count(Municipality) == 0


def test_municipality_without_policy_gets_the_configured_defaults(
    ctx: Flask, make_municipality: Callable[..., Municipality]
) -> None:
    utrecht = make_municipality()
    policy = policy_for(utrecht.id, date(2026, 5, 1))
    assert policy == OccupancyPolicy(
        m2_per_person_dwelling=ctx.config["DEFAULT_M2_PER_PERSON_DWELLING"],
        m2_per_person_lodging=ctx.config["DEFAULT_M2_PER_PERSON_LODGING"],
        no_permit_max_occupants=ctx.config["DEFAULT_NO_PERMIT_MAX_OCCUPANTS"],
        late_after_days=ctx.config["DEFAULT_LATE_AFTER_DAYS"],
        effective_from=None,
    )
    assert (policy.m2_per_person_dwelling, policy.m2_per_person_lodging) == (12, 10)


def test_defaults_follow_the_configuration(
    ctx: Flask, make_municipality: Callable[..., Municipality], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(ctx.config, "DEFAULT_NO_PERMIT_MAX_OCCUPANTS", 6)
    utrecht = make_municipality()
    assert policy_for(utrecht.id, date(2026, 5, 1)).no_permit_max_occupants == 6


def test_old_policy_applies_before_the_new_one_takes_effect(
    ctx: Flask, make_municipality: Callable[..., Municipality]
) -> None:
    westland = make_municipality("GM1783", "Westland", "Zuid-Holland")
    utrecht = make_municipality()
    for start, dwelling, no_permit in [(date(2026, 7, 1), 15, 4), (date(2026, 1, 1), 13, 5)]:
        db.session.add(
            MunicipalPolicy(
                municipality_id=westland.id,
                effective_from=start,
                m2_per_person_dwelling=dwelling,
                m2_per_person_lodging=10,
                no_permit_max_occupants=no_permit,
                late_after_days=3,
            )
        )
    db.session.commit()

    assert policy_for(westland.id, date(2025, 12, 31)).effective_from is None  # defaults
    before = policy_for(westland.id, date(2026, 6, 30))
    assert (before.effective_from, before.m2_per_person_dwelling) == (date(2026, 1, 1), 13)
    assert before.no_permit_max_occupants == 5
    after = policy_for(westland.id, date(2026, 7, 1))
    assert (after.effective_from, after.m2_per_person_dwelling) == (date(2026, 7, 1), 15)
    assert policy_for(utrecht.id, date(2026, 7, 1)).effective_from is None
