"""The public receipt verification page: real filings, typing slack, amendments and ends, tampering,
the per-IP rate limit, and the language.

Sabotage (shown by hand): with ``hit`` in portal/services/ratelimit.py made to always allow,
``test_the_31st_lookup_from_one_ip_is_refused_with_retry_after`` fails (the 31st answer is 200,
not 429), so the test has teeth. Without the commit in the view the count never grows and
the same test fails too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from portal import clock
from portal.domain.declarations import DeclarationInput
from portal.extensions import db
from portal.models import Declaration, RateLimitWindow, Receipt, User
from portal.services.declarations import amend_declaration, end_declaration, file_declaration

UNKNOWN_CODE = "7QK3-M9XA-2HD0"  # well formed, never issued (codes are random)
FILED_AT = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)  # 10:30 in Amsterdam


@pytest.fixture
def filing(
    app: Flask, make_user: Callable[..., Any], make_org: Callable[..., Any], make_address: Any
) -> SimpleNamespace:
    """A real declaration of 6 occupants at Oudegracht 12A, 3511 AB Utrecht, with its receipt."""
    user = make_user("declarant", org=make_org(name="Flexwerk Uitzendbureau B.V."))
    address = make_address("3511 AB", 12, letter="A", street="Oudegracht", town="Utrecht")
    with clock.freeze(FILED_AT), app.app_context():
        result = file_declaration(
            db.session.get(User, user.id),  # type: ignore[arg-type]
            DeclarationInput(occupants=6, start_date=clock.today(), separate_contracts=True),
            address_id=address.id,
        )
        db.session.commit()
        return SimpleNamespace(
            user_id=user.id,
            declaration_id=result.declaration.id,
            reference=result.receipt.reference,
            code=result.receipt.verification_code,
        )


def _page(client: FlaskClient, path: str, lang: str = "en") -> tuple[int, str, Any]:
    if lang:
        path += ("&" if "?" in path else "?") + f"lang={lang}"
    response = client.get(path)
    return response.status_code, response.get_data(as_text=True), response


def _status(page: str) -> str:
    match = re.search(r'data-status="([a-z_]+)"', page)
    assert match, page[:2000]
    return match.group(1)


def _state(page: str) -> str | None:
    match = re.search(r'data-state="([a-z]+)"', page)
    return match.group(1) if match else None


def test_a_real_receipt_is_authentic_and_shows_only_its_public_facts(
    client: FlaskClient, filing: SimpleNamespace
) -> None:
    status, page, response = _page(client, f"/verify/{filing.code}")
    assert status == 200
    assert _status(page) == "authentic"
    assert "This receipt is genuine" in page
    assert filing.reference in page
    assert "Oudegracht 12A, 3511 AB Utrecht" in page
    assert "<dd>6</dd>" in page
    assert "10 March 2026, 10:30" in page  # filed, in Amsterdam time
    assert "New declaration" in page
    assert _state(page) == "current"
    # Less is safer: not the organisation, not its KvK number, not the findings.
    assert "Flexwerk" not in page
    assert "permit" not in page.lower()
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex"


@pytest.mark.parametrize(
    "typed",
    [
        lambda c: c.lower(),
        lambda c: c.replace("-", ""),
        lambda c: c.lower().replace("-", " "),
    ],
    ids=["lower-case", "no-dashes", "spaces"],
)
def test_the_code_may_be_typed_loosely(
    client: FlaskClient, filing: SimpleNamespace, typed: Callable[[str], str]
) -> None:
    status, page, response = _page(client, f"/verify/{typed(filing.code)}")
    assert status == 308
    assert response.headers["Location"] == f"/verify/{filing.code}?lang=en"
    status, page, _ = _page(client, response.headers["Location"], lang="")
    assert (status, _status(page)) == (200, "authentic")
    assert filing.reference in page


@pytest.mark.parametrize(
    "typed",
    [
        lambda c: c.lower(),
        lambda c: c.replace("-", "%20").lower(),
        lambda c: c.replace("-", ""),
        lambda c: c[:4] + "--" + c[5:],
        lambda c: c.replace("-", "_"),
        lambda c: c[:2] + "-" + c[2:],
    ],
    ids=["lower-case", "spaces", "no-hyphens", "extra-hyphen", "underscores", "misplaced-hyphen"],
)
def test_a_loose_code_in_the_path_is_redirected_once_to_the_canonical_address(
    app: Flask, client: FlaskClient, filing: SimpleNamespace, typed: Callable[[str], str]
) -> None:
    response = client.get(f"/verify/{typed(filing.code)}")
    assert response.status_code == 308
    assert response.headers["Location"] == f"/verify/{filing.code}"
    final = client.get(response.headers["Location"])
    assert final.status_code == 200 and _status(final.get_data(as_text=True)) == "authentic"
    with app.app_context():  # the redirect is not a lookup: one hit counted, not two
        assert db.session.scalar(select(func.sum(RateLimitWindow.hits))) == 1


def test_the_canonical_code_is_answered_directly_and_lang_survives_the_redirect(
    client: FlaskClient, filing: SimpleNamespace
) -> None:
    assert client.get(f"/verify/{filing.code}").status_code == 200
    loose = filing.code.lower().replace("-", " ")
    response = client.get(f"/verify/{loose}?lang=en")
    assert (response.status_code, response.headers["Location"]) == (
        308,
        f"/verify/{filing.code}?lang=en",
    )


def test_the_form_sends_the_code_to_the_result_page(
    client: FlaskClient, filing: SimpleNamespace
) -> None:
    typed = "  " + filing.code.lower().replace("-", "") + " "
    response = client.get("/verify", query_string={"code": typed})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/verify/{filing.code}"  # canonical: one redirect
    status, page, _ = _page(client, response.headers["Location"])
    assert (status, _status(page)) == (200, "authentic")


def test_the_form_is_accessible_and_dutch_by_default(client: FlaskClient) -> None:
    response = client.get("/verify")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="nl">' in page
    assert '<label for="code">' in page and 'id="code"' in page
    assert 'aria-describedby="code-hint"' in page
    assert "<h1>" in page


def test_an_empty_code_is_refused_with_a_linked_error(client: FlaskClient) -> None:
    status, page, _ = _page(client, "/verify?code=+")
    assert status == 400
    assert "Enter the verification code." in page
    assert 'href="#code"' in page
    assert 'aria-describedby="code-hint code-error"' in page and 'id="code-error"' in page
    assert 'aria-invalid="true"' in page


def test_an_unknown_code_is_not_found_with_the_form_to_try_again(
    client: FlaskClient, filing: SimpleNamespace
) -> None:
    status, page, _ = _page(client, f"/verify/{UNKNOWN_CODE}")
    assert status == 404
    assert _status(page) == "not_found"
    assert "Receipt not found" in page
    assert 'name="code"' in page and 'value="7QK3-M9XA-2HD0"' in page
    assert filing.reference not in page


@pytest.mark.parametrize(
    "code", ["ABC", "7QK3-M9XA-2HDU", "7QK3-M9XA-2HD0-X", "x" * 500, "a/b", "<script>"]
)
def test_a_malformed_code_is_a_bad_request(client: FlaskClient, code: str) -> None:
    status, page, _ = _page(client, f"/verify/{code}")
    assert status == 400
    assert _status(page) == "invalid"
    assert "A verification code has 12 letters and digits" in page
    assert 'aria-invalid="true"' in page
    assert "<script>" not in page


def _declaration(declaration_id: int) -> Declaration:
    return db.session.get(Declaration, declaration_id)  # type: ignore[return-value]


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)  # type: ignore[return-value]


def test_after_an_amendment_the_page_says_amended_from_when_and_by_which_filing(
    app: Flask, client: FlaskClient, filing: SimpleNamespace
) -> None:
    effective = FILED_AT.date() + timedelta(days=7)
    with clock.freeze(FILED_AT + timedelta(days=2)), app.app_context():
        amended = amend_declaration(
            _user(filing.user_id), _declaration(filing.declaration_id), 4, effective
        )
        db.session.commit()
        new_reference, new_code = amended.receipt.reference, amended.receipt.verification_code
    status, page, _ = _page(client, f"/verify/{filing.code}")
    assert (status, _status(page), _state(page)) == (200, "authentic", "amended")
    assert f"Amended. From 17 March 2026 the filing {new_reference} applies." in page
    assert "<dd>6</dd>" in page  # the receipt still shows what it showed

    status, page, _ = _page(client, f"/verify/{new_code}")
    assert (status, _status(page), _state(page)) == (200, "authentic", "current")
    assert "<dd>4</dd>" in page and "Amendment" in page


def test_after_an_end_the_page_says_ended_with_the_last_day(
    app: Flask, client: FlaskClient, filing: SimpleNamespace
) -> None:
    with clock.freeze(FILED_AT + timedelta(days=1)), app.app_context():
        amended = amend_declaration(
            _user(filing.user_id), _declaration(filing.declaration_id), 5, date(2026, 3, 11)
        )
        db.session.commit()
        ended = end_declaration(
            _user(filing.user_id), amended.declaration, date(2026, 4, 30), "employment_ended"
        )
        db.session.commit()
        amendment_code = amended.receipt.verification_code
        end_reference, end_code = ended.receipt.reference, ended.receipt.verification_code
    # The first receipt follows the chain past the amendment to the end.
    for code in (filing.code, amendment_code):
        status, page, _ = _page(client, f"/verify/{code}")
        assert (status, _status(page), _state(page)) == (200, "authentic", "ended")
        assert f"Ended. The last day was 30 April 2026 (filing {end_reference})." in page
    status, page, _ = _page(client, f"/verify/{end_code}")
    assert (_status(page), _state(page)) == ("authentic", "ended")
    assert "Ended. The last day was 30 April 2026." in page and "End of declaration" in page


def test_a_changed_snapshot_is_reported_as_tampered_and_not_shown(
    app: Flask, client: FlaskClient, filing: SimpleNamespace
) -> None:
    with app.app_context():
        receipt = db.session.execute(
            select(Receipt).where(Receipt.verification_code == filing.code)
        ).scalar_one()
        snapshot = json.loads(receipt.snapshot_json)
        snapshot["declaration"]["occupants"] = 2
        forged = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        db.session.execute(
            update(Receipt).where(Receipt.id == receipt.id).values(snapshot_json=forged)
        )
        db.session.commit()
    status, page, _ = _page(client, f"/verify/{filing.code}")
    assert status == 200
    assert _status(page) == "tampered"
    assert "This receipt cannot be confirmed" in page
    assert "genuine" not in page
    assert "Oudegracht" not in page and "<dd>2</dd>" not in page


def test_a_snapshot_moved_to_another_receipt_with_its_hash_is_tampered(
    app: Flask, client: FlaskClient, filing: SimpleNamespace, make_address: Any
) -> None:
    """The hash alone would match: the snapshot must also name this receipt's code."""
    address = make_address("3512 CD", 3, street="Lange Nieuwstraat", town="Utrecht")
    with clock.freeze(FILED_AT), app.app_context():
        other = file_declaration(
            _user(filing.user_id),
            DeclarationInput(occupants=2, start_date=clock.today(), separate_contracts=True),
            address_id=address.id,
        ).receipt
        db.session.commit()
        db.session.execute(
            update(Receipt)
            .where(Receipt.verification_code == filing.code)
            .values(snapshot_json=other.snapshot_json, sha256=other.sha256)
        )
        db.session.commit()
    status, page, _ = _page(client, f"/verify/{filing.code}")
    assert (status, _status(page)) == (200, "tampered")
    assert "Lange Nieuwstraat" not in page


def test_the_31st_lookup_from_one_ip_is_refused_with_retry_after(
    app: Flask, client: FlaskClient, filing: SimpleNamespace
) -> None:
    # 200 s into a 10-minute window (10:00:00–10:10:00 UTC).
    with clock.freeze(datetime(2026, 3, 10, 10, 3, 20, tzinfo=UTC)):
        earlier = [client.get(f"/verify/{UNKNOWN_CODE}").status_code for _ in range(29)]
        earlier.append(client.get(f"/verify/{filing.code}").status_code)
        refused = client.get(f"/verify/{filing.code}", query_string={"lang": "en"})
        other_ip = client.get(
            f"/verify/{filing.code}", environ_base={"REMOTE_ADDR": "198.51.100.23"}
        )
    assert earlier == [404] * 29 + [200]  # every 404 counted (committed) too
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "400"
    page = refused.get_data(as_text=True)
    assert _status(page) == "limited"
    assert "Too many lookups" in page
    assert "You can try again from 10 March 2026, 11:10." in page  # Amsterdam time
    assert filing.reference not in page  # a valid code gets no answer either
    assert other_ip.status_code == 200
    with app.app_context():
        counted = db.session.execute(
            select(RateLimitWindow.hits).where(RateLimitWindow.key == "verify:127.0.0.1")
        ).scalar_one()
    assert counted == 31


def test_the_limit_lifts_when_the_window_rolls_over(
    client: FlaskClient, filing: SimpleNamespace
) -> None:
    with clock.freeze(datetime(2026, 3, 10, 10, 9, 0, tzinfo=UTC)):
        for _ in range(30):
            client.get(f"/verify/{UNKNOWN_CODE}")
        assert client.get(f"/verify/{filing.code}").status_code == 429
    with clock.freeze(datetime(2026, 3, 10, 10, 10, 0, tzinfo=UTC)):
        assert client.get(f"/verify/{filing.code}").status_code == 200


def test_the_form_itself_is_not_counted(app: Flask, client: FlaskClient) -> None:
    for _ in range(40):
        assert client.get("/verify").status_code == 200
    with app.app_context():
        rows = db.session.execute(select(func.count()).select_from(RateLimitWindow)).scalar_one()
    assert rows == 0


def test_the_result_is_dutch_by_default_and_english_with_lang_en(
    client: FlaskClient, filing: SimpleNamespace
) -> None:
    status, page, _ = _page(client, f"/verify/{filing.code}", lang="")
    assert status == 200
    assert '<html lang="nl">' in page
    assert "10 maart 2026, 10:30" in page  # nl_date in Dutch

    status, page, _ = _page(client, f"/verify/{filing.code}", lang="en")
    assert status == 200
    assert '<html lang="en">' in page
    assert "This receipt is genuine" in page and "Number of occupants" in page
    assert "10 March 2026, 10:30" in page
