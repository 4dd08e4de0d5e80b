"""Human messages for the reason codes of the domain and services (interface layer).

One table, translated through Flask-Babel, used by web forms, the CLI and (later) the API, so the
same refusal reads the same everywhere.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

MESSAGES = {
    # addresses
    "postcode.required": _l("Enter a postcode."),
    "postcode.format": _l("Enter a postcode as 4 digits and 2 letters, for example 3511 AB."),
    "postcode.leading_zero": _l("A Dutch postcode never starts with 0."),
    "postcode.reserved": _l("Postcodes with the letters SA, SD or SS do not exist."),
    "house_number.required": _l("Enter a house number."),
    "house_number.format": _l("Enter the house number as digits only, for example 12."),
    "house_number.range": _l("A house number is between 1 and 99999."),
    "house_letter.format": _l("A house letter is a single letter A to Z."),
    "addition.format": _l("An addition is at most 4 letters or digits."),
    "bag_id.format": _l("A BAG identification is 16 digits."),
    "bag_id.object_type": _l("This BAG identification is of another kind of object."),
    "uses.unknown": _l("Unknown use (gebruiksdoel)."),
    "floor_area.format": _l("Floor area must be a whole number of square metres."),
    "floor_area.range": _l("Floor area must be between 1 and 100,000 m²."),
    "field.required": _l("This field is required."),
    "street.required": _l("Enter the street."),
    "town.required": _l("Enter the town."),
    "municipality.unknown": _l("Unknown municipality; import the municipality first."),
    "municipality.required": _l("Give the municipality (for example GM0344)."),
    "municipality_code.format": _l("A municipality code is GM followed by 4 digits."),
    "duplicate_in_file": _l("This line repeats an earlier line of the file."),
    "columns.missing": _l("Columns are missing from the header."),
    "file.encoding": _l("The file is not UTF-8 text. Save it as CSV UTF-8 and try again."),
    "file.format": _l("The file could not be read as CSV."),
    "field.too_long": _l("This value is too long."),
    # declarations
    "occupants.required": _l("Enter the number of occupants."),
    "occupants.range": _l("The number of occupants is between 1 and 500."),
    "brp.negative": _l("The number registered in the BRP cannot be negative."),
    "brp.more_than_occupants": _l(
        "The number registered in the BRP cannot be more than the number of occupants."
    ),
    "start_date.required": _l("Enter the start date."),
    "date.too_early": _l("The date may be at most a year ago."),
    "date.too_late": _l("The date may be at most a year ahead."),
    "end_date.before_start": _l("The end date cannot be before the start date."),
    "end_date.required": _l("Enter the last night at this address."),
    "end_reason.required": _l("Choose why the occupancy ended."),
    "separate_contracts.required": _l("Choose yes or no."),
    "effective_date.required": _l("Enter the date from which the new number applies."),
    "effective_date.before_start": _l("The date cannot be before the start of the declaration."),
    "effective_date.after_end": _l("The date cannot be after the end of the declaration."),
    "declaration.superseded": _l(
        "This declaration has already been changed or ended. Open the latest filing."
    ),
    "declaration.ended": _l("This declaration has ended and cannot be changed."),
    "address.unknown": _l("Choose an address from the register or enter it by hand."),
    "reference.format": _l("A reference looks like MH-2026-000123."),
    "verification_code.format": _l(
        "A verification code is 12 letters and digits, for example ABCD-EFGH-JKMN."
    ),
    # organisations and accounts
    "organisation_name.required": _l("Enter the name of the organisation."),
    "organisation_name.too_long": _l("The name is at most 200 characters."),
    "kvk.required": _l("Enter the KvK number."),
    "kvk.format": _l("A KvK number is 8 digits."),
    "kvk.taken": _l(
        "An organisation with this KvK number already exists. Ask its administrator to invite you."
    ),
    "snf.format": _l("An SNF number has at most 20 letters, digits or dashes."),
    "kinds.required": _l("Choose at least one kind of organisation."),
    "email.required": _l("Enter an email address."),
    "email.format": _l("Enter a valid email address, for example name@example.nl."),
    "password.too_short": _l("The password must be at least %(n)s characters."),
    "password.too_long": _l("The password may be at most 128 characters."),
    "password.common": _l("This password is among the most used passwords; choose another."),
    "password.repetitive": _l("This password repeats too few characters; choose another."),
    "password.personal": _l("The password is too close to your email address or organisation."),
    "password.mismatch": _l("The two passwords are not the same."),
    "login.failed": _l("The email address or password is incorrect."),
    "login.unverified": _l(
        "Confirm your email address first with the link we sent you. "
        "You can ask for a new link below."
    ),
    "token.invalid": _l("This link is not valid or has already been used."),
    "token.expired": _l("This link has expired. Ask for a new one."),
    "invite.email_taken": _l("This email address already has an account."),
    "invite.not_allowed": _l("Only an administrator of the organisation can invite colleagues."),
    "role.unknown": _l("Choose a role from the list."),
    "role.no_tenant": _l("A system administrator belongs to no organisation or municipality."),
    "remove.not_allowed": _l("You cannot remove this user."),
    "remove.already_removed": _l("This user has already been removed."),
    "remove.last_admin": _l(
        "You are the last administrator of your organisation. Make a colleague administrator first."
    ),
    "organisation.required": _l("Give the KvK number of the organisation."),
    "organisation.unknown": _l("No organisation with this KvK number is registered."),
}


def message(code: str, **params: object) -> str:
    """The translated text for ``code`` (the code itself if it is unknown)."""
    text = MESSAGES.get(code)
    if text is None:
        return code
    if code == "password.too_short" and "n" not in params:
        from flask import current_app

        params["n"] = current_app.config["PASSWORD_MIN_LENGTH"]
    return str(text) % params if params else str(text)
